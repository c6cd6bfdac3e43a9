package hashicorp

import (
	"context"
	"testing"
	"time"

	"github.com/meshd/meshd/bench/harness"
	"github.com/meshd/meshd/bench/internal/leakcheck"
)

func TestMain(m *testing.M) { leakcheck.Main(m) }

// quick is a short plan: every scenario on a few nodes with the fast profile.
func quick(sys harness.System) harness.Plan {
	p := harness.DefaultParams()
	p.Kill = 1
	p.LossDuration = 2 * time.Second
	p.Settle = 500 * time.Millisecond
	p.Window = 2 * time.Second
	p.ChurnTime = 2 * time.Second
	p.ChurnEvery = time.Second
	p.Timeout = 30 * time.Second
	return harness.Plan{
		Systems: []harness.System{sys}, Scenarios: harness.ScenarioOrder,
		Nodes: []int{5}, Runs: 1, Profile: harness.Profiles["fast"], Params: p, Seed: 1,
	}
}

func runQuick(t *testing.T, sys harness.System) map[string]harness.Measurement {
	t.Helper()
	got := map[string]harness.Measurement{}
	err := harness.Run(context.Background(), quick(sys), nil, func(m harness.Measurement) {
		got[m.Scenario] = m
		t.Logf("%s %s ok=%v err=%q %v", m.System, m.Scenario, m.OK, m.Error, m.Metrics)
	})
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range harness.ScenarioOrder {
		m, ok := got[s]
		if !ok {
			t.Fatalf("%s: no measurement", s)
		}
		if !m.OK {
			t.Errorf("%s: %s", s, m.Error)
		}
	}
	return got
}

func TestMemberlistScenarios(t *testing.T) {
	got := runQuick(t, Memberlist{})
	if b := got[harness.ScenarioSteady].Metrics[harness.MetricBytes]; b <= 0 {
		t.Errorf("steady bytes per node per second = %v, want > 0 (probes are sent every interval)", b)
	}
	if s := got[harness.ScenarioDetect].Metrics[harness.MetricSeconds]; s <= 0 {
		t.Errorf("detect seconds = %v, want > 0", s)
	}
}

func TestSerfScenarios(t *testing.T) {
	runQuick(t, Serf{})
}

// TestSnifferOnRealTraffic: every datagram memberlist and serf really send
// decodes cleanly, and the suspicion of a killed node is seen before its
// failure is declared.
func TestSnifferOnRealTraffic(t *testing.T) {
	for _, sys := range []harness.System{Memberlist{}, Serf{}} {
		t.Run(sys.Name(), func(t *testing.T) {
			ctx := context.Background()
			p := quick(sys).Params
			c := harness.NewCluster(sys, harness.Profiles["fast"], 7)
			defer c.Close()
			if m := harness.Join(ctx, c, 4, p); !m.OK {
				t.Fatal(m.Error)
			}
			c.StartPolling(p.Poll)
			victim := c.Live()[3]
			w := c.Tracker().WatchSubjects([]string{victim.Name()}, false)
			start := time.Now()
			if err := c.Kill(victim, start); err != nil {
				t.Fatal(err)
			}
			if !c.Await(ctx, w, 30*time.Second) {
				t.Fatal("victim never declared failed")
			}
			d := c.Tracker().Detection([]string{victim.Name()}, start)
			if d.FirstSuspect.IsZero() || d.FirstSuspect.After(d.FirstFail) {
				t.Errorf("first suspicion %v, first failure %v: want a suspicion before the failure", d.FirstSuspect, d.FirstFail)
			}
			for _, n := range c.Live() {
				var tr *Transport
				switch n := n.(type) {
				case *mlNode:
					tr = n.t
				case *serfNode:
					tr = n.t
				}
				if bad := tr.Malformed(); bad != 0 {
					t.Errorf("%s: %d datagrams did not decode", n.Name(), bad)
				}
			}
		})
	}
}
