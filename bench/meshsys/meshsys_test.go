package meshsys

import (
	"context"
	"testing"
	"time"

	"github.com/meshd/meshd/bench/harness"
	"github.com/meshd/meshd/bench/internal/leakcheck"
)

func TestMain(m *testing.M) { leakcheck.Main(m) }

// TestScenarios runs every scenario once on five meshd nodes with the fast
// profile: the harness and the engine agree on the API and on what the
// events mean.
func TestScenarios(t *testing.T) {
	p := harness.DefaultParams()
	p.Kill = 1
	p.LossDuration = 2 * time.Second
	p.Settle = 500 * time.Millisecond
	p.Window = 2 * time.Second
	p.ChurnTime = 2 * time.Second
	p.ChurnEvery = time.Second
	p.Timeout = 30 * time.Second
	plan := harness.Plan{
		Systems: []harness.System{System{}}, Scenarios: harness.ScenarioOrder,
		Nodes: []int{5}, Runs: 1, Profile: harness.Profiles["fast"], Params: p, Seed: 1,
	}
	got := map[string]harness.Measurement{}
	err := harness.Run(context.Background(), plan, nil, func(m harness.Measurement) {
		got[m.Scenario] = m
		t.Logf("%s ok=%v err=%q %v", m.Scenario, m.OK, m.Error, m.Metrics)
	})
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range harness.ScenarioOrder {
		if m, ok := got[s]; !ok || !m.OK {
			t.Errorf("%s: %+v", s, m)
		}
	}
	if b := got[harness.ScenarioSteady].Metrics[harness.MetricBytes]; b <= 0 {
		t.Errorf("steady bytes per node per second = %v, want > 0", b)
	}
	d := got[harness.ScenarioDetect].Metrics
	if d[harness.MetricFirstSuspect] > d[harness.MetricFirstFail] {
		t.Errorf("first suspicion %v s after first failure %v s", d[harness.MetricFirstSuspect], d[harness.MetricFirstFail])
	}
}

// TestByteCountsAgree: the engine's BytesOut and the transport's count of
// the datagrams it was handed describe the same traffic.
func TestByteCountsAgree(t *testing.T) {
	c := harness.NewCluster(System{}, harness.Profiles["fast"], 3)
	defer c.Close()
	p := harness.DefaultParams()
	p.Timeout = 30 * time.Second
	if m := harness.Join(context.Background(), c, 4, p); !m.OK {
		t.Fatal(m.Error)
	}
	time.Sleep(time.Second)
	for _, hn := range c.Live() {
		n := hn.(*node)
		engine, counted := n.EngineBytes(), n.counted.bytes.Load()
		if engine == 0 || counted == 0 {
			t.Errorf("%s: engine %d bytes, transport %d: want both > 0", n.name, engine, counted)
			continue
		}
		// Reads are not atomic with each other; allow a few packets' drift.
		if diff := int64(engine) - int64(counted); diff > 4096 || diff < -4096 {
			t.Errorf("%s: engine counted %d bytes, transport %d", n.name, engine, counted)
		}
	}
}

// TestTrackerAgreesWithViews: when the tracker, built from events, says the
// cluster converged, every node's own member list says so too.
func TestTrackerAgreesWithViews(t *testing.T) {
	c := harness.NewCluster(System{}, harness.Profiles["fast"], 5)
	defer c.Close()
	p := harness.DefaultParams()
	p.Timeout = 30 * time.Second
	const n = 6
	if m := harness.Join(context.Background(), c, n, p); !m.OK {
		t.Fatal(m.Error)
	}
	for _, hn := range c.Live() {
		alive := 0
		for _, v := range hn.(*node).view() {
			if v.State == harness.ViewAlive {
				alive++
			}
		}
		if alive != n {
			t.Errorf("%s: its member list shows %d alive, the tracker said all %d", hn.Name(), alive, n)
		}
	}
}
