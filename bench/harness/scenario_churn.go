package harness

import (
	"context"
	"fmt"
	"slices"
	"time"
)

// churnChange is one membership change under way.
type churnChange struct {
	at    time.Time
	watch *Watch
}

// Churn replaces nodes continuously: every p.ChurnEvery for p.ChurnTime one
// random node leaves gracefully and a new node joins through a random other
// node, so the cluster keeps its size. For every change it measures the lag
// until every live node's view reflects it (the joiner alive, the leaver
// gone), then the time until the whole cluster converged after the churn.
func Churn(ctx context.Context, c *Cluster, p Params) Measurement {
	n := c.Size()
	m := Measurement{Scenario: ScenarioChurn, Nodes: n, Metrics: map[string]float64{}, Started: time.Now()}
	timeout := p.timeout(c.profile, n)
	if err := converge(ctx, c, timeout); err != nil {
		m.Error = err.Error()
		return m
	}
	var changes []churnChange
	busy := map[string]bool{"n000": true} // the seed stays; so do nodes mid-change
	start := time.Now()
	b0 := c.BytesSent()
	tick := time.NewTicker(p.ChurnEvery)
	defer tick.Stop()
	end := start.Add(p.ChurnTime)
	// Joiners stay busy until every node saw them alive: leaving one
	// earlier would make its join change unmeasurable.
	joinWatches := make(map[string]*Watch)
	var failure error
	for time.Now().Before(end) && failure == nil {
		for name, w := range joinWatches {
			select {
			case <-w.Done():
				delete(busy, name)
				delete(joinWatches, name)
			default:
			}
		}
		if victims := c.Pick(1, busy); len(victims) == 1 {
			v := victims[0]
			w := c.tracker.WatchSubjects([]string{v.Name()}, false)
			changes = append(changes, churnChange{at: time.Now(), watch: w})
			c.LeaveAsync(ctx, v)
		}
		targets := c.Pick(1, nil)
		if len(targets) == 0 {
			failure = fmt.Errorf("no live node left to join through")
			break
		}
		at := time.Now()
		node, err := c.Start()
		if err != nil {
			failure = err
			break
		}
		w := c.tracker.WatchSubjects([]string{node.Name()}, true)
		changes = append(changes, churnChange{at: at, watch: w})
		joinWatches[node.Name()] = w
		busy[node.Name()] = true
		if err := c.Join(ctx, node, targets[0].Addr()); err != nil {
			failure = err
			break
		}
		select {
		case <-ctx.Done():
			failure = ctx.Err()
		case <-tick.C:
		}
	}
	churnEnd := time.Now()
	c.WaitLeaves()

	var lags []float64
	unconverged := 0
	for _, ch := range changes {
		if c.Await(ctx, ch.watch, max(0, timeout-time.Since(churnEnd))) {
			lags = append(lags, max(0, ch.watch.At().Sub(ch.at).Seconds()))
		} else {
			unconverged++
		}
	}
	w := c.tracker.WatchConverged()
	settled := c.Await(ctx, w, max(time.Second, timeout-time.Since(churnEnd)))
	if settled {
		m.Metrics[MetricSettle] = max(0, w.At().Sub(churnEnd).Seconds())
	}
	slices.Sort(lags)
	m.Metrics[MetricChanges] = float64(len(changes))
	m.Metrics[MetricUnconverged] = float64(unconverged)
	if len(lags) > 0 {
		m.Metrics[MetricSeconds] = Quantile(lags, 0.5)
		m.Metrics[MetricLagP90] = Quantile(lags, 0.9)
		m.Metrics[MetricLagMax] = lags[len(lags)-1]
	}
	m.Metrics[MetricBytes] = perNodePerSecond(c.BytesSent()-b0, n, churnEnd.Sub(start))
	m.Metrics[MetricFalsePositives] = float64(c.tracker.FalsePositives(start, time.Now()).Episodes)
	switch {
	case failure != nil:
		m.Error = failure.Error()
	case unconverged > 0:
		m.Error = fmt.Sprintf("%d of %d changes never reached every node within %v", unconverged, len(changes), timeout)
	case !settled:
		m.Error = converge(ctx, c, 0).Error()
	default:
		m.OK = true
	}
	return m
}
