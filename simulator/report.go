package simulator

import (
	"fmt"
	"io"
	"sort"
	"strings"
	"text/tabwriter"
)

// writeTable prints the end-of-run summary for a terminal.
func writeTable(w io.Writer, sc *Scenario, r *Result) {
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	row := func(k, format string, args ...any) { fmt.Fprintf(tw, "%s\t%s\n", k, fmt.Sprintf(format, args...)) }
	row("scenario", "%s: %d nodes, seed %d, profile %s, %.3fs simulated", r.Scenario, r.Nodes, r.Seed, r.Profile, r.DurationS)
	if r.Aborted != "" {
		row("ABORTED", "%s; the figures below cover only the simulated time", r.Aborted)
	}
	if r.ConvergedAtS != nil {
		row("converged", "at %.3fs (first all-correct moment %.3fs)", *r.ConvergedAtS, deref(r.FirstConvergedAtS))
	} else {
		row("converged", "NO: %d of %d live nodes had the correct view at the end", r.CorrectAtEnd, r.LiveAtEnd)
	}
	row("false positives", "%d episodes of a live, reachable member declared dead (%d verdicts, %.1fs held in total, longest %.1fs, %d still open at the end)",
		r.FalsePositives, r.FalseDeadVerdicts, r.FalsePositiveSeconds, r.FalsePositiveMaxS, r.FalsePositivesOpenAtEnd)
	if r.PartitionVerdicts > 0 {
		row("", "%d dead verdicts across partitions or cuts (expected, not counted above)", r.PartitionVerdicts)
	}
	if d := r.Detection; d.Crashes > 0 {
		row("crashes", "%d (%d never declared dead)", d.Crashes, d.Undetected)
		row("  first suspicion", "%s", statText(d.FirstSuspicion))
		row("  first dead verdict", "%s", statText(d.FirstDead))
		row("  all nodes know", "%s", statText(d.AllKnow))
	}
	if len(r.Leaves) > 0 {
		var all []float64
		for _, l := range r.Leaves {
			if l.AllKnowS != nil {
				all = append(all, *l.AllKnowS)
			}
		}
		row("leaves", "%d; all nodes know: %s", len(r.Leaves), statText(statOf(all)))
	}
	row("traffic", "%s messages, %s sent; per node per second: %.2f messages, %s",
		humanCount(float64(r.Messages)), humanBytes(float64(r.Bytes)), r.MessagesPerNodePerS, humanBytes(r.BytesPerNodePerS))
	if len(r.Dropped) > 0 {
		row("network drops", "%s", mapText(r.Dropped))
	}
	if len(r.CoreDropped) > 0 {
		row("core drops", "%s", mapText(r.CoreDropped))
	}
	row("core", "%d probes (%d failed), %d suspicions, %d refutations", r.Probes, r.ProbesFailed, r.Suspicions, r.Refutations)
	row("run", "%s events in %.1fs wall (%s events/s, %.1fx real time)",
		humanCount(float64(r.Events)), r.WallSeconds, humanCount(r.EventsPerWallSecond), r.DurationS/max(r.WallSeconds, 1e-9))
	row("trace hash", "%s", r.TraceHash)
	tw.Flush()

	if len(r.Actions) > 0 {
		fmt.Fprintln(w)
		tw = tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
		fmt.Fprintln(tw, "at\tevent\tall views correct (and staying so until the next event) after")
		for _, a := range r.Actions {
			after := "not before the next event or the end"
			if a.ConvergedAfterS != nil {
				after = fmt.Sprintf("%.3fs", *a.ConvergedAfterS)
			}
			fmt.Fprintf(tw, "%.3fs\t%s\t%s\n", a.AtS, a.Label, after)
		}
		tw.Flush()
	}
	for _, wn := range r.Warnings {
		fmt.Fprintln(w, "warning:", wn)
	}
}

func statText(s Stat) string {
	if s.N == 0 {
		return "none"
	}
	return fmt.Sprintf("median %.3fs, p90 %.3fs, max %.3fs (n=%d)", s.Median, s.P90, s.Max, s.N)
}

func mapText(m map[string]uint64) string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	parts := make([]string, len(keys))
	for i, k := range keys {
		parts[i] = fmt.Sprintf("%s %d", k, m[k])
	}
	return strings.Join(parts, ", ")
}

func deref(p *float64) float64 {
	if p == nil {
		return 0
	}
	return *p
}
