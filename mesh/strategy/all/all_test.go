package all

import (
	"context"
	"log/slog"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"gopkg.in/yaml.v3"

	"github.com/meshd/meshd/mesh"
	"github.com/meshd/meshd/mesh/strategy/internal/dnstest"
	mdns "github.com/miekg/dns"
	"go.uber.org/goleak"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

func node(t *testing.T, src string) *yaml.Node {
	t.Helper()
	var n yaml.Node
	if err := yaml.Unmarshal([]byte(src), &n); err != nil {
		t.Fatal(err)
	}
	return &n
}

func TestKinds(t *testing.T) {
	want := []string{"dns", "dnssrv", "hostsfile", "kubernetes", "rancher", "static"}
	if got := Kinds(); !slices.Equal(got, want) {
		t.Fatalf("Kinds() = %q, want %q", got, want)
	}
}

func TestFromYAMLEveryKind(t *testing.T) {
	docs := map[string]string{
		"static":     "hosts: [10.0.0.5, '[::1]:7946-7947']\ndefault_port: 7000\ninterval: 30s\nresolver: 127.0.0.1:5353\n",
		"hostsfile":  "path: /etc/meshd/hosts\ninterval: 2s\ndefault-port: 7000\n",
		"dns":        "name: meshd.default.svc.cluster.local\nport: 7946\nresolver: '[::1]:53'\nfamily: ipv6\ntimeout: 1s\n",
		"dnssrv":     "name: _gossip._udp.meshd.default.svc.cluster.local\nresolver: 127.0.0.1\n",
		"rancher":    "base_url: http://127.0.0.1:9\nport: 7946\n",
		"kubernetes": "namespace: default\nselector: app=meshd\napi_server: https://127.0.0.1:6443\ntoken_file: /dev/null\nca_file: /dev/null\n",
	}
	for _, kind := range Kinds() {
		doc, ok := docs[kind]
		if !ok {
			t.Errorf("no YAML example for kind %q", kind)
			continue
		}
		s, err := FromYAML(kind, node(t, doc))
		if err != nil {
			t.Errorf("FromYAML(%s): %v", kind, err)
			continue
		}
		if s.Name() != kind {
			t.Errorf("FromYAML(%s).Name() = %q", kind, s.Name())
		}
		if _, ok := s.(mesh.StrategyReporter); !ok {
			t.Errorf("%s does not implement mesh.StrategyReporter", kind)
		}
	}
	// Defaults-only kinds accept an empty node.
	if s, err := FromYAML("rancher", node(t, "")); err != nil || s.Name() != "rancher" {
		t.Fatalf("FromYAML(rancher, empty) = %v, %v", s, err)
	}
	if _, err := FromYAML("rancher", nil); err != nil {
		t.Fatalf("FromYAML(rancher, nil): %v", err)
	}
}

func TestFromYAMLErrors(t *testing.T) {
	for _, c := range []struct{ kind, doc, want string }{
		{"static", "hosts: [a]\nhostz: [b]\n", `line 2: unknown field "hostz"`},
		{"static", "hosts: [a]\ninterval: 30\n", `field "interval": line 2`},
		{"static", "hosts: [a]\nhosts: [b]\n", `field "hosts" given twice`},
		{"static", "hosts: [a]\ndefault_port: 1\ndefault-port: 2\n", `field "default-port" given twice`},
		{"static", "hosts: a\n", `field "hosts"`},
		{"static", "- a\n- b\n", "want a mapping"},
		{"static", "hosts: [a]\nlogger: x\n", `unknown field "logger"`},
		{"dns", "name: a\nport: 0x1_0000_0\n", "Config.Port"},
		{"dns", "{}", "Config.Name"},
		{"nope", "a: b", `unknown strategy kind "nope"`},
	} {
		_, err := FromYAML(c.kind, node(t, c.doc))
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("FromYAML(%s, %q) = %v, want an error containing %q", c.kind, c.doc, err, c.want)
		}
	}
}

func TestFromString(t *testing.T) {
	for kind, spec := range map[string]string{
		"static":     "10.0.0.5,10.0.0.6:7946-7950?interval=30s",
		"hostsfile":  "/etc/meshd/hosts",
		"dns":        "meshd.default.svc.cluster.local:7946?resolver=127.0.0.1:5353",
		"dnssrv":     "_gossip._udp.meshd.default.svc.cluster.local?resolver=127.0.0.1",
		"rancher":    "http://rancher-metadata",
		"kubernetes": "namespace=default,selector=app=meshd,api_server=https://127.0.0.1:6443,token_file=/dev/null,ca_file=/dev/null",
	} {
		s, err := FromString(kind, spec)
		if err != nil {
			t.Errorf("FromString(%s, %q): %v", kind, spec, err)
			continue
		}
		if s.Name() != kind {
			t.Errorf("Name() = %q, want %q", s.Name(), kind)
		}
	}
	if _, err := FromString(" DNS ", "a?resolver=127.0.0.1"); err != nil {
		t.Errorf("kind is not case- and space-insensitive: %v", err)
	}
	for _, c := range [][2]string{{"static", ""}, {"dns", "a:x"}, {"bogus", "x"}} {
		if _, err := FromString(c[0], c[1]); err == nil || !strings.Contains(err.Error(), c[0]) {
			t.Errorf("FromString(%q, %q) = %v, want an error naming the kind", c[0], c[1], err)
		}
	}
}

// capture is a slog.Handler that signals each record.
type capture struct {
	mu   sync.Mutex
	msgs []string
}

func (c *capture) Enabled(context.Context, slog.Level) bool { return true }
func (c *capture) Handle(_ context.Context, r slog.Record) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.msgs = append(c.msgs, r.Message)
	return nil
}
func (c *capture) WithAttrs([]slog.Attr) slog.Handler { return c }
func (c *capture) WithGroup(string) slog.Handler      { return c }

func TestWithLoggerReachesTheStrategy(t *testing.T) {
	srv := dnstest.Start(t)
	srv.SetRcode("meshd.test", mdns.RcodeServerFailure)
	h := &capture{}
	s, err := FromString("dns", "meshd.test?resolver="+srv.Addr, WithLogger(slog.New(h)))
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- s.Run(ctx, func([]string) {}) }()
	deadline := time.Now().Add(15 * time.Second)
	for {
		h.mu.Lock()
		n := len(h.msgs)
		h.mu.Unlock()
		if n > 0 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("nothing was logged to the given logger within 15s")
		}
		time.Sleep(10 * time.Millisecond)
	}
	cancel()
	if err := <-done; err != nil {
		t.Fatal(err)
	}
}
