package clock

import (
	"context"
	"errors"
	"slices"
	"testing"
	"time"

	"go.uber.org/goleak"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

var epoch = time.Date(2000, 1, 1, 0, 0, 0, 0, time.UTC)

func received(c <-chan time.Time) (time.Time, bool) {
	select {
	case v := <-c:
		return v, true
	default:
		return time.Time{}, false
	}
}

func TestFakeTimerFiresOnlyWhenDue(t *testing.T) {
	f := NewFake(epoch)
	tm := f.NewTimer(time.Second)
	f.Advance(999 * time.Millisecond)
	if _, ok := received(tm.C()); ok {
		t.Fatal("timer fired before its deadline")
	}
	if d, ok := f.Next(); !ok || d != time.Millisecond {
		t.Fatalf("Next() = %v, %v; want 1ms", d, ok)
	}
	f.Advance(time.Millisecond)
	if v, ok := received(tm.C()); !ok || !v.Equal(epoch.Add(time.Second)) {
		t.Fatalf("timer at its deadline sent %v, %v; want %v", v, ok, epoch.Add(time.Second))
	}
	if _, ok := f.Next(); f.Armed() != 0 || ok {
		t.Fatalf("%d timers armed after a one-shot fired", f.Armed())
	}
	if !f.Now().Equal(epoch.Add(time.Second)) || f.Since(epoch) != time.Second || f.Until(epoch) != -time.Second {
		t.Fatalf("Now %v, Since %v", f.Now(), f.Since(epoch))
	}
}

func TestFakeFiresInDeadlineOrderAtEachDeadline(t *testing.T) {
	f := NewFake(epoch)
	var got []time.Duration
	for _, d := range []time.Duration{3, 1, 2, 1} {
		f.AfterFunc(d*time.Second, func() { got = append(got, f.Since(epoch)) })
	}
	// A function armed by a function, due within the window, fires too.
	f.AfterFunc(4*time.Second, func() {
		f.AfterFunc(time.Second, func() { got = append(got, f.Since(epoch)) })
	})
	f.Advance(10 * time.Second)
	want := []time.Duration{time.Second, time.Second, 2 * time.Second, 3 * time.Second, 5 * time.Second}
	if !slices.Equal(got, want) {
		t.Fatalf("fired at %v, want %v", got, want)
	}
	if f.Since(epoch) != 10*time.Second {
		t.Fatalf("clock at %v after Advance(10s)", f.Since(epoch))
	}
}

func TestFakeStopAndResetDropStaleValues(t *testing.T) {
	f := NewFake(epoch)
	tm := f.NewTimer(time.Second)
	f.Advance(time.Second) // fired, nobody received
	if tm.Reset(time.Second) {
		t.Fatal("Reset of a fired timer reported it armed")
	}
	if _, ok := received(tm.C()); ok {
		t.Fatal("a value of the earlier arming arrived after Reset")
	}
	if !tm.Stop() {
		t.Fatal("Stop of an armed timer reported it not armed")
	}
	f.Advance(time.Hour)
	if _, ok := received(tm.C()); ok {
		t.Fatal("a stopped timer fired")
	}
	af := f.AfterFunc(time.Second, func() { t.Fatal("a stopped AfterFunc ran") })
	af.Stop()
	f.Advance(time.Hour)
}

func TestFakeDueTimersFireAtOnce(t *testing.T) {
	f := NewFake(epoch)
	tm := f.NewTimer(0)
	if v, ok := received(tm.C()); !ok || !v.Equal(epoch) {
		t.Fatalf("NewTimer(0) sent %v, %v; want at once", v, ok)
	}
	ran := make(chan struct{})
	f.AfterFunc(-time.Second, func() { close(ran) })
	<-ran
}

func TestFakeTicker(t *testing.T) {
	f := NewFake(epoch)
	k := f.NewTicker(time.Second)
	f.Advance(time.Second)
	if v, ok := received(k.C()); !ok || !v.Equal(epoch.Add(time.Second)) {
		t.Fatalf("first tick %v, %v", v, ok)
	}
	// A reader that is behind gets one tick, not a backlog.
	f.Advance(5 * time.Second)
	if _, ok := received(k.C()); !ok {
		t.Fatal("no tick after 5 periods")
	}
	if _, ok := received(k.C()); ok {
		t.Fatal("ticks piled up for a slow reader")
	}
	k.Reset(10 * time.Second)
	f.Advance(9 * time.Second)
	if _, ok := received(k.C()); ok {
		t.Fatal("tick before the new period")
	}
	f.Advance(time.Second)
	if _, ok := received(k.C()); !ok {
		t.Fatal("no tick after the new period")
	}
	k.Stop()
	if f.Armed() != 0 {
		t.Fatal("a stopped ticker is still armed")
	}
	f.Advance(time.Hour)
	if _, ok := received(k.C()); ok {
		t.Fatal("a stopped ticker ticked")
	}
}

func TestFakeBlockUntil(t *testing.T) {
	f := NewFake(epoch)
	armed := make(chan Timer)
	go func() { armed <- f.NewTimer(time.Minute) }()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := f.BlockUntil(ctx, 1); err != nil {
		t.Fatal(err)
	}
	tm := <-armed
	f.Advance(time.Minute)
	if _, ok := received(tm.C()); !ok {
		t.Fatal("the awaited timer did not fire")
	}
	// An armed AfterFunc is not code parked on a timer.
	f.AfterFunc(time.Minute, func() {})
	short, cancel2 := context.WithCancel(context.Background())
	cancel2()
	if err := f.BlockUntil(short, 1); !errors.Is(err, context.Canceled) {
		t.Fatalf("BlockUntil on an ended context: %v", err)
	}
}

func TestWithTimeout(t *testing.T) {
	f := NewFake(epoch)
	ctx, cancel := WithTimeout(context.Background(), f, time.Second)
	defer cancel()
	if _, ok := ctx.Deadline(); ok {
		t.Fatal("a virtual deadline was reported to wall-clock code")
	}
	f.Advance(999 * time.Millisecond)
	if ctx.Err() != nil {
		t.Fatal("context ended before its timeout")
	}
	f.Advance(time.Millisecond)
	<-ctx.Done()
	if !errors.Is(ctx.Err(), context.DeadlineExceeded) {
		t.Fatalf("Err %v, want DeadlineExceeded", ctx.Err())
	}
	ctx2, cancel2 := WithTimeout(context.Background(), f, time.Second)
	cancel2()
	if !errors.Is(ctx2.Err(), context.Canceled) || f.Armed() != 0 {
		t.Fatalf("cancelled: Err %v, %d timers left armed", ctx2.Err(), f.Armed())
	}
	real, cancel3 := WithTimeout(context.Background(), Real{}, time.Hour)
	defer cancel3()
	if _, ok := real.Deadline(); !ok {
		t.Fatal("on the Real clock the deadline must be visible")
	}
}

func TestContextCarriesTheClock(t *testing.T) {
	f := NewFake(epoch)
	if FromContext(NewContext(context.Background(), f)) != Clock(f) {
		t.Fatal("the clock put in a context is not the one read back")
	}
	if _, ok := FromContext(context.Background()).(Real); !ok {
		t.Fatal("a context without a clock does not give Real")
	}
}

func TestReal(t *testing.T) {
	var c Clock = Real{}
	tm := c.NewTimer(time.Millisecond)
	<-tm.C()
	k := c.NewTicker(time.Millisecond)
	<-k.C()
	k.Stop()
	done := make(chan struct{})
	c.AfterFunc(time.Millisecond, func() { close(done) })
	<-done
	if c.Since(c.Now()) < 0 || c.Until(c.Now().Add(time.Hour)) <= 0 {
		t.Fatal("Since or Until is off")
	}
}

func TestDeadlineOn(t *testing.T) {
	f := NewFake(epoch)
	if _, ok := DeadlineOn(context.Background(), f); ok {
		t.Fatal("a deadline without one")
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Hour)
	defer cancel()
	dl, ok := DeadlineOn(ctx, f)
	if d := dl.Sub(epoch); !ok || d <= 59*time.Minute || d > time.Hour {
		t.Fatalf("an hour's deadline is %v away on the fake clock", d)
	}
	wall, _ := ctx.Deadline()
	if got, _ := DeadlineOn(ctx, Real{}); !got.Equal(wall) {
		t.Fatalf("on the real clock %v, want the context's own %v", got, wall)
	}
}
