package hashicorp

import (
	"context"
	"fmt"
	"os"
	"testing"
	"time"

	"go.uber.org/goleak"

	"github.com/meshd/meshd/bench/harness"
)

func TestMain(m *testing.M) {
	code := m.Run()
	if code == 0 {
		if err := settledLeaks(10 * time.Second); err != nil {
			fmt.Fprintln(os.Stderr, "goleak:", err)
			code = 1
		}
	}
	os.Exit(code)
}

// settledLeaks is goleak.Find with patience: memberlist's probe goroutine
// outlives Shutdown until its ack timer fires, one probe interval stretched
// by Lifeguard's local health up to 8x, longer than goleak's own ~1 s of
// retries. It must still end by itself within the wait.
func settledLeaks(wait time.Duration) error {
	deadline := time.Now().Add(wait)
	for {
		err := goleak.Find()
		if err == nil || time.Now().After(deadline) {
			return err
		}
		time.Sleep(100 * time.Millisecond)
	}
}

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
