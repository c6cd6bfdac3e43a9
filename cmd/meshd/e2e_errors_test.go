package main

import (
	"fmt"
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// oneLineWith checks that stderr is exactly one line containing every want.
func oneLineWith(t *testing.T, what, stderr string, wants ...string) {
	t.Helper()
	s := strings.TrimRight(stderr, "\n")
	if s == "" || strings.Contains(s, "\n") {
		t.Errorf("%s: stderr is not one line: %q", what, stderr)
	}
	for _, w := range wants {
		if !strings.Contains(s, w) {
			t.Errorf("%s: stderr %q does not name %q", what, s, w)
		}
	}
}

// A bad config file, an unknown flag, a bad value, a port in use and an
// unreadable key file each exit non-zero with one line naming the cause.
func TestStartErrorsNameTheCause(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	badConfig := filepath.Join(dir, "bad.yaml")
	os.WriteFile(badConfig, []byte("cluster: prod\nprofile: lna\n"), 0o600)
	typoConfig := filepath.Join(dir, "typo.yaml")
	os.WriteFile(typoConfig, []byte("cluster: prod\njoin: [127.0.0.9:7946]\nmulticast_iface: eth0\n"), 0o600)
	badStrategy := filepath.Join(dir, "strategy.yaml")
	os.WriteFile(badStrategy, []byte("strategies:\n  - kind: dns\n    nmae: meshd.svc\n"), 0o600)
	badKeys := filepath.Join(dir, "keys")
	os.WriteFile(badKeys, []byte("# keys\nnot-a-key\n"), 0o600)

	ips := []string{"127.0.0.30"}
	gport, hport := freePorts(t, ips)
	gossip := fmt.Sprintf("127.0.0.30:%d", gport)
	httpAddr := fmt.Sprintf("127.0.0.30:%d", hport)
	base := []string{"agent", "--profile", "local", "--name", "err", "--bind", gossip, "--http", httpAddr}

	cases := []struct {
		name  string
		args  []string
		env   []string
		code  int
		wants []string
	}{
		{"unknown flag", []string{"agent", "--bogus"}, nil, 2, []string{"unknown flag --bogus"}},
		{"bad flag value", []string{"agent", "--profile", "lna"}, nil, 2, []string{"--profile", "want lan, wan or local"}},
		{"flag without value", []string{"agent", "--bind"}, nil, 2, []string{"--bind", "needs a value"}},
		{"bad env value", []string{"agent"}, []string{"MESHD_LEAVE_TIMEOUT=soon"}, 2, []string{"MESHD_LEAVE_TIMEOUT", "duration"}},
		{"bad config value", []string{"agent", "--config", badConfig}, nil, 2, []string{badConfig, "line 2", "profile", "want lan, wan or local"}},
		{"unknown config field", []string{"agent", "--config", typoConfig}, nil, 2, []string{typoConfig, "line 3", "multicast_iface", `did you mean "multicast-if"`}},
		{"bad strategy field", append(append([]string{}, base...), "--config", badStrategy), nil, 2, []string{badStrategy, "strategies[0]", "nmae"}},
		{"unknown strategy kind", append(append([]string{}, base...), "--strategy", "consul:x"), nil, 2, []string{"--strategy", "consul"}},
		{"missing config file", []string{"agent", "--config", filepath.Join(dir, "none.yaml")}, nil, 2, []string{"none.yaml", "no such file"}},
		{"missing key file", append(append([]string{}, base...), "--key-file", filepath.Join(dir, "nokeys")), nil, 1, []string{"nokeys", "no such file"}},
		{"key file is a directory", append(append([]string{}, base...), "--key-file", dir), nil, 1, []string{dir, "is a directory"}},
		{"bad key file", append(append([]string{}, base...), "--key-file", badKeys), nil, 1, []string{badKeys, "line 2", "not a base64 key"}},
		{"metadata over MaxMetaSize", append(append([]string{}, base...), "--meta", "big="+strings.Repeat("x", 600)), nil, 2,
			[]string{"--meta", "608 bytes", "MaxMetaSize (512 bytes"}},
		{"unknown command", []string{"agnet"}, nil, 2, []string{`unknown command "agnet"`}},
		{"members without agent", []string{"members", "--http", httpAddr}, nil, 1, []string{"no agent at " + httpAddr}},
		{"join without address", []string{"join"}, nil, 2, []string{"HOST:PORT"}},
		{"keys without file", []string{"keys", "list"}, nil, 2, []string{"--key-file"}},
		{"keys bad key", []string{"keys", "use", "short", "--key-file", badKeys + ".x"}, nil, 2, []string{"KEY", "base64"}},
	}
	for _, c := range cases {
		_, stderr, code := meshd(t, c.env, c.args...)
		if code != c.code {
			t.Errorf("%s: exit %d, want %d (stderr %q)", c.name, code, c.code, stderr)
		}
		oneLineWith(t, c.name, stderr, c.wants...)
	}
}

func TestPortInUse(t *testing.T) {
	t.Parallel()
	ips := []string{"127.0.0.31"}
	gport, hport := freePorts(t, ips)
	gossip := fmt.Sprintf("127.0.0.31:%d", gport)
	httpAddr := fmt.Sprintf("127.0.0.31:%d", hport)
	args := []string{"agent", "--profile", "local", "--name", "busy", "--bind", gossip, "--http", httpAddr}

	l, err := net.Listen("tcp", httpAddr)
	if err != nil {
		t.Fatal(err)
	}
	_, stderr, code := meshd(t, nil, args...)
	l.Close()
	if code != 1 {
		t.Errorf("HTTP port in use: exit %d, want 1", code)
	}
	oneLineWith(t, "HTTP port in use", stderr, httpAddr, "--http", "address already in use")

	u, err := net.ListenPacket("udp", gossip)
	if err != nil {
		t.Fatal(err)
	}
	_, stderr, code = meshd(t, nil, args...)
	u.Close()
	if code != 1 {
		t.Errorf("gossip port in use: exit %d, want 1", code)
	}
	oneLineWith(t, "gossip port in use", stderr, gossip, "--bind", "address already in use")
}

// Every subcommand has --help with its flags and an example, exit 0.
func TestHelp(t *testing.T) {
	t.Parallel()
	for _, sub := range []string{"agent", "members", "join", "leave", "events", "health", "keys", "sim", "demo", "version"} {
		stdout, stderr, code := meshd(t, nil, sub, "--help")
		if code != 0 {
			t.Errorf("meshd %s --help: exit %d: %s", sub, code, stderr)
		}
		if !strings.Contains(strings.ToLower(stdout), "usage: meshd "+sub) || !strings.Contains(stdout, "Example") {
			t.Errorf("meshd %s --help lacks usage or example:\n%s", sub, stdout)
		}
		if sub != "sim" && !strings.Contains(stdout, "--") {
			t.Errorf("meshd %s --help shows no flags", sub)
		}
	}
	stdout, _, code := meshd(t, nil, "--help")
	if code != 0 || !strings.Contains(stdout, "demo") {
		t.Errorf("meshd --help: %d %q", code, stdout)
	}
	if _, _, code := meshd(t, nil); code != 2 {
		t.Errorf("meshd without command: exit %d, want 2", code)
	}
	stdout, _, code = meshd(t, nil, "version")
	if code != 0 || !strings.HasPrefix(stdout, "meshd ") {
		t.Errorf("meshd version: %d %q", code, stdout)
	}
}
