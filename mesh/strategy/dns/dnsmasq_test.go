package dns

import (
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/meshd/meshd/mesh/strategy/internal/dnstest"
	"github.com/meshd/meshd/mesh/strategy/internal/strategytest"
)

// TestDnsmasqRefusingAAAAFindsEveryMember runs the strategy against a real
// dnsmasq without upstream servers, which answers the A query of its names
// and REFUSED for their AAAA: every A record must still be a seed, the
// refusals counted by rcode and logged once.
func TestDnsmasqRefusingAAAAFindsEveryMember(t *testing.T) {
	d := dnstest.StartDnsmasq(t,
		"--host-record=meshd.test,127.0.0.1",
		"--host-record=meshd.test,127.0.0.2",
		"--host-record=meshd.test,127.0.0.3",
		"--address=/six.meshd.test/::1",
	)
	logs := &dnstest.LogCapture{}
	s, err := New(Config{Name: "meshd.test", Port: 7000, Resolver: d.Addr, Interval: 20 * time.Millisecond, Logger: slog.New(logs)})
	if err != nil {
		t.Fatal(err)
	}
	ch := strategytest.Run(t, s)
	strategytest.Await(t, ch, "127.0.0.1:7000", "127.0.0.2:7000", "127.0.0.3:7000")
	// A few more polls, all refused for AAAA.
	dnstest.Polls(t, s, 5)
	st := s.Stats()
	if st.Failures["AAAA REFUSED"] < 5 || st.Seeds != 3 || !strings.Contains(st.LastError, "REFUSED") {
		t.Fatalf("stats %+v: want the AAAA refusals counted and 3 seeds", st)
	}
	if n := logs.Count(slog.LevelWarn); n != 1 {
		t.Fatalf("%d warnings for a streak of refused AAAA queries, want 1 (rate-limited): %q", n, logs.Lines())
	}
	if !strings.Contains(d.Log(), "query[AAAA] meshd.test") {
		t.Fatalf("dnsmasq was not asked for AAAA: %s", d.Log())
	}

	// The mirror case: a name with only an AAAA record, whose A query is refused.
	s6, err := New(Config{Name: "six.meshd.test", Port: 7000, Resolver: d.Addr, Interval: 20 * time.Millisecond, Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		t.Fatal(err)
	}
	strategytest.Await(t, strategytest.Run(t, s6), "[::1]:7000")
	if st := s6.Stats(); st.Failures["A REFUSED"] == 0 {
		t.Fatalf("stats %+v: want the A refusal counted", st)
	}

	// family=ipv4 does not ask for AAAA at all: nothing fails.
	s4, err := New(Config{Name: "meshd.test", Port: 7000, Resolver: d.Addr, Family: FamilyIPv4, Interval: 20 * time.Millisecond, Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		t.Fatal(err)
	}
	strategytest.Await(t, strategytest.Run(t, s4), "127.0.0.1:7000", "127.0.0.2:7000", "127.0.0.3:7000")
	dnstest.Polls(t, s4, 2)
	if st := s4.Stats(); st.Errors != 0 || st.Failures != nil {
		t.Fatalf("family=ipv4: stats %+v, want no failure", st)
	}
}
