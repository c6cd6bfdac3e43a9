package mesh_test

import (
	"context"
	"testing"
	"time"

	"github.com/meshd/meshd/internal/clock"
	"github.com/meshd/meshd/mesh"
	"github.com/meshd/meshd/mesh/strategy/static"
)

var epoch = time.Date(2000, 1, 1, 0, 0, 0, 0, time.UTC)

// onClock makes a node read the time from fc.
func onClock(fc *clock.Fake) func(*mesh.Config) {
	return func(c *mesh.Config) { mesh.SetClock(c, fc) }
}

// parked waits until n timers of fc are armed: an idle mesh has one, its
// engine's, which it re-arms once it has handled what the last one fired.
func parked(t *testing.T, fc *clock.Fake, n int) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := fc.BlockUntil(ctx, n); err != nil {
		t.Fatalf("%d timers never armed: %v", n, err)
	}
}

// Leave gossips for LeavePropagateDelay on the mesh's clock, not the wall
// clock, and then stops the mesh.
func TestLeaveWaitsOnTheClock(t *testing.T) {
	fc := clock.NewFake(epoch)
	a := newNode(t, "a", onClock(fc))
	b := newNode(t, "b", nil)
	if err := tryJoin(a, b); err != nil {
		t.Fatal(err)
	}
	waitFor(t, 20*time.Second, "b to see a", func() bool { return aliveCount(b) == 2 }, b)
	parked(t, fc, 1)
	left := make(chan error, 1)
	go func() { left <- a.Leave(context.Background()) }()
	parked(t, fc, 2) // the engine's timer and Leave's
	delay := mesh.DefaultLocalConfig().LeavePropagateDelay
	fc.Advance(delay - time.Nanosecond)
	select {
	case err := <-left:
		t.Fatalf("Leave returned (%v) before LeavePropagateDelay passed on its clock", err)
	default:
	}
	fc.Advance(time.Nanosecond)
	select {
	case err := <-left:
		if err != nil {
			t.Fatal(err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("Leave did not return once LeavePropagateDelay passed on its clock")
	}
	waitFor(t, 20*time.Second, "b to learn that a left", func() bool {
		for _, m := range b.Members() {
			if m.Name == "a" {
				return m.State == mesh.StateLeft
			}
		}
		return false
	}, b)
}

// A member that stops answering is suspected and then declared dead on the
// detector's clock: the verdict comes no sooner than a probe timeout plus
// the minimum suspicion timeout after the member went silent, and it comes
// without any wall-clock wait.
func TestFailureDetectedOnTheClock(t *testing.T) {
	fc := clock.NewFake(epoch)
	a := newNode(t, "a", onClock(fc))
	b := newNode(t, "b", nil)
	if err := tryJoin(a, b); err != nil {
		t.Fatal(err)
	}
	waitFor(t, 20*time.Second, "a to see b", func() bool { return aliveCount(a) == 2 }, a)
	events, cancel := a.Subscribe()
	defer cancel()
	b.Close()
	silent := fc.Now()
	cfg := mesh.DefaultLocalConfig()
	// Two members: the minimum suspicion timeout is SuspicionMult probe
	// intervals (log10 of the size is below 1).
	earliest := cfg.ProbeTimeout + time.Duration(cfg.SuspicionMult)*cfg.ProbeInterval
	const step = 50 * time.Millisecond
	for fc.Since(silent) < 10*time.Minute {
		parked(t, fc, 1)
		fc.Advance(step)
		if ev, ok := failEvent(events); ok {
			if ev.Member.Name != "b" {
				t.Fatalf("%s declared dead, want b", ev.Member.Name)
			}
			d := ev.At.Sub(silent)
			if d < earliest {
				t.Fatalf("b declared dead %v after it went silent, sooner than %v", d, earliest)
			}
			t.Logf("b declared dead %v (virtual) after it went silent", d)
			return
		}
	}
	t.Fatal("b not declared dead within 10 virtual minutes")
}

// failEvent takes the events already delivered and returns the first
// EventFail among them.
func failEvent(events <-chan mesh.Event) (mesh.Event, bool) {
	for {
		select {
		case ev := <-events:
			if ev.Type == mesh.EventFail {
				return ev, true
			}
		default:
			return mesh.Event{}, false
		}
	}
}

// The strategies a mesh runs poll on the mesh's clock: a poll made while
// the fake clock stands still is stamped with the fake time.
func TestStrategiesRunOnTheMeshClock(t *testing.T) {
	b := newNode(t, "b", nil)
	st, err := static.New(static.Config{Hosts: []string{b.Addr().String()}, Interval: time.Hour})
	if err != nil {
		t.Fatal(err)
	}
	fc := clock.NewFake(epoch)
	a := newNode(t, "a", func(c *mesh.Config) {
		mesh.SetClock(c, fc)
		c.Strategies = []mesh.Strategy{st}
	})
	waitFor(t, 20*time.Second, "a to join b, found by its strategy", func() bool { return aliveCount(a) == 2 }, a)
	if got := a.Stats().Strategies["static"].LastSuccess; !got.Equal(epoch) {
		t.Fatalf("the strategy's poll is stamped %v, want the mesh clock's %v", got, epoch)
	}
}
