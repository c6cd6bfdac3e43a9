package harness

import (
	"math"
	"time"
)

// StartRecording starts a fresh convergence series.
func (t *Tracker) StartRecording() {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.recording = true
	t.series = t.series[:0]
}

// Reached returns the first time the recorded series reached frac of the
// n² pairs, or zero if it never did.
func (t *Tracker) Reached(n int, frac float64) time.Time {
	t.mu.Lock()
	defer t.mu.Unlock()
	need := int(math.Ceil(frac * float64(n*n)))
	for _, p := range t.series {
		if p.ok >= need {
			return p.at
		}
	}
	return time.Time{}
}

// StopRecording ends the series and returns it as (seconds since start,
// fraction of the n² pairs believed alive), thinned to at most maxPoints.
func (t *Tracker) StopRecording(start time.Time, n, maxPoints int) []Point {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.recording = false
	pts := make([]Point, 0, min(len(t.series), maxPoints+1))
	step := 1
	if maxPoints > 0 && len(t.series) > maxPoints {
		step = (len(t.series) + maxPoints - 1) / maxPoints
	}
	for i, p := range t.series {
		if i%step != 0 && i != len(t.series)-1 {
			continue
		}
		pts = append(pts, Point{X: p.at.Sub(start).Seconds(), Y: float64(p.ok) / float64(n*n)})
	}
	t.series = nil
	return pts
}

// Point is one sample of a time series.
type Point struct {
	X float64 `json:"x"`
	Y float64 `json:"y"`
}
