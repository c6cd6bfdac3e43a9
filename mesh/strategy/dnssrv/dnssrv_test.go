package dnssrv

import (
	"fmt"
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

const srvName = "_gossip._udp.meshd.test"

type harness struct {
	t   *testing.T
	srv *dnstest.Server
	s   *Strategy
	ch  <-chan []string
}

func newHarness(t *testing.T, cfg Config) *harness {
	t.Helper()
	h := &harness{t: t, srv: dnstest.Start(t)}
	cfg.Name = srvName
	cfg.Resolver = h.srv.Addr
	cfg.Interval = 30 * time.Millisecond
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

func (h *harness) keeps(last []string, n uint64, msg string) {
	h.t.Helper()
	strategytest.Keeps(h.t, h.s, h.ch, last, n, msg)
}

func TestTargetsPortsGlueAndChanges(t *testing.T) {
	h := newHarness(t, Config{})
	h.srv.SetIPs("b.meshd.test", "10.0.0.2", "2001:db8::2")
	h.srv.SetSRV(srvName,
		dnstest.SRV{Target: "a.meshd.test", Port: 7001, Glue: []string{"10.0.0.1"}},
		dnstest.SRV{Target: "b.meshd.test", Port: 7002}, // resolved by A and AAAA
	)
	h.run()
	h.await("10.0.0.1:7001", "10.0.0.2:7002", "[2001:db8::2]:7002")

	h.srv.SetIPs("c.meshd.test", "10.0.0.3")
	h.srv.SetSRV(srvName,
		dnstest.SRV{Target: "b.meshd.test", Port: 7002},
		dnstest.SRV{Target: "c.meshd.test", Port: 7003},
	)
	h.await("10.0.0.2:7002", "10.0.0.3:7003", "[2001:db8::2]:7002")
}

func TestFailuresKeepTheLastList(t *testing.T) {
	h := newHarness(t, Config{Timeout: 500 * time.Millisecond})
	h.srv.SetIPs("a.meshd.test", "10.0.0.1")
	h.srv.SetIPs("b.meshd.test", "10.0.0.2")
	h.srv.SetSRV(srvName, dnstest.SRV{Target: "a.meshd.test", Port: 7001}, dnstest.SRV{Target: "b.meshd.test", Port: 7002})
	h.run()
	last := []string{"10.0.0.1:7001", "10.0.0.2:7002"}
	h.await(last...)

	h.srv.SetRcode(srvName, mdns.RcodeNameError)
	h.keeps(last, 2, "NXDOMAIN")
	h.srv.SetRcode(srvName, mdns.RcodeServerFailure)
	h.keeps(last, 2, "SERVFAIL")
	h.srv.SetRcode(srvName, 0)
	h.await(last...)

	h.srv.SetSilent(true)
	h.keeps(last, 2, "timeout")
	h.srv.SetSilent(false)
	h.await(last...)

	h.srv.SetTruncate(true)
	h.srv.SetTCP(false)
	h.keeps(last, 2, "truncated")
	h.srv.SetTruncate(false)
	h.srv.SetTCP(true)
	h.await(last...)

	// One target stops resolving: it keeps its last address, the other
	// follows DNS, the failure is reported.
	h.srv.SetRcode("a.meshd.test", mdns.RcodeServerFailure)
	h.srv.SetIPs("b.meshd.test", "10.0.0.22")
	h.await("10.0.0.1:7001", "10.0.0.22:7002")
	if st := h.s.Stats(); !strings.Contains(st.LastError, "a.meshd.test") {
		t.Fatalf("the failing target was not reported: %+v", st)
	}
}

func TestTruncatedAnswerIsFetchedOverTCP(t *testing.T) {
	h := newHarness(t, Config{})
	var targets []dnstest.SRV
	var want []string
	for i := range 120 {
		ip := fmt.Sprintf("10.2.0.%d", i+1)
		targets = append(targets, dnstest.SRV{Target: fmt.Sprintf("pod-%d.meshd.test", i), Port: uint16(7000 + i), Glue: []string{ip}})
		want = append(want, fmt.Sprintf("%s:%d", ip, 7000+i))
	}
	h.srv.SetSRV(srvName, targets...)
	h.run()
	h.await(want...)
	if _, tcp := h.srv.Queries(); tcp == 0 {
		t.Fatal("120 SRV records fit in UDP? no TCP query was made")
	}
}

func TestIPv6TargetsAndFamily(t *testing.T) {
	h := newHarness(t, Config{Family: FamilyIPv6})
	h.srv.SetIPs("a.meshd.test", "10.0.0.1", "2001:db8::1")
	h.srv.SetSRV(srvName, dnstest.SRV{Target: "a.meshd.test", Port: 7001})
	h.run()
	h.await("[2001:db8::1]:7001")
}

func TestConfig(t *testing.T) {
	c, err := ParseSpec("_gossip._udp.meshd.default.svc.cluster.local?interval=10s&resolver=[::1]:5353&timeout=1s&family=ipv4")
	if err != nil {
		t.Fatal(err)
	}
	if c.Name != "_gossip._udp.meshd.default.svc.cluster.local" || c.Interval != 10*time.Second ||
		c.Resolver != "[::1]:5353" || c.Timeout != time.Second || c.Family != FamilyIPv4 {
		t.Fatalf("ParseSpec = %+v", c)
	}
	for _, bad := range []string{"", "?interval=1s", "a?x=1"} {
		if _, err := ParseSpec(bad); err == nil {
			t.Errorf("ParseSpec(%q) accepted", bad)
		}
	}
	for want, cfg := range map[string]Config{
		"Config.Name:":     {Name: "bad name"},
		"Config.Interval:": {Name: "a", Interval: -1},
		"Config.Timeout:":  {Name: "a", Timeout: -1},
		"Config.Family:":   {Name: "a", Family: "v4"},
		"Config.Resolver:": {Name: "a", Resolver: "x:y"},
	} {
		if _, err := New(cfg); err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("New(%+v) = %v, want an error naming %s", cfg, err, want)
		}
	}
	if _, err := New(Config{}); err == nil || !strings.Contains(err.Error(), "Config.Name:") {
		t.Errorf("New(Config{}) = %v", err)
	}
}

func FuzzParseSpec(f *testing.F) {
	for _, s := range []string{srvName + "?interval=5s", "_x._tcp.a?family=ipv6&timeout=1s", "?", "a?resolver=%"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		c, err := ParseSpec(s)
		if err != nil {
			return
		}
		c.Resolver = "127.0.0.1:1" // never the system resolver from a fuzzer
		_, _ = New(c)
	})
}

// TestTargetFamilyFailingKeepsTheOther: each target's lookup, and each of
// its families, stands on its own. Targets whose AAAA query is refused or
// fails from the start are found by their A records; a target whose A
// query fails later keeps its last A addresses; every failure is counted
// by type and rcode and a streak is logged once.
func TestTargetFamilyFailingKeepsTheOther(t *testing.T) {
	for _, rc := range []int{mdns.RcodeRefused, mdns.RcodeServerFailure} {
		t.Run(mdns.RcodeToString[rc], func(t *testing.T) {
			logs := &dnstest.LogCapture{}
			h := newHarness(t, Config{Logger: slog.New(logs)})
			var targets []dnstest.SRV
			var want []string
			for i := 1; i <= 3; i++ {
				host := fmt.Sprintf("m%d.meshd.test", i)
				h.srv.SetIPs(host, fmt.Sprintf("10.0.0.%d", i), fmt.Sprintf("2001:db8::%d", i))
				h.srv.SetTypeRcode(host, mdns.TypeAAAA, rc)
				targets = append(targets, dnstest.SRV{Target: host, Port: uint16(7000 + i)})
				want = append(want, fmt.Sprintf("10.0.0.%d:%d", i, 7000+i))
			}
			h.srv.SetSRV(srvName, targets...)
			h.run()
			h.await(want...)
			key := "AAAA " + mdns.RcodeToString[rc]
			if st := h.s.Stats(); st.Failures[key] < 3 || st.Seeds != 3 {
				t.Fatalf("stats %+v, want %s counted for each target and 3 seeds", st, key)
			}

			// m1's AAAA comes back, then its A fails: its A address stays.
			h.srv.SetTypeRcode("m1.meshd.test", mdns.TypeAAAA, 0)
			h.await(append([]string{"[2001:db8::1]:7001"}, want...)...)
			h.srv.SetTypeRcode("m1.meshd.test", mdns.TypeA, rc)
			h.srv.SetIPs("m1.meshd.test", "10.0.0.9", "2001:db8::1")
			dnstest.Polls(t, h.s, 3)
			h.await(append([]string{"[2001:db8::1]:7001"}, want...)...)
			if st := h.s.Stats(); st.Failures["A "+mdns.RcodeToString[rc]] == 0 {
				t.Fatalf("stats %+v, want the A failure counted", st)
			}
			if n := logs.Count(slog.LevelWarn); n != 1 {
				t.Fatalf("%d warnings for one streak of partial failures, want 1: %q", n, logs.Lines())
			}
		})
	}
}
