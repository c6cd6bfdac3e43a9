package harness

import (
	"context"
	"fmt"
	"time"
)

// seriesPoints bounds the convergence curve kept per run.
const seriesPoints = 400

// Join builds a cluster of n nodes that join through the first one, as the
// memberlist baseline did: nodes are started and joined one after another,
// and the clock starts at the first Join, so it includes starting the later
// nodes. It measures the time until every node believes all n alive.
// The cluster is left running for the scenarios that follow.
func Join(ctx context.Context, c *Cluster, n int, p Params) Measurement {
	m := Measurement{Scenario: ScenarioJoin, Nodes: n, Metrics: map[string]float64{}, Started: time.Now()}
	timeout := p.timeout(c.profile, n)
	seed, err := c.Start()
	if err != nil {
		m.Error = err.Error()
		return m
	}
	w := c.tracker.WatchAllAlive(n)
	c.tracker.StartRecording()
	var start time.Time
	var bytes0 uint64
	for i := 1; i < n; i++ {
		node, err := c.Start()
		if err != nil {
			c.tracker.Cancel(w)
			c.tracker.StopRecording(time.Now(), n, 0)
			m.Error = err.Error()
			return m
		}
		if i == 1 {
			start, bytes0 = time.Now(), c.BytesSent()
		}
		if err := c.Join(ctx, node, seed.Addr()); err != nil {
			c.tracker.Cancel(w)
			c.tracker.StopRecording(start, n, 0)
			m.Error = err.Error()
			return m
		}
	}
	if n == 1 {
		start, bytes0 = time.Now(), c.BytesSent()
	}
	lastJoin := time.Now()
	fired := c.Await(ctx, w, timeout)
	end := w.At()
	if !fired {
		end = time.Now()
		live, ok, _ := c.tracker.Counts()
		m.Error = fmt.Sprintf("not converged after %v: %d of %d node pairs believe each other alive (%d live)",
			timeout, ok, n*n, live)
	}
	m.OK = fired
	// The time to 99% of pairs separates a system's gossip from its repair
	// path: a few pairs left to anti-entropy do not move it.
	if t99 := c.tracker.Reached(n, 0.99); !t99.IsZero() {
		m.Metrics[MetricJoin99] = max(0, t99.Sub(start).Seconds())
	}
	m.Series = c.tracker.StopRecording(start, n, seriesPoints)
	secs := end.Sub(start).Seconds()
	m.Metrics[MetricSeconds] = secs
	m.Metrics[MetricJoinAfterLast] = max(0, end.Sub(lastJoin).Seconds())
	// Bytes up to now rather than up to convergence: the counters cannot be
	// read at the instant of the last event, and the difference is a few
	// milliseconds of traffic.
	m.Metrics[MetricBytes] = perNodePerSecond(c.BytesSent()-bytes0, n, time.Since(start))
	return m
}

// perNodePerSecond is bytes / nodes / seconds, 0 for an empty window.
func perNodePerSecond(bytes uint64, nodes int, d time.Duration) float64 {
	if nodes <= 0 || d <= 0 {
		return 0
	}
	return float64(bytes) / float64(nodes) / d.Seconds()
}

// converge waits for the cluster to converge before a scenario and says why
// not when it did not.
func converge(ctx context.Context, c *Cluster, timeout time.Duration) error {
	if c.Await(ctx, c.tracker.WatchConverged(), timeout) {
		return nil
	}
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("interrupted while waiting for convergence: %w", err)
	}
	live, ok, wrong := c.tracker.Counts()
	return fmt.Errorf("cluster not converged before the scenario after %v: %d of %d pairs alive, %d gone nodes still believed alive",
		timeout, ok, live*live, wrong)
}
