package report

import (
	"math"
	"slices"
	"sort"

	"github.com/meshd/meshd/bench/harness"
)

// Baseline is the system every ratio is taken against.
const Baseline = "memberlist"

// Row is one line of results.json: one system, scenario and cluster size,
// over all runs. The first seven fields are the contract; the rest is
// detail. Headline values are medians over every run that produced the
// metric, failed runs included (a run that timed out contributes its
// deadline, a lower bound, rather than vanishing from the statistics).
type Row struct {
	System           string  `json:"system"`
	Scenario         string  `json:"scenario"`
	Nodes            int     `json:"nodes"`
	Seconds          float64 `json:"seconds"`
	BytesPerNodePerS float64 `json:"bytes_per_node_per_s"`
	FalsePositives   float64 `json:"false_positives"`
	Runs             int     `json:"runs"`

	FailedRuns int      `json:"failed_runs"`
	Errors     []string `json:"errors,omitempty"`
	// Stats summarises every metric over the runs.
	Stats map[string]Summary `json:"stats"`
	// Ratio is this row's median over the baseline's median, per metric,
	// where the baseline's median is not zero.
	Ratio   map[string]float64 `json:"ratio_to_memberlist,omitempty"`
	Samples []Sample           `json:"samples"`
}

// Summary is harness.Summary without NaN, which JSON cannot hold.
type Summary struct {
	N      int     `json:"n"`
	Median float64 `json:"median"`
	Min    float64 `json:"min"`
	Max    float64 `json:"max"`
	P90    float64 `json:"p90"`
	Mean   float64 `json:"mean"`
}

// Sample is one run's measurement in a row.
type Sample struct {
	Run     int                `json:"run"`
	OK      bool               `json:"ok"`
	Error   string             `json:"error,omitempty"`
	Metrics map[string]float64 `json:"metrics"`
}

// maxErrors bounds the distinct error texts kept per row.
const maxErrors = 5

// Rows aggregates measurements into rows, sorted by scenario (in the
// harness's order), nodes, then system with the baseline first.
func Rows(ms []harness.Measurement) []Row {
	type key struct {
		sys, scen string
		n         int
	}
	groups := map[key][]harness.Measurement{}
	for _, m := range ms {
		k := key{m.System, m.Scenario, m.Nodes}
		groups[k] = append(groups[k], m)
	}
	rows := make([]Row, 0, len(groups))
	for k, g := range groups {
		rows = append(rows, makeRow(k.sys, k.scen, k.n, g))
	}
	SortRows(rows)
	addRatios(rows)
	return rows
}

func makeRow(sys, scen string, n int, g []harness.Measurement) Row {
	sort.Slice(g, func(i, j int) bool { return g[i].Run < g[j].Run })
	r := Row{System: sys, Scenario: scen, Nodes: n, Runs: len(g), Stats: map[string]Summary{}}
	values := map[string][]float64{}
	for _, m := range g {
		if !m.OK {
			r.FailedRuns++
			if m.Error != "" && !slices.Contains(r.Errors, m.Error) && len(r.Errors) < maxErrors {
				r.Errors = append(r.Errors, m.Error)
			}
		}
		r.Samples = append(r.Samples, Sample{Run: m.Run, OK: m.OK, Error: m.Error, Metrics: finite(m.Metrics)})
		for k, v := range m.Metrics {
			if !math.IsNaN(v) && !math.IsInf(v, 0) {
				values[k] = append(values[k], v)
			}
		}
	}
	for k, vs := range values {
		s := harness.Summarize(vs)
		r.Stats[k] = Summary{N: s.N, Median: s.Median, Min: s.Min, Max: s.Max, P90: s.P90, Mean: s.Mean}
	}
	r.Seconds = r.Stats[harness.MetricSeconds].Median
	r.BytesPerNodePerS = r.Stats[harness.MetricBytes].Median
	r.FalsePositives = r.Stats[harness.MetricFalsePositives].Median
	return r
}

func finite(m map[string]float64) map[string]float64 {
	out := make(map[string]float64, len(m))
	for k, v := range m {
		if !math.IsNaN(v) && !math.IsInf(v, 0) {
			out[k] = v
		}
	}
	return out
}

func addRatios(rows []Row) {
	base := map[[2]any]Row{}
	for _, r := range rows {
		if r.System == Baseline {
			base[[2]any{r.Scenario, r.Nodes}] = r
		}
	}
	for i := range rows {
		b, ok := base[[2]any{rows[i].Scenario, rows[i].Nodes}]
		if !ok {
			continue
		}
		for k, s := range rows[i].Stats {
			bs, ok := b.Stats[k]
			if !ok || bs.Median == 0 {
				continue
			}
			if rows[i].Ratio == nil {
				rows[i].Ratio = map[string]float64{}
			}
			rows[i].Ratio[k] = s.Median / bs.Median
		}
	}
}

// SortRows orders rows by scenario (harness order), nodes, then system
// with the baseline first and the others by name.
func SortRows(rows []Row) {
	scenIdx := func(s string) int {
		if i := slices.Index(harness.ScenarioOrder, s); i >= 0 {
			return i
		}
		return len(harness.ScenarioOrder)
	}
	sysIdx := func(s string) string {
		if s == Baseline {
			return ""
		}
		return s
	}
	sort.SliceStable(rows, func(i, j int) bool {
		a, b := rows[i], rows[j]
		if scenIdx(a.Scenario) != scenIdx(b.Scenario) {
			return scenIdx(a.Scenario) < scenIdx(b.Scenario)
		}
		if a.Nodes != b.Nodes {
			return a.Nodes < b.Nodes
		}
		return sysIdx(a.System) < sysIdx(b.System)
	})
}
