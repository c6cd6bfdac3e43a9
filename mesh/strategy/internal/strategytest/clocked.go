package strategytest

import (
	"context"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/meshd/meshd/internal/clock"
	"github.com/meshd/meshd/mesh"
)

// maxPolls bounds how many polls Clocked.AwaitFunc lets a strategy make.
const maxPolls = 100

// Clocked is a strategy that polls only when the test lets it: it runs on a
// fake clock (handed to its Poller through the Run context, as a Mesh hands
// its own), and each Poll advances that clock to the strategy's next poll
// and waits until the poll is done. Nothing sleeps, and a test knows
// exactly how many polls were made.
type Clocked struct {
	t     testing.TB
	Clock *clock.Fake
	// C receives the lists the strategy hands to found.
	C <-chan []string
}

// RunClocked starts s.Run on a fake clock, on its own goroutine. At the end
// of the test Run is cancelled and must return nil. The strategy must set
// one timer at a time (one Poller).
func RunClocked(t testing.TB, s mesh.Strategy) *Clocked {
	t.Helper()
	fc := clock.NewFake(time.Date(2000, 1, 1, 0, 0, 0, 0, time.UTC))
	ch := make(chan []string, 4096)
	ctx, cancel := context.WithCancel(clock.NewContext(context.Background(), fc))
	done := make(chan error, 1)
	go func() { done <- s.Run(ctx, func(l []string) { ch <- l }) }()
	t.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("Run: %v", err)
		}
	})
	return &Clocked{t: t, Clock: fc, C: ch}
}

// parked waits until the strategy waits on its timer, its poll done.
func (c *Clocked) parked() {
	c.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if err := c.Clock.BlockUntil(ctx, 1); err != nil {
		c.t.Fatalf("the strategy did not finish its poll within 30s: %v", err)
	}
}

// Poll waits until the strategy's current poll is done, advances the clock
// to its next one and waits until that is done too.
func (c *Clocked) Poll() {
	c.t.Helper()
	c.parked()
	d, _ := c.Clock.Next()
	c.Clock.Advance(d)
	c.parked()
}

// AwaitFunc lets the strategy poll until it delivers a list that satisfies
// ok and returns it; what says in the failure what was awaited.
func (c *Clocked) AwaitFunc(what string, ok func([]string) bool) []string {
	c.t.Helper()
	c.parked()
	var last []string
	for range maxPolls {
		for len(c.C) > 0 {
			if last = <-c.C; ok(last) {
				return last
			}
		}
		c.Poll()
	}
	c.t.Fatalf("no list where %s in %d polls; last %q", what, maxPolls, last)
	return nil
}

// Await lets the strategy poll until it delivers the list want (in any
// order).
func (c *Clocked) Await(want ...string) {
	c.t.Helper()
	want = slices.Sorted(slices.Values(want))
	c.AwaitFunc(strings.Join(want, ","), func(l []string) bool { return slices.Equal(l, want) })
}

// Keeps lets s poll n times, checks that each poll failed, that nothing but
// last was delivered meanwhile and that LastError mentions msg, and returns
// the stats it checked.
func (c *Clocked) Keeps(s mesh.StrategyReporter, last []string, n uint64, msg string) mesh.StrategyStats {
	c.t.Helper()
	c.parked()
	start := s.Stats().Errors
	for range n {
		c.Poll()
	}
	for len(c.C) > 0 {
		if l := <-c.C; !slices.Equal(l, last) {
			c.t.Fatalf("delivered %q during a failure, want only the last good %q", l, last)
		}
	}
	st := s.Stats()
	if st.Errors != start+n {
		c.t.Fatalf("%d of %d polls failed: %+v", st.Errors-start, n, st)
	}
	if !strings.Contains(st.LastError, msg) {
		c.t.Fatalf("stats %+v, want LastError mentioning %q", st, msg)
	}
	return st
}
