package report

import (
	"bytes"
	"image/png"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/meshd/meshd/bench/harness"
)

// measurement builds one synthetic measurement.
func measurement(sys, scen string, n, run int, ok bool, metrics map[string]float64) harness.Measurement {
	m := harness.Measurement{System: sys, Scenario: scen, Nodes: n, Run: run, OK: ok, Metrics: metrics}
	if !ok {
		m.Error = "not converged"
	}
	return m
}

// sample is a small benchmark: meshd beats memberlist on join and bytes,
// loses on detection at N=16, and has one failed join run.
func sample() []harness.Measurement {
	var ms []harness.Measurement
	for run := 1; run <= 3; run++ {
		r := float64(run)
		for _, n := range []int{16, 64} {
			nn := float64(n)
			ms = append(ms,
				measurement("memberlist", "join", n, run, true, map[string]float64{"seconds": 2 + r, "bytes_per_node_per_s": 1000}),
				measurement("meshd", "join", n, run, run != 3, map[string]float64{"seconds": 0.5 + r/10, "bytes_per_node_per_s": 500}),
				measurement("memberlist", "detect", n, run, true, map[string]float64{"seconds": 8, "first_suspect_s": 1, "false_positives": 0}),
				measurement("meshd", "detect", n, run, true, map[string]float64{"seconds": 8 + 8/nn*10, "first_suspect_s": 0.9, "false_positives": 0}),
				measurement("memberlist", "loss", n, run, true, map[string]float64{"seconds": 1, "false_positives": 2}),
				measurement("meshd", "loss", n, run, true, map[string]float64{"seconds": 0, "false_positives": 0}),
				measurement("memberlist", "steady", n, run, true, map[string]float64{"seconds": 30, "bytes_per_node_per_s": 100 + nn/10}),
				measurement("meshd", "steady", n, run, true, map[string]float64{"seconds": 30, "bytes_per_node_per_s": 40}),
			)
		}
	}
	ms[0].Series = []harness.Point{{X: 0, Y: 0.1}, {X: 1, Y: 0.6}, {X: 3, Y: 1}}
	ms[1].Series = []harness.Point{{X: 0, Y: 0.1}, {X: 0.6, Y: 1}}
	ms[6].Timeline = []harness.Point{{X: 1, Y: 90}, {X: 2, Y: 120}}
	return ms
}

func find(t *testing.T, rows []Row, sys, scen string, n int) Row {
	t.Helper()
	for _, r := range rows {
		if r.System == sys && r.Scenario == scen && r.Nodes == n {
			return r
		}
	}
	t.Fatalf("no row %s %s %d", sys, scen, n)
	return Row{}
}

func TestRowsAggregateAndRatio(t *testing.T) {
	rows := Rows(sample())
	if len(rows) != 16 {
		t.Fatalf("%d rows, want 16", len(rows))
	}
	if rows[0].System != Baseline || rows[0].Scenario != "join" || rows[0].Nodes != 16 {
		t.Fatalf("first row %s %s %d, want memberlist join 16", rows[0].System, rows[0].Scenario, rows[0].Nodes)
	}
	j := find(t, rows, "meshd", "join", 64)
	if j.Runs != 3 || j.FailedRuns != 1 || len(j.Errors) != 1 || len(j.Samples) != 3 {
		t.Fatalf("meshd join: %+v", j)
	}
	if j.Seconds != 0.7 || j.Stats["seconds"].Min != 0.6 || j.Stats["seconds"].Max != 0.8 {
		t.Fatalf("meshd join seconds: %v %+v", j.Seconds, j.Stats["seconds"])
	}
	if r := j.Ratio["seconds"]; r < 0.174 || r > 0.176 { // 0.7 / 4
		t.Fatalf("ratio = %v, want 0.175", r)
	}
	// Zero baselines give no ratio rather than Inf.
	if _, ok := find(t, rows, "meshd", "detect", 16).Ratio["false_positives"]; ok {
		t.Fatal("ratio against a zero baseline")
	}
}

func TestGoals(t *testing.T) {
	goals := Goals(Rows(sample()), "meshd")
	want := map[string]bool{
		"join convergence at the largest N":                 true,
		"detection (every survivor) at every N":             false, // 1.62x at N=16
		"false positives under loss, at every N":            true,
		"steady bytes per node per second at the largest N": true,
		"steady bytes per node per second flat as N grows":  true,
	}
	for _, g := range goals {
		w, ok := want[g.Name]
		if !ok {
			t.Errorf("unexpected goal %q", g.Name)
			continue
		}
		if !g.Known || g.Met != w {
			t.Errorf("%s: known=%v met=%v (%s), want met=%v", g.Name, g.Known, g.Met, g.Measured, w)
		}
	}
	if g := goals[1]; !strings.Contains(g.Measured, "N=16") {
		t.Errorf("detection goal does not name the worst N: %q", g.Measured)
	}
}

func TestWriteLoadRender(t *testing.T) {
	dir := t.TempDir()
	ms := sample()
	res := Results{
		Meta: Meta{Command: "go run ./bench --runs 3", Date: time.Now(), Machine: Machine{CPUs: 2, GoVersion: "go1.26", OS: "linux", Arch: "amd64"},
			Profile: "lan", Timings: map[string]string{"probe_interval": "1s"}, Runs: 3},
		Rows: Rows(ms), Series: SeriesOf(ms),
	}
	if err := Write(dir, res); err != nil {
		t.Fatal(err)
	}
	md, err := os.ReadFile(filepath.Join(dir, FileReport))
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"## Goals", "| 64 | meshd | 0.70 s (0.60–0.80) | 0.17x |", "**missed**", "## steady", "steady-bytes.png", "go run ./bench --runs 3", "## Failed runs"} {
		if !bytes.Contains(md, []byte(want)) {
			t.Errorf("report.md lacks %q", want)
		}
	}
	for _, name := range []string{"join-convergence-N16.png", "steady-bytes.png", "steady-timeline-N16.png", "detect-seconds.png"} {
		f, err := os.Open(filepath.Join(dir, name))
		if err != nil {
			t.Error(err)
			continue
		}
		if _, err := png.DecodeConfig(f); err != nil {
			t.Errorf("%s: %v", name, err)
		}
		f.Close()
	}
	back, err := Load(dir)
	if err != nil {
		t.Fatal(err)
	}
	if len(back.Rows) != len(res.Rows) || back.Meta.Command != res.Meta.Command || len(back.Series) != len(res.Series) {
		t.Fatalf("round trip lost data: %d rows, %d series, meta %+v", len(back.Rows), len(back.Series), back.Meta)
	}
	// The contract's fields are there under their names.
	raw, _ := os.ReadFile(filepath.Join(dir, FileResults))
	for _, key := range []string{`"system"`, `"scenario"`, `"nodes"`, `"seconds"`, `"bytes_per_node_per_s"`, `"false_positives"`, `"runs"`} {
		if !bytes.Contains(raw, []byte(key)) {
			t.Errorf("results.json lacks %s", key)
		}
	}
}

func TestLoadRejectsBadResults(t *testing.T) {
	for name, body := range map[string]string{
		"not json":       "{",
		"object":         `{"system":"x"}`,
		"trailing":       `[] []`,
		"empty system":   `[{"system":"","scenario":"join","nodes":4,"runs":1}]`,
		"negative nodes": `[{"system":"meshd","scenario":"join","nodes":-4,"runs":1}]`,
		"failed > runs":  `[{"system":"meshd","scenario":"join","nodes":4,"runs":1,"failed_runs":2}]`,
	} {
		dir := t.TempDir()
		if err := os.WriteFile(filepath.Join(dir, FileResults), []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
		if _, err := Load(dir); err == nil {
			t.Errorf("%s: no error", name)
		} else if !strings.Contains(err.Error(), FileResults) {
			t.Errorf("%s: error %q does not name the file", name, err)
		}
	}
}

// FuzzParseResults: results.json is read back by --rerender, possibly from
// a file someone edited; no input may panic or allocate without bound.
func FuzzParseResults(f *testing.F) {
	f.Add([]byte(`[{"system":"meshd","scenario":"join","nodes":16,"seconds":1.5,"bytes_per_node_per_s":100,"false_positives":0,"runs":5,"stats":{"seconds":{"n":5,"median":1.5}}}]`))
	f.Add([]byte(`[]`))
	f.Add([]byte(`[{"system":"a","scenario":"b","nodes":1e300}]`))
	f.Fuzz(func(t *testing.T, data []byte) {
		var rows []Row
		if err := ParseJSON(data, &rows); err != nil {
			return
		}
		if err := validateRows(rows); err != nil {
			return
		}
		var buf bytes.Buffer
		if err := Render(&buf, Results{Rows: rows}, nil); err != nil {
			t.Fatal(err)
		}
		Goals(rows, "meshd")
	})
}

func TestMerge(t *testing.T) {
	var small, large []harness.Measurement
	for _, m := range sample() {
		if m.Nodes == 16 {
			small = append(small, m)
		} else {
			large = append(large, m)
		}
	}
	a := Results{Meta: Meta{Command: "a", Nodes: []int{16}}, Rows: Rows(small), Series: SeriesOf(small)}
	b := Results{Meta: Meta{Command: "b", Nodes: []int{64}}, Rows: Rows(large), Series: SeriesOf(large)}
	m, err := Merge([]Results{a, b})
	if err != nil {
		t.Fatal(err)
	}
	if len(m.Rows) != 16 || len(m.Meta.Nodes) != 2 || !strings.Contains(m.Meta.Command, "and: b") {
		t.Fatalf("merged %d rows, meta %+v", len(m.Rows), m.Meta)
	}
	if len(Goals(m.Rows, "meshd")) == 0 {
		t.Fatal("no goals from merged rows")
	}
	if _, err := Merge([]Results{a, a}); err == nil || !strings.Contains(err.Error(), "N=16") {
		t.Fatalf("merging a size twice: %v", err)
	}
}
