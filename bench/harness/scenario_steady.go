package harness

import (
	"context"
	"time"
)

// Steady measures the bytes an idle cluster sends: after the cluster
// converged and a settle time let join traffic die out, it reads every
// node's byte counter at the start and end of a window long enough to hold
// memberlist's stretched push-pull period, and every second in between (finer
// for short windows) for the timeline.
func Steady(ctx context.Context, c *Cluster, p Params) Measurement {
	n := c.Size()
	m := Measurement{Scenario: ScenarioSteady, Nodes: n, Metrics: map[string]float64{}, Started: time.Now()}
	if err := converge(ctx, c, p.timeout(c.profile, n)); err != nil {
		m.Error = err.Error()
		return m
	}
	if !sleep(ctx, p.Settle) {
		m.Error = ctx.Err().Error()
		return m
	}
	window := p.window(c.profile, n)
	start := time.Now()
	b0 := c.BytesSent()
	p0, s0, split := c.BytesSplit()
	prev, prevT := b0, start
	// One-second bins, finer only for windows too short to hold ten.
	tick := time.NewTicker(min(time.Second, max(window/10, 10*time.Millisecond)))
	defer tick.Stop()
	deadline := time.NewTimer(window)
	defer deadline.Stop()
loop:
	for {
		select {
		case <-ctx.Done():
			m.Error = ctx.Err().Error()
			return m
		case <-deadline.C:
			break loop
		case now := <-tick.C:
			b := c.BytesSent()
			m.Timeline = append(m.Timeline, Point{X: now.Sub(start).Seconds(), Y: perNodePerSecond(b-prev, n, now.Sub(prevT))})
			prev, prevT = b, now
		}
	}
	d := time.Since(start)
	m.Metrics[MetricSeconds] = d.Seconds()
	m.Metrics[MetricBytes] = perNodePerSecond(c.BytesSent()-b0, n, d)
	if p1, s1, ok := c.BytesSplit(); split && ok {
		m.Metrics[MetricBytesPacket] = perNodePerSecond(p1-p0, n, d)
		m.Metrics[MetricBytesStream] = perNodePerSecond(s1-s0, n, d)
	}
	// A node wrongly declared failed in an idle cluster is worth knowing.
	m.Metrics[MetricFalsePositives] = float64(c.tracker.FalsePositives(start, time.Now()).Episodes)
	m.OK = true
	return m
}

// sleep waits d or until ctx ends; false if ctx ended.
func sleep(ctx context.Context, d time.Duration) bool {
	if d <= 0 {
		return ctx.Err() == nil
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return false
	case <-t.C:
		return true
	}
}
