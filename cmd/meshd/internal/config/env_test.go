package config

import (
	"errors"
	"slices"
	"strings"
	"testing"

	"github.com/meshd/meshd/cmd/meshd/internal/cli"
)

func TestUnknownEnv(t *testing.T) {
	got := UnknownEnv([]string{
		"MESHD_JION=10.0.0.1", "MESHD_JOIN=10.0.0.1", "MESHD_MULTICAST_IFACE=eth0", "MESHD_WHATEVER_THIS_IS=1",
		"MESHD_K8S_BIN=/x", "MESHD_K8S_REQUIRED=1", "MESHD_K8S_WORK=/w", "MESHD_DNSMASQ_REQUIRED=1", "HOME=/root", "MESHD_HTTP_TOKEN_FILE=/t",
	})
	want := []string{
		"environment variable MESHD_JION is not a meshd setting and is ignored; did you mean MESHD_JOIN?",
		"environment variable MESHD_MULTICAST_IFACE is not a meshd setting and is ignored; did you mean MESHD_MULTICAST_IF?",
		"environment variable MESHD_WHATEVER_THIS_IS is not a meshd setting and is ignored (settings are MESHD_<FLAG>, e.g. MESHD_JOIN; see 'meshd agent --help')",
	}
	if !slices.Equal(got, want) {
		t.Fatalf("got\n%q\nwant\n%q", got, want)
	}
}

func TestConfigGivenOnce(t *testing.T) {
	_, err := Load([]string{"--config", "/a.yaml", "--config=/b.yaml"}, noEnv)
	var ue *cli.UsageError
	if !errors.As(err, &ue) || !strings.Contains(err.Error(), `"/a.yaml" and "/b.yaml"`) {
		t.Fatalf("two --config: %v", err)
	}
}

func TestAPIBeyondLoopbackNeedsToken(t *testing.T) {
	for _, c := range []struct {
		args []string
		ok   bool
	}{
		{[]string{"--http", "0.0.0.0:7947"}, false},
		{[]string{"--http", ":7947"}, false},
		{[]string{"--http", "[::]:7947"}, false},
		{[]string{"--http", "10.0.0.5:7947"}, false},
		{[]string{"--http", "127.0.0.2:7947"}, true},
		{[]string{"--http", "[::1]:7947"}, true},
		{[]string{"--http", "0.0.0.0:7947", "--http-token", "t"}, true},
		{[]string{"--http", "0.0.0.0:7947", "--http-insecure-no-token"}, true},
	} {
		_, err := Load(append([]string{"--name", "n"}, c.args...), noEnv)
		var ce *Error
		if c.ok != (err == nil) || !c.ok && (!errors.As(err, &ce) || !strings.Contains(err.Error(), "--http-insecure-no-token")) {
			t.Errorf("%q: %v", c.args, err)
		}
	}
}

func noEnv(string) (string, bool) { return "", false }
