package clock

import (
	"context"
	"sync"
	"time"
)

// Fake is a clock that moves only when a test calls Advance. Timers fall due
// in deadline order (arming order between equal deadlines), each seeing Now
// at its own deadline, so a run is the same every time. A timer armed with
// d <= 0 is due at once: a channel timer sends immediately and an AfterFunc
// runs on a new goroutine, as with the time package. Other AfterFunc
// functions run on the goroutine that calls Advance, one after another; they
// must not wait for that goroutine.
type Fake struct {
	mu      sync.Mutex
	now     time.Time
	seq     uint64
	armed   map[*fakeTimer]struct{}
	changed chan struct{} // closed and replaced whenever a timer is armed
}

// NewFake returns a Fake clock that reads start until it is advanced.
func NewFake(start time.Time) *Fake {
	return &Fake{now: start, armed: map[*fakeTimer]struct{}{}, changed: make(chan struct{})}
}

// Now is the fake current time.
func (f *Fake) Now() time.Time {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.now
}

// Since is Now().Sub(t).
func (f *Fake) Since(t time.Time) time.Duration { return f.Now().Sub(t) }

// Until is t.Sub(Now()).
func (f *Fake) Until(t time.Time) time.Duration { return t.Sub(f.Now()) }

// NewTimer returns a timer of this clock.
func (f *Fake) NewTimer(d time.Duration) Timer {
	t := &fakeTimer{f: f, c: make(chan time.Time, 1)}
	t.Reset(d)
	return t
}

// NewTicker returns a ticker of this clock. It panics if d <= 0, as
// time.NewTicker does.
func (f *Fake) NewTicker(d time.Duration) Ticker {
	if d <= 0 {
		panic("clock: non-positive interval for NewTicker")
	}
	t := &fakeTimer{f: f, c: make(chan time.Time, 1), period: d}
	t.Reset(d)
	return fakeTicker{t}
}

// AfterFunc calls fn once d has passed on this clock.
func (f *Fake) AfterFunc(d time.Duration, fn func()) Timer {
	t := &fakeTimer{f: f, fn: fn}
	t.Reset(d)
	return t
}

// Advance moves the clock forward by d, firing every timer that falls due
// on the way, including those that the functions it runs arm within the
// window, and returns once the functions of AfterFunc timers have returned.
func (f *Fake) Advance(d time.Duration) {
	f.mu.Lock()
	target := f.now.Add(d)
	f.mu.Unlock()
	for {
		f.mu.Lock()
		t := f.earliestBy(target)
		if t == nil {
			if target.After(f.now) {
				f.now = target
			}
			f.mu.Unlock()
			return
		}
		if t.when.After(f.now) {
			f.now = t.when
		}
		fn := t.fire()
		f.mu.Unlock()
		if fn != nil {
			fn()
		}
	}
}

// Armed is how many timers, tickers and AfterFunc functions are waiting to
// fire.
func (f *Fake) Armed() int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return len(f.armed)
}

// Next is how long until the earliest armed timer falls due, and false if
// none is armed. A test reads it to check how long the code under test
// chose to wait, and advances by exactly that much so that the code re-arms
// from the instant its timer fired.
func (f *Fake) Next() (time.Duration, bool) {
	f.mu.Lock()
	defer f.mu.Unlock()
	var first *fakeTimer
	for t := range f.armed {
		if first == nil || t.when.Before(first.when) {
			first = t
		}
	}
	if first == nil {
		return 0, false
	}
	return first.when.Sub(f.now), true
}

// BlockUntil waits until at least n timers or tickers that deliver on a
// channel are armed, or ctx ends. A test calls it before Advance, so that
// the code under test has parked on the timer the advance is meant to fire.
// AfterFunc timers are not counted: whoever arms one goes on running (a
// timeout around a call, a delayed packet), so its being armed says nothing
// about where that code is.
func (f *Fake) BlockUntil(ctx context.Context, n int) error {
	for {
		f.mu.Lock()
		waiting := 0
		for t := range f.armed {
			if t.c != nil {
				waiting++
			}
		}
		if waiting >= n {
			f.mu.Unlock()
			return nil
		}
		ch := f.changed
		f.mu.Unlock()
		select {
		case <-ch:
		case <-ctx.Done():
			return context.Cause(ctx)
		}
	}
}

// earliestBy is the armed timer due first, if it is due by target.
// f.mu is held.
func (f *Fake) earliestBy(target time.Time) *fakeTimer {
	var first *fakeTimer
	for t := range f.armed {
		if t.when.After(target) {
			continue
		}
		if first == nil || t.when.Before(first.when) || (t.when.Equal(first.when) && t.seq < first.seq) {
			first = t
		}
	}
	return first
}

// fakeTimer is a Fake clock's timer, ticker (period > 0) or AfterFunc
// (fn != nil). Its fields are guarded by f.mu.
type fakeTimer struct {
	f      *Fake
	c      chan time.Time // nil for AfterFunc
	fn     func()
	period time.Duration
	when   time.Time
	seq    uint64
}

// arm sets the timer to fire d from now; f.mu is held. It returns the
// function to run on a new goroutine when the timer is an AfterFunc already
// due.
func (t *fakeTimer) arm(d time.Duration) func() {
	f := t.f
	f.seq++
	t.when, t.seq = f.now.Add(d), f.seq
	if d <= 0 && t.period == 0 {
		return t.fire()
	}
	f.armed[t] = struct{}{}
	close(f.changed)
	f.changed = make(chan struct{})
	return nil
}

// fire delivers the timer at f.now and re-arms a ticker; f.mu is held. It
// returns an AfterFunc's function, for the caller to run without the lock.
func (t *fakeTimer) fire() func() {
	if t.period > 0 {
		t.when = t.when.Add(t.period)
		t.f.seq++
		t.seq = t.f.seq
	} else {
		delete(t.f.armed, t)
	}
	if t.c != nil {
		select {
		case t.c <- t.f.now:
		default: // a ticker's reader is behind: the tick is dropped
		}
	}
	return t.fn
}

// disarm stops the timer and drops a value it sent and nobody received, so
// that nothing of an earlier arming arrives after Stop or Reset; f.mu is
// held.
func (t *fakeTimer) disarm() bool {
	_, was := t.f.armed[t]
	delete(t.f.armed, t)
	if t.c != nil {
		select {
		case <-t.c:
		default:
		}
	}
	return was
}

func (t *fakeTimer) C() <-chan time.Time { return t.c }

func (t *fakeTimer) Reset(d time.Duration) bool {
	t.f.mu.Lock()
	was := t.disarm()
	fn := t.arm(d)
	t.f.mu.Unlock()
	if fn != nil {
		go fn()
	}
	return was
}

func (t *fakeTimer) Stop() bool {
	t.f.mu.Lock()
	defer t.f.mu.Unlock()
	return t.disarm()
}

type fakeTicker struct{ t *fakeTimer }

func (k fakeTicker) C() <-chan time.Time { return k.t.c }

func (k fakeTicker) Reset(d time.Duration) {
	if d <= 0 {
		panic("clock: non-positive interval for Ticker.Reset")
	}
	k.t.f.mu.Lock()
	k.t.disarm()
	k.t.period = d
	k.t.arm(d)
	k.t.f.mu.Unlock()
}

func (k fakeTicker) Stop() {
	k.t.f.mu.Lock()
	k.t.disarm()
	k.t.f.mu.Unlock()
}
