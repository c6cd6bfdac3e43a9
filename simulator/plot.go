package simulator

import (
	"fmt"
	"image/color"
	"path/filepath"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/vg"
)

// maxMarkerLabels: beyond this many timeline events the markers stay but
// their labels are left off, since they would only overprint each other.
const maxMarkerLabels = 12

// writePlots draws the fraction of nodes with a correct view and the bytes
// per node per second over time, each with the scenario's events marked.
func writePlots(dir string, sc *Scenario, r *Result) ([]string, error) {
	title := fmt.Sprintf("%s: %d nodes, seed %d", r.Scenario, r.Nodes, r.Seed)
	var files []string

	conv := make(plotter.XYs, len(r.Timeline))
	for i, s := range r.Timeline {
		conv[i] = plotter.XY{X: s.TS, Y: s.CorrectFraction}
	}
	p := newPlot(title, "simulated time (s)", "fraction of live nodes with a correct view")
	p.Y.Min, p.Y.Max = 0, 1.15
	if err := addSeries(p, conv, color.RGBA{R: 0x1f, G: 0x77, B: 0xb4, A: 0xff}); err != nil {
		return files, err
	}
	if err := addMarkers(p, r.Actions, 0, 1.15); err != nil {
		return files, err
	}
	path := filepath.Join(dir, "convergence.png")
	if err := p.Save(10*vg.Inch, 4.5*vg.Inch, path); err != nil {
		return files, fmt.Errorf("plot %s: %w", path, err)
	}
	files = append(files, path)

	traffic := make(plotter.XYs, len(r.Timeline))
	top := 1.0
	for i, s := range r.Timeline {
		traffic[i] = plotter.XY{X: s.TS, Y: s.BytesPerNodeS}
		top = max(top, s.BytesPerNodeS)
	}
	p = newPlot(title, "simulated time (s)", "bytes sent per node per second")
	p.Y.Min, p.Y.Max = 0, top*1.15
	p.Y.Tick.Marker = humanTicks{}
	if err := addSeries(p, traffic, color.RGBA{R: 0xd6, G: 0x27, B: 0x28, A: 0xff}); err != nil {
		return files, err
	}
	if err := addMarkers(p, r.Actions, 0, top*1.15); err != nil {
		return files, err
	}
	path = filepath.Join(dir, "traffic.png")
	if err := p.Save(10*vg.Inch, 4.5*vg.Inch, path); err != nil {
		return files, fmt.Errorf("plot %s: %w", path, err)
	}
	return append(files, path), nil
}

func newPlot(title, x, y string) *plot.Plot {
	p := plot.New()
	p.Title.Text = title
	p.X.Label.Text = x
	p.Y.Label.Text = y
	p.Add(plotter.NewGrid())
	return p
}

func addSeries(p *plot.Plot, xys plotter.XYs, c color.Color) error {
	if len(xys) == 0 {
		return nil
	}
	l, err := plotter.NewLine(xys)
	if err != nil {
		return err
	}
	l.Color = c
	l.Width = vg.Points(1.5)
	p.Add(l)
	return nil
}

// addMarkers draws a dashed vertical line per timeline action, labelled
// near the top (alternating heights so neighbours overlap less).
func addMarkers(p *plot.Plot, actions []ActionResult, lo, hi float64) error {
	var labels plotter.XYLabels
	for i, a := range actions {
		l, err := plotter.NewLine(plotter.XYs{{X: a.AtS, Y: lo}, {X: a.AtS, Y: hi}})
		if err != nil {
			return err
		}
		l.Color = color.Gray{Y: 0x80}
		l.Dashes = []vg.Length{vg.Points(3), vg.Points(3)}
		p.Add(l)
		if len(actions) <= maxMarkerLabels {
			y := hi - (hi-lo)*0.04*float64(1+i%3)
			labels.XYs = append(labels.XYs, plotter.XY{X: a.AtS, Y: y})
			labels.Labels = append(labels.Labels, " "+truncate(a.Label, 32))
		}
	}
	if len(labels.XYs) == 0 {
		return nil
	}
	lb, err := plotter.NewLabels(labels)
	if err != nil {
		return err
	}
	for i := range lb.TextStyle {
		lb.TextStyle[i].Font.Size = vg.Points(7)
	}
	p.Add(lb)
	return nil
}

// humanTicks labels an axis 0, 25.0k, 50.0k instead of 50000.00.
type humanTicks struct{}

func (humanTicks) Ticks(lo, hi float64) []plot.Tick {
	ts := plot.DefaultTicks{}.Ticks(lo, hi)
	for i := range ts {
		if ts[i].Label != "" {
			ts[i].Label = humanCount(ts[i].Value)
		}
	}
	return ts
}

func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n-1] + "…"
}
