package simulator

import (
	"bytes"
	"encoding/csv"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func writeScenario(t *testing.T, src string) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), "s.yaml")
	if err := os.WriteFile(p, []byte(strings.TrimLeft(src, "\n")), 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

func runMain(args ...string) (code int, stdout, stderr string) {
	var o, e bytes.Buffer
	code = Main(args, &o, &e)
	return code, o.String(), e.String()
}

func TestMainWritesOutputs(t *testing.T) {
	path := writeScenario(t, `
name: cli
nodes: 30
duration: 20s
events:
  - at: 8s
    crash: 3
  - at: 12s
    loss: 5%
`)
	out := filepath.Join(t.TempDir(), "out")
	code, stdout, stderr := runMain(path, "--seed", "7", "--out", out)
	if code != 0 {
		t.Fatalf("exit %d\nstdout:\n%s\nstderr:\n%s", code, stdout, stderr)
	}
	for _, want := range []string{"converged", "false positives", "crashes", "trace hash", "crash 3 (1 nodes)", "wrote "} {
		if !strings.Contains(stdout, want) {
			t.Errorf("summary table lacks %q:\n%s", want, stdout)
		}
	}
	if !strings.Contains(stderr, "simulated") {
		t.Errorf("no progress on stderr: %q", stderr)
	}

	data, err := os.ReadFile(filepath.Join(out, "summary.json"))
	if err != nil {
		t.Fatal(err)
	}
	var sum map[string]any
	if err := json.Unmarshal(data, &sum); err != nil {
		t.Fatal(err)
	}
	for _, k := range []string{"nodes", "seed", "converged_at_s", "false_positives", "messages", "bytes", "trace_hash"} {
		if _, ok := sum[k]; !ok {
			t.Errorf("summary.json lacks the contract field %q", k)
		}
	}
	if sum["nodes"].(float64) != 30 || sum["seed"].(float64) != 7 {
		t.Errorf("summary nodes %v seed %v", sum["nodes"], sum["seed"])
	}
	if h, _ := sum["trace_hash"].(string); len(h) != 16 || !strings.Contains(stdout, h) {
		t.Errorf("trace hash %q not in the table", h)
	}

	fh, err := os.Open(filepath.Join(out, "timeline.csv"))
	if err != nil {
		t.Fatal(err)
	}
	defer fh.Close()
	rows, err := csv.NewReader(fh).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	if len(rows) < 100 || strings.Join(rows[0], ",") != strings.Join(timelineHeader, ",") {
		t.Fatalf("timeline.csv: %d rows, header %v", len(rows), rows[0])
	}
	marked := false
	for _, r := range rows {
		marked = marked || strings.Contains(r[len(r)-1], "crash 3")
	}
	if !marked {
		t.Error("timeline.csv does not mark the crash")
	}
	for _, png := range []string{"convergence.png", "traffic.png"} {
		b, err := os.ReadFile(filepath.Join(out, png))
		if err != nil || !bytes.HasPrefix(b, []byte("\x89PNG")) || len(b) < 5000 {
			t.Errorf("%s: %d bytes, %v", png, len(b), err)
		}
	}

	// Same scenario and seed: same trace hash, from the command too.
	_, again, _ := runMain(path, "--seed", "7", "--quiet")
	if !strings.Contains(again, sum["trace_hash"].(string)) {
		t.Error("second run printed another trace hash")
	}
}

func TestMainRejects(t *testing.T) {
	bad := writeScenario(t, "nodes: 10\nduration: 10s\nevents:\n  - at: 5s\n    crash: 12\n")
	good := writeScenario(t, "nodes: 10\nduration: 10s\n")
	cases := []struct {
		args []string
		code int
		want string
	}{
		{[]string{bad}, 2, "s.yaml:5: events[0].crash: node 12 does not exist"},
		{[]string{}, 2, "exactly one scenario"},
		{[]string{"a.yaml", "b.yaml"}, 2, "exactly one scenario"},
		{[]string{"/nonexistent/x.yaml"}, 2, "no such file"},
		{[]string{good, "--seed", "x"}, 2, "--seed"},
		{[]string{good, "--bogus"}, 2, "flag provided but not defined"},
		{[]string{good, "--nodes", "50"}, 2, "short form"},
		{[]string{good, "--max-heap", "lots"}, 2, "--max-heap"},
	}
	for _, c := range cases {
		code, _, stderr := runMain(c.args...)
		if code != c.code || !strings.Contains(stderr, c.want) {
			t.Errorf("meshd sim %v: exit %d, stderr %q; want %d and %q", c.args, code, stderr, c.code, c.want)
		}
	}
}

func TestMainHelp(t *testing.T) {
	code, stdout, _ := runMain("--help")
	if code != 0 || !strings.Contains(stdout, "usage: meshd sim SCENARIO.yaml") || !strings.Contains(stdout, "-seed") {
		t.Fatalf("help: exit %d\n%s", code, stdout)
	}
}

func TestMainShortFormAndHeapCeiling(t *testing.T) {
	path := filepath.Join("..", "examples", "sim", "partition-heal-2000.yaml")
	code, stdout, stderr := runMain(path, "--nodes", "40", "--duration", "20s", "--quiet")
	if code != 0 || !strings.Contains(stdout, "40 nodes") || !strings.Contains(stdout, "20.000s simulated") {
		t.Fatalf("short form: exit %d\n%s\n%s", code, stdout, stderr)
	}
	// A ceiling far below what the run needs stops it early, reporting how
	// far it got instead of failing.
	code, stdout, stderr = runMain(path, "--nodes", "200", "--max-heap", "1MiB", "--quiet")
	if code != 0 || !strings.Contains(stdout, "ABORTED") || !strings.Contains(stdout, "peak live heap") {
		t.Fatalf("heap ceiling: exit %d\n%s\n%s", code, stdout, stderr)
	}
}

func TestParseSize(t *testing.T) {
	for in, want := range map[string]uint64{"14GiB": 14 << 30, "512MiB": 512 << 20, "2G": 2 << 30, "1000": 1000, "1.5K": 1536} {
		if got, err := parseSize(in); err != nil || got != want {
			t.Errorf("parseSize(%q) = %d, %v; want %d", in, got, err, want)
		}
	}
	for _, bad := range []string{"", "x", "-1G", "0", "1e30"} {
		if _, err := parseSize(bad); err == nil {
			t.Errorf("parseSize(%q) accepted", bad)
		}
	}
}
