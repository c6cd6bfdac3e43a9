package dnssrv

import (
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/meshd/meshd/mesh/strategy/internal/dnstest"
	"github.com/meshd/meshd/mesh/strategy/internal/strategytest"
)

// TestDnsmasqRefusingAAAAFindsEveryTarget runs the strategy against a real
// dnsmasq without upstream servers. Its SRV targets named by --address get
// no glue, so each is looked up, and dnsmasq refuses their AAAA queries;
// a target named by --host-record comes with glue. Every target must be a
// seed, the refusals counted and logged once.
func TestDnsmasqRefusingAAAAFindsEveryTarget(t *testing.T) {
	d := dnstest.StartDnsmasq(t,
		"--srv-host=_gossip._udp.meshd.test,m1.meshd.test,7001",
		"--srv-host=_gossip._udp.meshd.test,m2.meshd.test,7002",
		"--srv-host=_gossip._udp.meshd.test,m3.meshd.test,7003",
		"--address=/m1.meshd.test/127.0.0.1",
		"--address=/m2.meshd.test/127.0.0.2",
		"--host-record=m3.meshd.test,127.0.0.3",
	)
	logs := &dnstest.LogCapture{}
	s, err := New(Config{Name: "_gossip._udp.meshd.test", Resolver: d.Addr, Interval: 20 * time.Millisecond, Logger: slog.New(logs)})
	if err != nil {
		t.Fatal(err)
	}
	ch := strategytest.Run(t, s)
	strategytest.Await(t, ch, "127.0.0.1:7001", "127.0.0.2:7002", "127.0.0.3:7003")
	dnstest.Polls(t, s, 5)
	st := s.Stats()
	if st.Failures["AAAA REFUSED"] < 10 || st.Seeds != 3 || !strings.Contains(st.LastError, "REFUSED") {
		t.Fatalf("stats %+v: want both looked-up targets' AAAA refusals counted and 3 seeds", st)
	}
	if n := logs.Count(slog.LevelWarn); n != 1 {
		t.Fatalf("%d warnings for a streak of refused AAAA queries, want 1 (rate-limited): %q", n, logs.Lines())
	}
	if !strings.Contains(d.Log(), "query[AAAA] m1.meshd.test") {
		t.Fatalf("dnsmasq was not asked for m1's AAAA: %s", d.Log())
	}
}
