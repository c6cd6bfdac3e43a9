package report

import (
	"fmt"
	"math"
)

// The goals the benchmark checks meshd against, each a ratio to memberlist
// measured in the same run.
const (
	GoalJoinRatio   = 0.5  // join convergence at the largest N
	GoalDetectRatio = 1.0  // detection by every survivor, at every N
	GoalSteadyRatio = 0.5  // steady bytes per node per second at the largest N
	GoalSteadyFlat  = 1.25 // steady bytes at the largest N over the smallest
)

// Goal is one checked goal.
type Goal struct {
	Name     string
	Target   string
	Measured string
	Met      bool
	// Known is false when the results lack what the goal needs.
	Known bool
}

// Goals evaluates the goals for system (meshd) from rows.
func Goals(rows []Row, system string) []Goal {
	find := func(sys, scen string, n int) (Row, bool) {
		for _, r := range rows {
			if r.System == sys && r.Scenario == scen && r.Nodes == n {
				return r, true
			}
		}
		return Row{}, false
	}
	sizes := func(scen string) []int {
		var ns []int
		for _, r := range rows {
			if r.System == system && r.Scenario == scen {
				if _, ok := find(Baseline, scen, r.Nodes); ok {
					ns = append(ns, r.Nodes)
				}
			}
		}
		return ns
	}
	ratio := func(scen, metric string, n int) (float64, bool) {
		r, ok := find(system, scen, n)
		b, okb := find(Baseline, scen, n)
		if !ok || !okb {
			return 0, false
		}
		s, bs := r.Stats[metric], b.Stats[metric]
		if bs.N == 0 || s.N == 0 || bs.Median == 0 {
			return 0, false
		}
		return s.Median / bs.Median, true
	}
	var goals []Goal

	// Join at the largest N.
	g := Goal{Name: "join convergence at the largest N", Target: fmt.Sprintf("<= %.2fx memberlist", GoalJoinRatio)}
	if ns := sizes("join"); len(ns) > 0 {
		n := maxInt(ns)
		if x, ok := ratio("join", "seconds", n); ok {
			g.Known, g.Met = true, x <= GoalJoinRatio
			g.Measured = fmt.Sprintf("%.3fx at N=%d", x, n)
		}
	}
	goals = append(goals, g)

	// Detection at every N: the worst ratio decides.
	g = Goal{Name: "detection (every survivor) at every N", Target: fmt.Sprintf("<= %.2fx memberlist", GoalDetectRatio)}
	worst, worstN := math.Inf(-1), 0
	for _, n := range sizes("detect") {
		if x, ok := ratio("detect", "seconds", n); ok && x > worst {
			worst, worstN = x, n
		}
	}
	if worstN > 0 {
		g.Known, g.Met = true, worst <= GoalDetectRatio
		g.Measured = fmt.Sprintf("worst %.3fx at N=%d", worst, worstN)
	}
	goals = append(goals, g)

	// False positives under loss: never more than memberlist's, ideally 0.
	g = Goal{Name: "false positives under loss, at every N", Target: "<= memberlist's (ideally 0)"}
	met, known := true, false
	var parts string
	for _, n := range sizes("loss") {
		r, _ := find(system, "loss", n)
		b, _ := find(Baseline, "loss", n)
		rs, bs := r.Stats["false_positives"], b.Stats["false_positives"]
		if rs.N == 0 || bs.N == 0 {
			continue
		}
		known = true
		if rs.Median > bs.Median {
			met = false
		}
		parts += fmt.Sprintf("N=%d: %g vs %g (max %g vs %g); ", n, rs.Median, bs.Median, rs.Max, bs.Max)
	}
	if known {
		g.Known, g.Met, g.Measured = true, met, "median "+trimSep(parts)
	}
	goals = append(goals, g)

	// Steady bytes at the largest N, and flat in N.
	g = Goal{Name: "steady bytes per node per second at the largest N", Target: fmt.Sprintf("<= %.2fx memberlist", GoalSteadyRatio)}
	ns := sizes("steady")
	if len(ns) > 0 {
		n := maxInt(ns)
		if x, ok := ratio("steady", "bytes_per_node_per_s", n); ok {
			g.Known, g.Met = true, x <= GoalSteadyRatio
			g.Measured = fmt.Sprintf("%.3fx at N=%d", x, n)
		}
	}
	goals = append(goals, g)
	g = Goal{Name: "steady bytes per node per second flat as N grows", Target: fmt.Sprintf("largest N / smallest N <= %.2f", GoalSteadyFlat)}
	if len(ns) > 1 {
		lo, _ := find(system, "steady", minInt(ns))
		hi, _ := find(system, "steady", maxInt(ns))
		if a, b := lo.Stats["bytes_per_node_per_s"], hi.Stats["bytes_per_node_per_s"]; a.N > 0 && b.N > 0 && a.Median > 0 {
			x := b.Median / a.Median
			g.Known, g.Met = true, x <= GoalSteadyFlat
			g.Measured = fmt.Sprintf("%.0f B at N=%d, %.0f B at N=%d: %.2f", a.Median, minInt(ns), b.Median, maxInt(ns), x)
		}
	}
	goals = append(goals, g)
	return goals
}

func maxInt(xs []int) int {
	m := xs[0]
	for _, x := range xs {
		m = max(m, x)
	}
	return m
}

func minInt(xs []int) int {
	m := xs[0]
	for _, x := range xs {
		m = min(m, x)
	}
	return m
}

func trimSep(s string) string {
	if len(s) >= 2 && s[len(s)-2:] == "; " {
		return s[:len(s)-2]
	}
	return s
}
