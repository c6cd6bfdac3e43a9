package harness

import (
	"context"
	"fmt"
	"slices"
	"time"
)

// Plan is what to measure.
type Plan struct {
	Systems   []System
	Scenarios []string // any of ScenarioOrder; run in that order
	Nodes     []int
	Runs      int
	Profile   Profile
	Params    Params
	// Seed makes victim choice, join targets and fault injection repeatable.
	Seed int64
}

// Validate names the first bad field of the plan.
func (p Plan) Validate() error {
	if len(p.Systems) == 0 {
		return fmt.Errorf("systems: none selected")
	}
	if len(p.Scenarios) == 0 {
		return fmt.Errorf("scenarios: none selected")
	}
	for _, s := range p.Scenarios {
		if !slices.Contains(ScenarioOrder, s) {
			return fmt.Errorf("scenarios: unknown %q (known: %v)", s, ScenarioOrder)
		}
	}
	if len(p.Nodes) == 0 {
		return fmt.Errorf("nodes: no cluster size given")
	}
	for _, n := range p.Nodes {
		if n < 2 || n > 1024 {
			return fmt.Errorf("nodes: %d, want 2 to 1024", n)
		}
		if slices.Contains(p.Scenarios, ScenarioDetect) && p.Params.Kill >= n {
			return fmt.Errorf("kill: %d nodes of %d leaves no survivor", p.Params.Kill, n)
		}
	}
	if p.Runs < 1 {
		return fmt.Errorf("runs: %d, want at least 1", p.Runs)
	}
	if err := p.Profile.Validate(); err != nil {
		return err
	}
	return p.Params.Validate()
}

// Progress is reported at every phase of a plan.
type Progress struct {
	Step, Steps int // measurements done, of all planned
	Nodes, Run  int // Run counts from 1
	Runs        int
	System      string
	Phase       string // scenario name, "build" or "teardown"
	Elapsed     time.Duration
}

// Run measures the plan: for each size, for each run, for each system in
// turn, one cluster on which the selected scenarios run in ScenarioOrder.
// Systems alternate within a run so that a slow spell of the shared machine
// hits all of them rather than one. Each measurement is passed to emit as
// soon as it is taken.
func Run(ctx context.Context, plan Plan, progress func(Progress), emit func(Measurement)) error {
	if err := plan.Validate(); err != nil {
		return err
	}
	var scen []string
	for _, s := range ScenarioOrder {
		if slices.Contains(plan.Scenarios, s) {
			scen = append(scen, s)
		}
	}
	began := time.Now()
	steps := len(plan.Nodes) * plan.Runs * len(plan.Systems) * len(scen)
	step := 0
	report := func(n, run int, sys, phase string) {
		if progress != nil {
			progress(Progress{Step: step, Steps: steps, Nodes: n, Run: run, Runs: plan.Runs,
				System: sys, Phase: phase, Elapsed: time.Since(began)})
		}
	}
	for _, n := range plan.Nodes {
		for run := 1; run <= plan.Runs; run++ {
			for si, sys := range plan.Systems {
				if err := ctx.Err(); err != nil {
					return err
				}
				seed := plan.Seed + int64(n)*1_000_000 + int64(run)*1_000 + int64(si)
				c := NewCluster(sys, plan.Profile, seed)
				// buildErr is set when the cluster never formed: later
				// scenarios on it are recorded as failed without waiting out
				// their own convergence deadlines.
				built, buildErr := false, ""
				for _, s := range scen {
					report(n, run, sys.Name(), s)
					var m Measurement
					if s == ScenarioJoin {
						m = Join(ctx, c, n, plan.Params)
						built = true
						if !m.OK {
							buildErr = "join: " + m.Error
						}
					} else {
						if !built {
							// Join was not selected: build the cluster unmeasured.
							report(n, run, sys.Name(), "build")
							b := Join(ctx, c, n, plan.Params)
							built = true
							if !b.OK {
								buildErr = "build: " + b.Error
							}
						}
						if buildErr != "" {
							m = Measurement{Scenario: s, Error: buildErr, Metrics: map[string]float64{}, Started: time.Now()}
						} else {
							m = runOne(ctx, c, s, plan.Params)
						}
					}
					m.System, m.Nodes, m.Run = sys.Name(), n, run
					step++
					emit(m)
				}
				report(n, run, sys.Name(), "teardown")
				if err := c.Close(); err != nil {
					return fmt.Errorf("%s N=%d run %d: %w", sys.Name(), n, run, err)
				}
			}
		}
	}
	report(0, 0, "", "done")
	return nil
}

func runOne(ctx context.Context, c *Cluster, s string, p Params) Measurement {
	switch s {
	case ScenarioSteady:
		return Steady(ctx, c, p)
	case ScenarioLoss:
		return Loss(ctx, c, p)
	case ScenarioChurn:
		return Churn(ctx, c, p)
	case ScenarioDetect:
		return Detect(ctx, c, p)
	}
	return Measurement{Scenario: s, Error: "unknown scenario"}
}
