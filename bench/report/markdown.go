package report

import (
	"fmt"
	"io"
	"math"
	"slices"
	"sort"
	"strings"
)

// column is one metric shown in a scenario's table.
type column struct {
	header string
	metric string
	unit   string // "s", "B", "" (a count)
	ratio  bool   // add a ratio-to-memberlist column after it
}

// section is one scenario's table.
type section struct {
	scenario string
	title    string
	explain  string
	cols     []column
}

var sections = []section{
	{"join", "join: N nodes join through one seed",
		"Seconds from the first Join until every node believes all N alive (nodes are started and joined one after another, so this includes starting them). `99% pairs` is when 99% of the N² (observer, member) pairs were alive: gossip's speed without the last stragglers. `after last` starts at the last Join's return. Bytes are per node per second during the join.",
		[]column{{"converged", "seconds", "s", true}, {"99% pairs", "join_99_s", "s", true}, {"after last", "join_after_last_s", "s", false}, {"bytes/node/s", "bytes_per_node_per_s", "B", true}}},
	{"detect", "detect: k nodes stopped abruptly",
		"From just before the first stop: the first suspicion of a victim by any survivor, the first failure declaration, and the moment every survivor declared every victim failed. False positives are live nodes declared failed meanwhile.",
		[]column{{"first suspect", "first_suspect_s", "s", true}, {"first failed", "first_fail_s", "s", true}, {"all survivors", "seconds", "s", true}, {"false pos.", "false_positives", "", false}}},
	{"loss", "loss: datagrams dropped for T seconds",
		"False positives are episodes: a live node declared failed, counted once per node and stretch of time however many observers believed it. `declarations` counts (observer, node) pairs; `longest` is the longest episode (first declaration to last retraction); `recover` is from the end of the loss until every node again believes every node alive.",
		[]column{{"false positives", "false_positives", "", false}, {"declarations", "fp_declarations", "", false}, {"longest", "seconds", "s", false}, {"suspicions", "suspicions", "", false}, {"recover", "recover_s", "s", false}, {"bytes/node/s", "bytes_per_node_per_s", "B", true}}},
	{"steady", "steady: idle cluster",
		"Payload bytes sent per node per second over a window covering at least one full memberlist push-pull period at that N (its interval stretches beyond 32 nodes), after the settle time. `datagram` and `stream` split it where the system can tell (memberlist and serf: UDP and TCP push-pull).",
		[]column{{"bytes/node/s", "bytes_per_node_per_s", "B", true}, {"datagram", "bytes_packet_per_node_per_s", "B", false}, {"stream", "bytes_stream_per_node_per_s", "B", false}, {"window", "seconds", "s", false}}},
	{"churn", "churn: nodes leave and join continuously",
		"Every interval one random node leaves gracefully and a new one joins through a random node. Lag is, per change, the time until every live node's view reflects it; `settle` is from the end of the churn until the whole cluster converged.",
		[]column{{"median lag", "seconds", "s", true}, {"p90 lag", "lag_p90_s", "s", true}, {"max lag", "lag_max_s", "s", false}, {"changes", "changes", "", false}, {"never converged", "unconverged", "", false}, {"settle", "settle_s", "s", false}}},
}

// Render writes report.md.
func Render(w io.Writer, r Results, plots []string) error {
	var b strings.Builder
	m := r.Meta
	b.WriteString("# meshd benchmark report\n\n")
	if !m.Date.IsZero() {
		fmt.Fprintf(&b, "- Date: %s (took %s)\n", m.Date.UTC().Format("2006-01-02 15:04 MST"), m.Duration)
	}
	if m.Command != "" {
		fmt.Fprintf(&b, "- Command: `%s`\n", m.Command)
	}
	if m.Machine.CPUs > 0 {
		fmt.Fprintf(&b, "- Machine: %d CPUs", m.Machine.CPUs)
		if m.Machine.CPUModel != "" {
			fmt.Fprintf(&b, " (%s)", m.Machine.CPUModel)
		}
		fmt.Fprintf(&b, ", %s/%s", m.Machine.OS, m.Machine.Arch)
		if m.Machine.Kernel != "" {
			fmt.Fprintf(&b, ", Linux %s", m.Machine.Kernel)
		}
		fmt.Fprintf(&b, ", %s\n", m.Machine.GoVersion)
	}
	if m.Runs > 0 {
		fmt.Fprintf(&b, "- Runs: %d per system and size; cells are median (min–max) over runs, ratios are medians over memberlist's median.\n", m.Runs)
	}
	if m.Note != "" {
		fmt.Fprintf(&b, "- Note: %s\n", m.Note)
	}
	if m.Profile != "" {
		fmt.Fprintf(&b, "- Profile `%s`, the same for every system: %s\n", m.Profile, kv(m.Timings))
	}
	if len(m.Params) > 0 {
		fmt.Fprintf(&b, "- Scenario parameters: %s\n", kv(m.Params))
	}
	b.WriteString("\n")

	if systems := systemsOf(r.Rows); slices.Contains(systems, "meshd") && slices.Contains(systems, Baseline) {
		b.WriteString("## Goals (meshd against memberlist, same run)\n\n| goal | target | measured | verdict |\n|---|---|---|---|\n")
		for _, g := range Goals(r.Rows, "meshd") {
			verdict := "not measured"
			if g.Known {
				verdict = "**missed**"
				if g.Met {
					verdict = "met"
				}
			}
			fmt.Fprintf(&b, "| %s | %s | %s | %s |\n", g.Name, g.Target, orDash(g.Measured), verdict)
		}
		b.WriteString("\n")
	}

	for _, s := range sections {
		rows := rowsOf(r.Rows, s.scenario)
		if len(rows) == 0 {
			continue
		}
		fmt.Fprintf(&b, "## %s\n\n%s\n\n", s.title, s.explain)
		b.WriteString("| N | system |")
		sep := "|---|---|"
		for _, c := range s.cols {
			fmt.Fprintf(&b, " %s |", c.header)
			sep += "---|"
			if c.ratio {
				b.WriteString(" ratio |")
				sep += "---|"
			}
		}
		b.WriteString(" p90 | failed runs |\n" + sep + "---|---|\n")
		for _, row := range rows {
			fmt.Fprintf(&b, "| %d | %s |", row.Nodes, row.System)
			for _, c := range s.cols {
				fmt.Fprintf(&b, " %s |", cell(row.Stats[c.metric], c.unit))
				if c.ratio {
					fmt.Fprintf(&b, " %s |", ratioCell(row, c.metric))
				}
			}
			headline := s.cols[0].metric
			fmt.Fprintf(&b, " %s | %d/%d |\n", value(row.Stats[headline].P90, row.Stats[headline].N, s.cols[0].unit), row.FailedRuns, row.Runs)
		}
		b.WriteString("\n")
	}

	if failures := failureLines(r.Rows); len(failures) > 0 {
		b.WriteString("## Failed runs\n\n")
		for _, f := range failures {
			fmt.Fprintf(&b, "- %s\n", f)
		}
		b.WriteString("\n")
	}
	if len(plots) > 0 {
		b.WriteString("## Plots\n\n")
		for _, p := range plots {
			fmt.Fprintf(&b, "![%s](%s)\n", p, p)
		}
		b.WriteString("\n")
	}
	_, err := io.WriteString(w, b.String())
	return err
}

func rowsOf(rows []Row, scen string) []Row {
	var out []Row
	for _, r := range rows {
		if r.Scenario == scen {
			out = append(out, r)
		}
	}
	SortRows(out)
	return out
}

func systemsOf(rows []Row) []string {
	var out []string
	for _, r := range rows {
		if !slices.Contains(out, r.System) {
			out = append(out, r.System)
		}
	}
	return out
}

func failureLines(rows []Row) []string {
	var out []string
	for _, r := range rows {
		for _, e := range r.Errors {
			out = append(out, fmt.Sprintf("%s %s N=%d (%d of %d runs failed): %s", r.System, r.Scenario, r.Nodes, r.FailedRuns, r.Runs, e))
		}
	}
	return out
}

// cell is "median (min–max)" or the single value for one run.
func cell(s Summary, unit string) string {
	if s.N == 0 {
		return "—"
	}
	if s.N == 1 || s.Min == s.Max {
		return value(s.Median, s.N, unit)
	}
	return fmt.Sprintf("%s (%s–%s)", value(s.Median, s.N, unit), num(s.Min, bare(unit)), num(s.Max, bare(unit)))
}

func value(x float64, n int, unit string) string {
	if n == 0 || math.IsNaN(x) {
		return "—"
	}
	return num(x, unit)
}

func num(x float64, unit string) string {
	switch unit {
	case "s", "s-bare":
		suffix := " s"
		if unit == "s-bare" {
			suffix = ""
		}
		switch {
		case x >= 100:
			return fmt.Sprintf("%.0f%s", x, suffix)
		case x >= 10:
			return fmt.Sprintf("%.1f%s", x, suffix)
		default:
			return fmt.Sprintf("%.2f%s", x, suffix)
		}
	case "B":
		return fmt.Sprintf("%.0f", x)
	}
	if x == math.Trunc(x) {
		return fmt.Sprintf("%.0f", x)
	}
	return fmt.Sprintf("%.1f", x)
}

// bare is the unit of numbers shown without their unit: the range after a
// median carries the median's unit.
func bare(unit string) string {
	if unit == "s" {
		return "s-bare"
	}
	return unit
}

func ratioCell(r Row, metric string) string {
	if r.System == Baseline {
		return "1"
	}
	x, ok := r.Ratio[metric]
	if !ok {
		return "—"
	}
	return fmt.Sprintf("%.2fx", x)
}

func kv(m map[string]string) string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	parts := make([]string, len(keys))
	for i, k := range keys {
		parts[i] = k + "=" + m[k]
	}
	return strings.Join(parts, ", ")
}

func orDash(s string) string {
	if s == "" {
		return "—"
	}
	return s
}
