package harness

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"sync"
	"time"
)

// Cluster is one run's set of nodes of one system, and the Tracker that
// follows what they believe. A Cluster is driven by one goroutine (the
// scenario's); only its poller and the nodes' event sinks run beside it.
type Cluster struct {
	sys     System
	profile Profile
	tracker *Tracker
	rng     *rand.Rand
	seed    int64

	mu    sync.Mutex
	live  []Node // in start order
	gone  []Node // stopped nodes, kept for their byte counters
	count int    // nodes started so far, for names

	pollStop chan struct{}
	pollDone chan struct{}
	leaves   sync.WaitGroup
}

// NewCluster prepares an empty cluster. seed drives victim choice, join
// targets and every node's own seed.
func NewCluster(sys System, p Profile, seed int64) *Cluster {
	return &Cluster{
		sys: sys, profile: p, tracker: NewTracker(),
		rng:  rand.New(rand.NewPCG(uint64(seed), 0x6d657368)),
		seed: seed,
	}
}

// Tracker is the cluster's view tracker.
func (c *Cluster) Tracker() *Tracker { return c.tracker }

// Start starts the next node (named n000, n001, ... in start order).
func (c *Cluster) Start() (Node, error) {
	c.mu.Lock()
	i := c.count
	c.count++
	c.mu.Unlock()
	name := fmt.Sprintf("n%03d", i)
	if !c.tracker.AddNode(name, time.Now()) {
		return nil, fmt.Errorf("start %s: tracker full", name)
	}
	n, err := c.sys.Start(NodeSpec{
		Name: name, Profile: c.profile, Seed: c.seed*1_000_003 + int64(i),
		Sink: c.tracker.Record,
	})
	if err != nil {
		c.tracker.MarkGone(name, time.Now())
		return nil, fmt.Errorf("start %s %s: %w", c.sys.Name(), name, err)
	}
	c.mu.Lock()
	c.live = append(c.live, n)
	c.mu.Unlock()
	return n, nil
}

// Join makes n join seeds, retrying a few times: a seed on a busy 2-core
// machine may miss one push-pull deadline, and a join that never happened
// would be measured as a convergence failure of the system.
func (c *Cluster) Join(ctx context.Context, n Node, seeds ...string) error {
	var err error
	for attempt := range 3 {
		if attempt > 0 {
			select {
			case <-ctx.Done():
				return ctx.Err()
			case <-time.After(time.Duration(attempt) * 250 * time.Millisecond):
			}
		}
		jctx, cancel := context.WithTimeout(ctx, 10*time.Second)
		err = n.Join(jctx, seeds)
		cancel()
		if err == nil {
			return nil
		}
	}
	return fmt.Errorf("%s join %v: %w", n.Name(), seeds, err)
}

// Live returns the live nodes in start order.
func (c *Cluster) Live() []Node {
	c.mu.Lock()
	defer c.mu.Unlock()
	return append([]Node(nil), c.live...)
}

// Size is the number of live nodes.
func (c *Cluster) Size() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return len(c.live)
}

// Pick returns k distinct live nodes chosen at random, skipping those in skip.
func (c *Cluster) Pick(k int, skip map[string]bool) []Node {
	var cand []Node
	for _, n := range c.Live() {
		if !skip[n.Name()] {
			cand = append(cand, n)
		}
	}
	c.rng.Shuffle(len(cand), func(i, j int) { cand[i], cand[j] = cand[j], cand[i] })
	return cand[:min(k, len(cand))]
}

func (c *Cluster) remove(n Node) bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	for i, x := range c.live {
		if x == n {
			c.live = append(c.live[:i], c.live[i+1:]...)
			c.gone = append(c.gone, n)
			return true
		}
	}
	return false
}

// Kill stops n abruptly. The tracker marks it gone at the given time, which
// the detect scenario takes just before the first kill.
func (c *Cluster) Kill(n Node, at time.Time) error {
	if !c.remove(n) {
		return fmt.Errorf("kill %s: not live", n.Name())
	}
	c.tracker.MarkGone(n.Name(), at)
	return n.Kill()
}

// LeaveAsync starts a graceful leave of n and returns at once; Close and
// WaitLeaves wait for it. The tracker marks n gone now: from this moment the
// cluster should come to believe it gone.
func (c *Cluster) LeaveAsync(ctx context.Context, n Node) {
	if !c.remove(n) {
		return
	}
	c.tracker.MarkGone(n.Name(), time.Now())
	c.leaves.Add(1)
	go func() {
		defer c.leaves.Done()
		lctx, cancel := context.WithTimeout(ctx, c.profile.LeaveTimeout+10*time.Second)
		defer cancel()
		if err := n.Leave(lctx); err != nil {
			// A leave that could not announce itself still stopped the node;
			// the others then detect it as failed, which the scenario sees.
			_ = n.Kill()
		}
	}()
}

// WaitLeaves waits for the graceful leaves started so far.
func (c *Cluster) WaitLeaves() { c.leaves.Wait() }

// BytesSent sums the bytes every node of the cluster sent, stopped ones
// included, so windows with churn count the bytes of nodes that left.
func (c *Cluster) BytesSent() uint64 {
	c.mu.Lock()
	defer c.mu.Unlock()
	var sum uint64
	for _, n := range c.live {
		sum += n.BytesSent()
	}
	for _, n := range c.gone {
		sum += n.BytesSent()
	}
	return sum
}

// BytesSplit sums datagram and stream bytes over nodes that can tell them
// apart; ok is false when a node cannot.
func (c *Cluster) BytesSplit() (packet, stream uint64, ok bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	for _, n := range append(append([]Node(nil), c.live...), c.gone...) {
		b, is := n.(ByteBreakdown)
		if !is {
			return 0, 0, false
		}
		p, s := b.BytesSentSplit()
		packet += p
		stream += s
	}
	return packet, stream, true
}

// SetLoss sets datagram loss on every live node.
func (c *Cluster) SetLoss(p float64) {
	for _, n := range c.Live() {
		n.SetLoss(p)
	}
}

// StartPolling starts watching for suspicion: nodes that report it
// themselves are told to, and the views of the others are polled every
// interval. Both cost CPU that the systems then lack, so scenarios watch
// only while they measure suspicion.
func (c *Cluster) StartPolling(interval time.Duration) {
	c.StartPollingUntil(interval, nil)
}

// StartPollingUntil is StartPolling that stops polling views by itself once
// done returns true (checked every round): meshd answers a poll on its
// engine goroutine, so polls that can no longer change a measurement would
// only take time from the system being measured.
func (c *Cluster) StartPollingUntil(interval time.Duration, done func() bool) {
	c.StopPolling()
	c.reportSuspicion(true)
	stop, finished := make(chan struct{}), make(chan struct{})
	c.pollStop, c.pollDone = stop, finished
	go func() {
		defer close(finished)
		t := time.NewTicker(interval)
		defer t.Stop()
		for {
			if done != nil && done() {
				return
			}
			for _, n := range c.Live() {
				v, ok := n.(Viewer)
				if !ok {
					continue
				}
				select {
				case <-stop:
					return
				default:
				}
				c.tracker.ObserveView(n.Name(), v.View(), time.Now())
			}
			select {
			case <-stop:
				return
			case <-t.C:
			}
		}
	}()
}

// StopPolling stops the poller, if running, and waits for it.
func (c *Cluster) StopPolling() {
	if c.pollStop == nil {
		return
	}
	close(c.pollStop)
	<-c.pollDone
	c.pollStop, c.pollDone = nil, nil
	c.reportSuspicion(false)
}

func (c *Cluster) reportSuspicion(on bool) {
	for _, n := range c.Live() {
		if r, ok := n.(SuspicionReporter); ok {
			r.ReportSuspicion(on)
		}
	}
}

// Close stops the poller and kills every live node, a few at a time: some
// systems block in Shutdown for a while, and one at a time would make a
// 128-node teardown take longer than the measurement.
func (c *Cluster) Close() error {
	c.StopPolling()
	c.WaitLeaves()
	nodes := c.Live()
	var mu sync.Mutex
	var errs []error
	sem := make(chan struct{}, 16)
	var wg sync.WaitGroup
	now := time.Now()
	for _, n := range nodes {
		c.remove(n)
		c.tracker.MarkGone(n.Name(), now)
		wg.Add(1)
		sem <- struct{}{}
		go func() {
			defer wg.Done()
			defer func() { <-sem }()
			if err := n.Kill(); err != nil {
				mu.Lock()
				errs = append(errs, fmt.Errorf("close %s: %w", n.Name(), err))
				mu.Unlock()
			}
		}()
	}
	wg.Wait()
	return errors.Join(errs...)
}

// Await waits until w fires, the timeout passes or ctx ends; it reports
// whether w fired, and cancels w otherwise.
func (c *Cluster) Await(ctx context.Context, w *Watch, timeout time.Duration) bool {
	t := time.NewTimer(timeout)
	defer t.Stop()
	select {
	case <-w.Done():
		return true
	case <-t.C:
	case <-ctx.Done():
	}
	c.tracker.Cancel(w)
	// It may have fired between the timer and the cancel.
	select {
	case <-w.Done():
		return true
	default:
		return false
	}
}
