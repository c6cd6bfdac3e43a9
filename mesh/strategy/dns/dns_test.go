package dns

import (
	"context"
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/meshd/meshd/mesh/strategy/internal/dnstest"
	"github.com/meshd/meshd/mesh/strategy/internal/strategytest"
	mdns "github.com/miekg/dns"
	"go.uber.org/goleak"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

// harness runs a dns Strategy against a test server.
type harness struct {
	t   *testing.T
	srv *dnstest.Server
	s   *Strategy
	ch  <-chan []string
}

func newHarness(t *testing.T, cfg Config) *harness {
	t.Helper()
	h := &harness{t: t, srv: dnstest.Start(t)}
	cfg.Resolver = h.srv.Addr
	if cfg.Interval == 0 {
		cfg.Interval = 30 * time.Millisecond
	}
	if cfg.Timeout == 0 {
		cfg.Timeout = time.Second
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	s, err := New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	h.s = s
	return h
}

func (h *harness) run() { h.ch = strategytest.Run(h.t, h.s) }

func (h *harness) await(want ...string) {
	h.t.Helper()
	strategytest.Await(h.t, h.ch, want...)
}

// keeps checks that, over at least n failed polls, nothing but the last
// good list was delivered and the failures were counted with msg.
func (h *harness) keeps(last []string, n uint64, msg string) {
	h.t.Helper()
	if st := strategytest.Keeps(h.t, h.s, h.ch, last, n, msg); st.Seeds != len(last) {
		h.t.Fatalf("stats %+v, want %d seeds kept", st, len(last))
	}
}

func TestRecordsAddedAndRemovedAreFollowed(t *testing.T) {
	h := newHarness(t, Config{Name: "meshd.test", Port: 7000})
	h.srv.SetIPs("meshd.test", "10.0.0.1", "10.0.0.2")
	h.run()
	h.await("10.0.0.1:7000", "10.0.0.2:7000")
	h.srv.SetIPs("meshd.test", "10.0.0.1", "10.0.0.2", "10.0.0.3")
	h.await("10.0.0.1:7000", "10.0.0.2:7000", "10.0.0.3:7000")
	h.srv.SetIPs("meshd.test", "10.0.0.3")
	h.await("10.0.0.3:7000")
	if st := h.s.Stats(); st.Errors != 0 || st.Seeds != 1 || st.LastSuccess.IsZero() {
		t.Fatalf("stats %+v", st)
	}
}

func TestFailuresKeepTheLastList(t *testing.T) {
	h := newHarness(t, Config{Name: "meshd.test", Timeout: 500 * time.Millisecond})
	h.srv.SetIPs("meshd.test", "10.0.0.1", "10.0.0.2", "2001:db8::1")
	h.run()
	last := []string{"10.0.0.1:7946", "10.0.0.2:7946", "[2001:db8::1]:7946"}
	h.await(last...)

	t.Run("NXDOMAIN", func(t *testing.T) {
		h.srv.Remove("meshd.test")
		h.keeps(last, 2, "NXDOMAIN")
	})
	t.Run("SERVFAIL", func(t *testing.T) {
		h.srv.SetIPs("meshd.test", "10.0.0.9")
		h.srv.SetRcode("meshd.test", mdns.RcodeServerFailure)
		h.keeps(last, 2, "SERVFAIL")
		h.srv.SetRcode("meshd.test", 0)
		h.srv.SetIPs("meshd.test", "10.0.0.1", "10.0.0.2", "2001:db8::1")
		h.await(last...)
	})
	t.Run("empty answer", func(t *testing.T) {
		h.srv.SetIPs("meshd.test")
		h.keeps(last, 2, "no addresses")
		h.srv.SetIPs("meshd.test", "10.0.0.1", "10.0.0.2", "2001:db8::1")
		h.await(last...)
	})
	t.Run("timeout", func(t *testing.T) {
		h.srv.SetSilent(true)
		h.keeps(last, 2, "timeout")
		h.srv.SetSilent(false)
		h.await(last...)
	})
	t.Run("truncated", func(t *testing.T) {
		// The truncated UDP answer holds one record; with TCP down it must
		// not replace the three we know (libcluster#190).
		h.srv.SetTruncate(true)
		h.srv.SetTCP(false)
		h.keeps(last, 2, "truncated")
		// With TCP up, the full answer comes over TCP.
		h.srv.SetIPs("meshd.test", "10.0.0.1", "10.0.0.2", "10.0.0.4", "2001:db8::1")
		h.srv.SetTCP(true)
		h.await("10.0.0.1:7946", "10.0.0.2:7946", "10.0.0.4:7946", "[2001:db8::1]:7946")
		if _, tcp := h.srv.Queries(); tcp == 0 {
			t.Fatal("no TCP query was made")
		}
	})
}

func TestAAAAAndFamily(t *testing.T) {
	h := newHarness(t, Config{Name: "v6.meshd.test"})
	h.srv.SetIPs("v6.meshd.test", "2001:db8::1", "2001:db8::2")
	h.run()
	h.await("[2001:db8::1]:7946", "[2001:db8::2]:7946")

	h4 := newHarness(t, Config{Name: "dual.meshd.test", Family: FamilyIPv4})
	h4.srv.SetIPs("dual.meshd.test", "10.0.0.1", "2001:db8::1")
	h4.run()
	h4.await("10.0.0.1:7946")

	h6 := newHarness(t, Config{Name: "dual.meshd.test", Family: FamilyIPv6})
	h6.srv.SetIPs("dual.meshd.test", "10.0.0.1", "2001:db8::1")
	h6.run()
	h6.await("[2001:db8::1]:7946")
}

func TestWaitForFirstSeeds(t *testing.T) {
	h := newHarness(t, Config{Name: "late.meshd.test"})
	h.run() // nothing yet: NXDOMAIN, and Run does not block anybody
	ctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
	if err := h.s.Wait(ctx); err == nil {
		t.Fatal("Wait returned before any seed existed")
	}
	cancel()
	h.srv.SetIPs("late.meshd.test", "10.0.0.1")
	ctx, cancel = context.WithTimeout(context.Background(), 15*time.Second)
	defer cancel()
	if err := h.s.Wait(ctx); err != nil {
		t.Fatal(err)
	}
}

func TestConfig(t *testing.T) {
	c, err := ParseSpec("meshd.default.svc.cluster.local:7000?interval=10s&resolver=127.0.0.1:5353&timeout=1s&family=ipv6")
	if err != nil {
		t.Fatal(err)
	}
	if c.Name != "meshd.default.svc.cluster.local" || c.Port != 7000 || c.Interval != 10*time.Second ||
		c.Resolver != "127.0.0.1:5353" || c.Timeout != time.Second || c.Family != FamilyIPv6 {
		t.Fatalf("ParseSpec = %+v", c)
	}
	if c, err := ParseSpec("meshd"); err != nil || c.Name != "meshd" || c.Port != 0 {
		t.Fatalf("ParseSpec(meshd) = %+v, %v", c, err)
	}
	for _, bad := range []string{"", ":7946", "a:0", "a:1-2", "a?bogus=1"} {
		if _, err := ParseSpec(bad); err == nil {
			t.Errorf("ParseSpec(%q) accepted", bad)
		}
	}
	for want, cfg := range map[string]Config{
		"Config.Name:":     {},
		"Config.Name: \"":  {Name: "10.0.0.1"},
		"Config.Port:":     {Name: "a", Port: 65536},
		"Config.Interval:": {Name: "a", Interval: -1},
		"Config.Timeout:":  {Name: "a", Timeout: -1},
		"Config.Family:":   {Name: "a", Family: "ipx"},
		"Config.Resolver:": {Name: "a", Resolver: "ns1"},
	} {
		if _, err := New(cfg); err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("New(%+v) = %v, want an error naming %s", cfg, err, want)
		}
	}
}

func FuzzParseSpec(f *testing.F) {
	for _, s := range []string{"meshd.test:7946?interval=5s", "a?family=ipv4&resolver=[::1]:53", "a:", ":::"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		c, err := ParseSpec(s)
		if err != nil {
			return
		}
		c.Resolver = "127.0.0.1:1" // never the system resolver from a fuzzer
		if st, err := New(c); err == nil && st.cfg.Name == "" {
			t.Fatalf("accepted an empty name from %q", s)
		}
	})
}

// TestOneFamilyFailingKeepsTheOther: each family stands on its own. A
// family refused from the start contributes nothing and the other is used;
// a family that fails later keeps its last good answer; either way the
// failure is counted by type and rcode and logged once.
func TestOneFamilyFailingKeepsTheOther(t *testing.T) {
	for _, rc := range []int{mdns.RcodeRefused, mdns.RcodeServerFailure} {
		t.Run(mdns.RcodeToString[rc], func(t *testing.T) {
			logs := &dnstest.LogCapture{}
			h := newHarness(t, Config{Name: "meshd.test", Logger: slog.New(logs)})
			h.srv.SetIPs("meshd.test", "10.0.0.1", "10.0.0.2", "2001:db8::1")
			h.srv.SetTypeRcode("meshd.test", mdns.TypeAAAA, rc)
			h.run()
			h.await("10.0.0.1:7946", "10.0.0.2:7946")
			key := "AAAA " + mdns.RcodeToString[rc]
			if st := h.s.Stats(); st.Failures[key] == 0 || st.Seeds != 2 || !strings.Contains(st.LastError, mdns.RcodeToString[rc]) {
				t.Fatalf("stats %+v, want %s counted and 2 seeds", st, key)
			}

			// AAAA comes back; then A fails: the A addresses are kept.
			h.srv.SetTypeRcode("meshd.test", mdns.TypeAAAA, 0)
			all := []string{"10.0.0.1:7946", "10.0.0.2:7946", "[2001:db8::1]:7946"}
			h.await(all...)
			h.srv.SetTypeRcode("meshd.test", mdns.TypeA, rc)
			h.srv.SetIPs("meshd.test", "10.0.0.9", "2001:db8::2")
			h.await("10.0.0.1:7946", "10.0.0.2:7946", "[2001:db8::2]:7946")
			dnstest.Polls(t, h.s, 3)
			if st := h.s.Stats(); st.Failures["A "+mdns.RcodeToString[rc]] < 3 {
				t.Fatalf("stats %+v, want the A failures counted", st)
			}
			// Two failure streaks (AAAA, then A), one warning each.
			if n := logs.Count(slog.LevelWarn); n != 2 {
				t.Fatalf("%d warnings, want 2 (one per streak): %q", n, logs.Lines())
			}
		})
	}
}
