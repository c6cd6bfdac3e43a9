package main

import (
	"bytes"
	"encoding/json"
	"image/png"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/meshd/meshd/bench/harness"
	"github.com/meshd/meshd/bench/internal/leakcheck"
)

func TestMain(m *testing.M) { leakcheck.Main(m) }

// TestSmoke runs the whole command once, tiny: every system, every
// scenario, 4 nodes, one run, the fast profile, short windows. It keeps the
// harness from rotting; it asserts the output contract, not the figures.
func TestSmoke(t *testing.T) {
	out := t.TempDir()
	var stdout, stderr bytes.Buffer
	args := []string{
		"--systems", "meshd,memberlist,serf", "--scenarios", "join,detect,loss,steady,churn",
		"--nodes", "4", "--runs", "1", "--profile", "fast", "--kill", "1",
		"--loss", "10", "--loss-time", "1s", "--window", "1s", "--settle", "200ms",
		"--churn-time", "1s", "--churn-every", "500ms", "--timeout", "30s", "--out", out,
	}
	if code := run(args, &stdout, &stderr); code != 0 {
		t.Fatalf("exit %d\nstdout: %s\nstderr: %s", code, stdout.String(), stderr.String())
	}
	if !strings.Contains(stderr.String(), "] done") {
		t.Errorf("no final progress line in stderr:\n%s", stderr.String())
	}

	raw, err := os.ReadFile(filepath.Join(out, "results.json"))
	if err != nil {
		t.Fatal(err)
	}
	// The contract, read as a consumer would: a list of flat rows.
	var rows []struct {
		System           string   `json:"system"`
		Scenario         string   `json:"scenario"`
		Nodes            int      `json:"nodes"`
		Seconds          *float64 `json:"seconds"`
		BytesPerNodePerS *float64 `json:"bytes_per_node_per_s"`
		FalsePositives   *float64 `json:"false_positives"`
		Runs             int      `json:"runs"`
		FailedRuns       int      `json:"failed_runs"`
		Errors           []string `json:"errors"`
	}
	if err := json.Unmarshal(raw, &rows); err != nil {
		t.Fatal(err)
	}
	seen := map[string]bool{}
	for _, r := range rows {
		seen[r.System+"/"+r.Scenario] = true
		if r.Nodes != 4 || r.Runs != 1 || r.Seconds == nil || r.BytesPerNodePerS == nil || r.FalsePositives == nil {
			t.Errorf("row %+v lacks contract fields", r)
		}
		if r.FailedRuns != 0 {
			t.Errorf("%s %s failed: %v", r.System, r.Scenario, r.Errors)
		}
	}
	for _, sys := range []string{"meshd", "memberlist", "serf"} {
		for _, scen := range harness.ScenarioOrder {
			if !seen[sys+"/"+scen] {
				t.Errorf("no row for %s %s", sys, scen)
			}
		}
	}

	md, err := os.ReadFile(filepath.Join(out, "report.md"))
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"## Goals", "## join", "## detect", "## loss", "## steady", "## churn", "ratio"} {
		if !bytes.Contains(md, []byte(want)) {
			t.Errorf("report.md lacks %q", want)
		}
	}
	pngs, _ := filepath.Glob(filepath.Join(out, "*.png"))
	if len(pngs) < 3 {
		t.Errorf("%d plots, want join convergence, steady bytes, steady timeline and detection", len(pngs))
	}
	for _, p := range pngs {
		f, err := os.Open(p)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := png.DecodeConfig(f); err != nil {
			t.Errorf("%s: %v", p, err)
		}
		f.Close()
	}

	// --rerender reproduces the report from the JSON alone.
	os.Remove(filepath.Join(out, "report.md"))
	stdout.Reset()
	if code := run([]string{"--rerender", out}, &stdout, &stderr); code != 0 {
		t.Fatalf("--rerender: exit %d: %s", code, stderr.String())
	}
	if again, err := os.ReadFile(filepath.Join(out, "report.md")); err != nil || !bytes.Equal(again, md) {
		t.Errorf("rerendered report differs (err %v)", err)
	}
}

func TestBadUsage(t *testing.T) {
	cases := map[string][]string{
		"--systems":   {"--systems", "meshd,consul"},
		"--scenarios": {"--scenarios", "join,jump"},
		"--nodes":     {"--nodes", "16,x"},
		"--loss":      {"--loss", "150"},
		"--profile":   {"--profile", "turbo"},
		"--set":       {"--set", "probe_interval=never"},
		"kill":        {"--nodes", "3", "--kill", "3"},
		"unexpected":  {"join"},
		"frobnicate":  {"--frobnicate"},
	}
	for name, args := range cases {
		var stdout, stderr bytes.Buffer
		if code := run(args, &stdout, &stderr); code != 2 {
			t.Errorf("%v: exit %d, want 2", args, code)
		}
		if strings.Count(strings.TrimSpace(stderr.String()), "\n") > 0 {
			t.Errorf("%v: %q, want one line", args, stderr.String())
		}
		if !strings.Contains(stderr.String(), strings.TrimPrefix(name, "--")) {
			t.Errorf("%v: message %q does not name %s", args, stderr.String(), name)
		}
	}
	var stdout, stderr bytes.Buffer
	if code := run([]string{"--help"}, &stdout, &stderr); code != 0 || !strings.Contains(stderr.String(), "example") {
		t.Errorf("--help: exit %d, output %q", code, stderr.String())
	}
	if code := run([]string{"--rerender", t.TempDir()}, &stdout, &stderr); code != 1 {
		t.Errorf("--rerender of an empty directory: exit %d, want 1", code)
	}
}

func TestParsers(t *testing.T) {
	if n, err := parseNodes(" 16, 64,128"); err != nil || len(n) != 3 || n[2] != 128 {
		t.Errorf("parseNodes = %v, %v", n, err)
	}
	for _, bad := range []string{"", "16,,64", "16,16", "1", "2000", "-4", strings.Repeat("2,", 100) + "2"} {
		if _, err := parseNodes(bad); err == nil {
			t.Errorf("parseNodes(%q): no error", bad)
		}
	}
	if x, err := parseLoss("2.5%"); err != nil || x != 0.025 {
		t.Errorf("parseLoss = %v, %v", x, err)
	}
	for _, bad := range []string{"", "NaN", "-1", "100", "ten"} {
		if _, err := parseLoss(bad); err == nil {
			t.Errorf("parseLoss(%q): no error", bad)
		}
	}
}

// FuzzParseFlagLists: the list and number parsers never panic and only
// return what they promise.
func FuzzParseFlagLists(f *testing.F) {
	for _, s := range []string{"16,64,128", "meshd,serf", " 4 ", "10", "2.5%", ",", ""} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		if items, err := parseList(s); err == nil {
			if len(items) == 0 || len(items) > maxListItems {
				t.Fatalf("parseList(%q) = %d items", s, len(items))
			}
		}
		if ns, err := parseNodes(s); err == nil {
			for _, n := range ns {
				if n < 2 || n > 1024 {
					t.Fatalf("parseNodes(%q) gave %d", s, n)
				}
			}
		}
		if x, err := parseLoss(s); err == nil && (x < 0 || x >= 1) {
			t.Fatalf("parseLoss(%q) = %v", s, x)
		}
	})
}
