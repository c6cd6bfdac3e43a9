package report

import (
	"fmt"
	"image/color"
	"os"
	"path/filepath"
	"slices"
	"sort"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"
)

// systemColor keeps each system's colour the same in every plot.
func systemColor(sys string) color.Color {
	switch sys {
	case "memberlist":
		return color.RGBA{R: 31, G: 119, B: 180, A: 255}
	case "serf":
		return color.RGBA{R: 255, G: 127, B: 14, A: 255}
	case "meshd":
		return color.RGBA{R: 44, G: 160, B: 44, A: 255}
	}
	return color.RGBA{R: 148, G: 103, B: 189, A: 255}
}

// systemDashes tells systems apart where lines overlap (memberlist and
// serf share most of their curves): serf dashed, others solid.
func systemDashes(sys string) []vg.Length {
	if sys == "serf" {
		return []vg.Length{vg.Points(5), vg.Points(3)}
	}
	return nil
}

// Plot writes every plot the results allow into dir and returns their file
// names (relative to dir), in a stable order.
func Plot(dir string, r Results) ([]string, error) {
	var files []string
	add := func(name string, p *plot.Plot) error {
		if p == nil {
			return nil
		}
		if err := p.Save(8*vg.Inch, 4.5*vg.Inch, filepath.Join(dir, name)); err != nil {
			return fmt.Errorf("plot %s: %w", name, err)
		}
		files = append(files, name)
		return nil
	}
	for _, n := range nodesOf(r.Series, "join") {
		if err := add(fmt.Sprintf("join-convergence-N%d.png", n), joinPlot(r.Series, n)); err != nil {
			return files, err
		}
	}
	if err := add("steady-bytes.png", againstN(r.Rows, "steady", "bytes_per_node_per_s",
		"Steady state: payload bytes sent per node per second", "bytes / node / s")); err != nil {
		return files, err
	}
	for _, n := range nodesOf(r.Series, "steady") {
		if err := add(fmt.Sprintf("steady-timeline-N%d.png", n), timelinePlot(r.Series, n)); err != nil {
			return files, err
		}
	}
	if err := add("detect-seconds.png", againstN(r.Rows, "detect", "seconds",
		"Detection: seconds until every survivor declared every victim failed", "seconds")); err != nil {
		return files, err
	}
	return files, nil
}

func nodesOf(series []Series, scen string) []int {
	var ns []int
	for _, s := range series {
		if s.Scenario == scen && !slices.Contains(ns, s.Nodes) {
			ns = append(ns, s.Nodes)
		}
	}
	sort.Ints(ns)
	return ns
}

// joinPlot draws every run's convergence curve at n nodes, one colour per
// system, so the spread between runs (memberlist's bimodal tail) shows.
func joinPlot(series []Series, n int) *plot.Plot {
	p := plot.New()
	p.Title.Text = fmt.Sprintf("Join convergence, N=%d (every run)", n)
	p.X.Label.Text = "seconds since the first Join"
	p.Y.Label.Text = "fraction of node pairs that see each other alive"
	p.Y.Min, p.Y.Max = 0, 1.02
	p.Legend.Top, p.Legend.Left = false, false
	legend := map[string]bool{}
	for _, s := range series {
		if s.Scenario != "join" || s.Nodes != n || len(s.Points) == 0 {
			continue
		}
		xys := make(plotter.XYs, 0, len(s.Points)+1)
		for _, pt := range s.Points {
			xys = append(xys, plotter.XY{X: pt.X, Y: pt.Y})
		}
		l, err := plotter.NewLine(xys)
		if err != nil {
			continue
		}
		l.Color = systemColor(s.System)
		l.Dashes = systemDashes(s.System)
		l.Width = vg.Points(1)
		p.Add(l)
		if !legend[s.System] {
			legend[s.System] = true
			p.Legend.Add(s.System, l)
		}
	}
	if len(legend) == 0 {
		return nil
	}
	p.Add(plotter.NewGrid())
	return p
}

// timelinePlot draws the steady window's per-second rate of the first run
// of each system at n nodes: memberlist's push-pull bursts show as spikes.
func timelinePlot(series []Series, n int) *plot.Plot {
	p := plot.New()
	p.Title.Text = fmt.Sprintf("Steady state over time, N=%d (first run)", n)
	p.X.Label.Text = "seconds into the window"
	p.Y.Label.Text = "bytes / node / s (1 s bins)"
	p.Y.Min = 0
	seen := map[string]bool{}
	for _, s := range series {
		if s.Scenario != "steady" || s.Nodes != n || seen[s.System] || len(s.Points) == 0 {
			continue
		}
		seen[s.System] = true
		xys := make(plotter.XYs, len(s.Points))
		for i, pt := range s.Points {
			xys[i] = plotter.XY{X: pt.X, Y: pt.Y}
		}
		l, err := plotter.NewLine(xys)
		if err != nil {
			continue
		}
		l.Color = systemColor(s.System)
		l.Dashes = systemDashes(s.System)
		p.Add(l)
		p.Legend.Add(s.System, l)
	}
	if len(seen) == 0 {
		return nil
	}
	p.Add(plotter.NewGrid())
	return p
}

// errPoints are medians with min and max as error bars.
type errPoints struct {
	plotter.XYs
	lo, hi []float64
}

func (e errPoints) YError(i int) (float64, float64) { return e.lo[i], e.hi[i] }

// againstN draws a metric's median against N per system, with min–max bars.
func againstN(rows []Row, scen, metric, title, ylabel string) *plot.Plot {
	bySys := map[string][]Row{}
	for _, r := range rows {
		if r.Scenario == scen && r.Stats[metric].N > 0 {
			bySys[r.System] = append(bySys[r.System], r)
		}
	}
	if len(bySys) == 0 {
		return nil
	}
	p := plot.New()
	p.Title.Text = title
	p.X.Label.Text = "nodes (N)"
	p.Y.Label.Text = ylabel
	p.Y.Min = 0
	p.Legend.Top = true
	systems := make([]string, 0, len(bySys))
	for s := range bySys {
		systems = append(systems, s)
	}
	sort.Strings(systems)
	for _, sys := range systems {
		rs := bySys[sys]
		sort.Slice(rs, func(i, j int) bool { return rs[i].Nodes < rs[j].Nodes })
		e := errPoints{}
		for _, r := range rs {
			st := r.Stats[metric]
			e.XYs = append(e.XYs, plotter.XY{X: float64(r.Nodes), Y: st.Median})
			e.lo = append(e.lo, st.Median-st.Min)
			e.hi = append(e.hi, st.Max-st.Median)
		}
		l, pts, err := plotter.NewLinePoints(e.XYs)
		if err != nil {
			continue
		}
		l.Color = systemColor(sys)
		l.Dashes = systemDashes(sys)
		pts.Color = systemColor(sys)
		pts.Shape = draw.CircleGlyph{}
		bars, err := plotter.NewYErrorBars(e)
		if err != nil {
			continue
		}
		bars.Color = systemColor(sys)
		p.Add(l, pts, bars)
		p.Legend.Add(sys, l, pts)
	}
	p.Add(plotter.NewGrid())
	return p
}

// Write renders everything into dir: JSON files, plots, report.md.
func Write(dir string, r Results) error {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	if err := WriteJSON(dir, r); err != nil {
		return err
	}
	return Rerender(dir, r)
}

// Rerender writes the plots and report.md only, from results already on disk.
func Rerender(dir string, r Results) error {
	plots, err := Plot(dir, r)
	if err != nil {
		return err
	}
	f, err := os.Create(filepath.Join(dir, FileReport))
	if err != nil {
		return err
	}
	if err := Render(f, r, plots); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}
