// Package clock is the time source of the driver (package mesh, the
// fault-injecting transport, the poll strategy): everything that reads the
// time or sets a timer outside the pure core goes through a Clock, so that
// tests run the driver on a Fake clock they advance by hand instead of
// sleeping on the wall clock.
//
// Real is the one place in the driver that calls the time package's clock
// functions. Fake fires its timers only when a test calls Advance, in
// deadline order, and lets a test wait until the code under test has armed
// its timers (BlockUntil), so that an Advance is never lost to a race with
// a goroutine that has not yet set its timer.
package clock

import (
	"context"
	"time"
)

// Clock reads the time and makes timers. Implementations are safe for
// concurrent use.
type Clock interface {
	// Now is the current time.
	Now() time.Time
	// Since is Now().Sub(t).
	Since(t time.Time) time.Duration
	// Until is t.Sub(Now()).
	Until(t time.Time) time.Duration
	// NewTimer returns a timer that sends the time on its channel once d
	// has passed.
	NewTimer(d time.Duration) Timer
	// NewTicker returns a ticker that sends the time on its channel every
	// d (d > 0), dropping ticks a slow reader misses.
	NewTicker(d time.Duration) Ticker
	// AfterFunc calls f once d has passed. The returned Timer's C is nil.
	AfterFunc(d time.Duration, f func()) Timer
}

// Timer is a one-shot timer, as time.Timer: after Stop or Reset returns, no
// value of the earlier arming is received from C.
type Timer interface {
	// C is the channel the time is sent on (nil for AfterFunc timers).
	C() <-chan time.Time
	// Reset re-arms the timer to fire after d and reports whether it was
	// armed.
	Reset(d time.Duration) bool
	// Stop disarms the timer and reports whether it was armed.
	Stop() bool
}

// Ticker is a periodic timer, as time.Ticker.
type Ticker interface {
	// C is the channel the ticks are sent on.
	C() <-chan time.Time
	// Reset changes the period to d (d > 0) and restarts it from now.
	Reset(d time.Duration)
	// Stop turns the ticker off; no tick is sent after it returns.
	Stop()
}

// WithTimeout is context.WithTimeout on clock c: the returned context is
// done once d has passed on c, with Err context.DeadlineExceeded. On the
// Real clock it is context.WithTimeout itself (so code that reads the
// deadline, such as net.Resolver, sees it); on any other clock the context
// reports no deadline, since a virtual deadline means nothing to code that
// waits on the wall clock.
func WithTimeout(parent context.Context, c Clock, d time.Duration) (context.Context, context.CancelFunc) {
	if _, ok := c.(Real); ok {
		return context.WithTimeout(parent, d)
	}
	ctx, cancel := context.WithCancelCause(parent)
	t := c.AfterFunc(d, func() { cancel(context.DeadlineExceeded) })
	return &timeoutCtx{ctx}, func() { t.Stop(); cancel(context.Canceled) }
}

// timeoutCtx reports a cancellation caused by its timer as
// context.DeadlineExceeded, as a context of context.WithTimeout does.
type timeoutCtx struct{ context.Context }

func (c *timeoutCtx) Err() error {
	err := c.Context.Err()
	if err != nil && context.Cause(c.Context) == context.DeadlineExceeded {
		return context.DeadlineExceeded
	}
	return err
}

// DeadlineOn is ctx's deadline expressed on clock c. A context's deadline
// is a wall-clock time; on another clock it is the time as far from c's now
// as the deadline is from the wall clock's, so that code comparing it with
// c.Now() gives up after the same length of time.
func DeadlineOn(ctx context.Context, c Clock) (time.Time, bool) {
	dl, ok := ctx.Deadline()
	if !ok {
		return time.Time{}, false
	}
	if _, real := c.(Real); real {
		return dl, true
	}
	return c.Now().Add(Real{}.Until(dl)), true
}

type ctxKey struct{}

// NewContext returns ctx carrying c. A Mesh hands its clock to the
// strategies it runs this way, through the one argument the Strategy
// interface gives them, so that the poll strategy runs on the same clock as
// the Mesh without a clock in any public type.
func NewContext(ctx context.Context, c Clock) context.Context {
	return context.WithValue(ctx, ctxKey{}, c)
}

// FromContext is the clock ctx carries, or Real if it carries none.
func FromContext(ctx context.Context) Clock {
	if c, ok := ctx.Value(ctxKey{}).(Clock); ok && c != nil {
		return c
	}
	return Real{}
}
