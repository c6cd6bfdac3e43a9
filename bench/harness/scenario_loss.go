package harness

import (
	"context"
	"time"
)

// Loss drops a fraction p.Loss of every datagram between nodes for
// p.LossDuration, then restores the network and waits for the cluster to
// converge again. It counts the live nodes declared failed from the start of
// the loss until convergence, and how long they stayed so.
func Loss(ctx context.Context, c *Cluster, p Params) Measurement {
	n := c.Size()
	m := Measurement{Scenario: ScenarioLoss, Nodes: n, Metrics: map[string]float64{}, Started: time.Now()}
	timeout := p.timeout(c.profile, n)
	if err := converge(ctx, c, timeout); err != nil {
		m.Error = err.Error()
		return m
	}
	c.tracker.ClearSuspicion()
	c.StartPolling(p.Poll)
	defer c.StopPolling()

	start := time.Now()
	b0 := c.BytesSent()
	c.SetLoss(p.Loss)
	ok := sleep(ctx, p.LossDuration)
	c.SetLoss(0)
	lossEnd := time.Now()
	m.Metrics[MetricBytes] = perNodePerSecond(c.BytesSent()-b0, n, lossEnd.Sub(start))
	if !ok {
		m.Error = ctx.Err().Error()
		return m
	}
	w := c.tracker.WatchConverged()
	fired := c.Await(ctx, w, timeout)
	end := time.Now()
	if fired {
		end = w.At()
		m.Metrics[MetricRecover] = max(0, end.Sub(lossEnd).Seconds())
	} else {
		m.Error = converge(ctx, c, 0).Error()
		m.Metrics[MetricRecover] = end.Sub(lossEnd).Seconds()
	}
	fp := c.tracker.FalsePositives(start, end)
	m.Metrics[MetricFalsePositives] = float64(fp.Episodes)
	m.Metrics[MetricSeconds] = fp.Longest.Seconds()
	m.Metrics[MetricFPDeclarations] = float64(fp.Declarations)
	m.Metrics[MetricFPObserverSecs] = fp.ObserverSeconds.Seconds()
	m.Metrics[MetricFPUnrecovered] = float64(fp.Unrecovered)
	m.Metrics[MetricSuspicions] = float64(c.tracker.Suspicions())
	m.OK = fired
	return m
}
