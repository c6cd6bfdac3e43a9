package harness

import (
	"context"
	"fmt"
	"time"
)

// Detect stops p.Kill random nodes abruptly and measures, from just before
// the first stop, the time until the first survivor suspects (or declares
// failed) one of them, until the first declares one failed, and until every
// survivor declared every victim failed. Suspicion is polled (no system
// announces it), at p.Poll, until every victim was suspected or declared
// failed; failure comes from events.
func Detect(ctx context.Context, c *Cluster, p Params) Measurement {
	n := c.Size()
	m := Measurement{Scenario: ScenarioDetect, Nodes: n, Metrics: map[string]float64{}, Started: time.Now()}
	timeout := p.timeout(c.profile, n)
	if p.Kill >= n {
		m.Error = fmt.Sprintf("cannot stop %d of %d nodes and keep survivors", p.Kill, n)
		return m
	}
	if err := converge(ctx, c, timeout); err != nil {
		m.Error = err.Error()
		return m
	}
	// The first node is every joiner's seed: keep it, so a system's later
	// reconnects to its seed do not colour the measurement.
	victims := c.Pick(p.Kill, map[string]bool{"n000": true})
	names := make([]string, len(victims))
	for i, v := range victims {
		names[i] = v.Name()
	}
	w := c.tracker.WatchSubjects(names, false)
	b0 := c.BytesSent()
	c.tracker.ClearSuspicion()
	start := time.Now()
	c.StartPollingUntil(p.Poll, func() bool { return c.tracker.Signalled(names, start) })
	defer c.StopPolling()
	for _, v := range victims {
		if err := c.Kill(v, start); err != nil {
			c.tracker.Cancel(w)
			m.Error = err.Error()
			return m
		}
	}
	fired := c.Await(ctx, w, timeout)
	end := time.Now()
	d := c.tracker.Detection(names, start)
	if fired {
		end = w.At()
	} else {
		m.Error = fmt.Sprintf("not every survivor declared %v failed within %v", names, timeout)
	}
	since := func(t time.Time) float64 {
		if t.IsZero() {
			return end.Sub(start).Seconds()
		}
		return t.Sub(start).Seconds()
	}
	first := d.FirstSuspect
	if first.IsZero() || (!d.FirstFail.IsZero() && d.FirstFail.Before(first)) {
		first = d.FirstFail
	}
	m.Metrics[MetricFirstSuspect] = since(first)
	m.Metrics[MetricFirstFail] = since(d.FirstFail)
	m.Metrics[MetricSeconds] = end.Sub(start).Seconds()
	m.Metrics[MetricBytes] = perNodePerSecond(c.BytesSent()-b0, n, time.Since(start))
	m.Metrics[MetricFalsePositives] = float64(c.tracker.FalsePositives(start, end).Episodes)
	m.OK = fired
	return m
}
