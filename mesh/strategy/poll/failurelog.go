package poll

import (
	"errors"
	"log/slog"
	"sync"
	"time"

	"github.com/meshd/meshd/internal/clock"
)

// DefaultLogEvery is how often a repeating failure is logged again.
const DefaultLogEvery = time.Minute

// FailureLog rate-limits the log lines of a source that fails again and
// again: the first failure of a streak is logged, then at most one line per
// Every while failures repeat (saying how many were suppressed), and the
// recovery once. It is safe for concurrent use; the zero value logs to
// slog.Default() with DefaultLogEvery.
type FailureLog struct {
	// Logger receives the lines. Default slog.Default().
	Logger *slog.Logger
	// Name is logged as the "strategy" attribute.
	Name string
	// Every is the least time between two lines of one failure streak.
	// Default DefaultLogEvery.
	Every time.Duration

	mu         sync.Mutex
	clock      clock.Clock // nil: the system clock
	failing    bool
	since      time.Time // first failure of the streak
	lastLogged time.Time
	failures   int // in the current streak
	suppressed int // since the last line
}

// setClock makes the log read the time from c (a Poller passes its Run's).
func (l *FailureLog) setClock(c clock.Clock) {
	l.mu.Lock()
	l.clock = c
	l.mu.Unlock()
}

// now is the time on the log's clock; l.mu is held.
func (l *FailureLog) now() time.Time {
	if l.clock == nil {
		return clock.Real{}.Now()
	}
	return l.clock.Now()
}

func (l *FailureLog) logger() *slog.Logger {
	if l.Logger != nil {
		return l.Logger
	}
	return slog.Default()
}

// Failure records one failure and logs it unless the streak was logged less
// than Every ago.
func (l *FailureLog) Failure(err error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	now := l.now()
	every := l.Every
	if every <= 0 {
		every = DefaultLogEvery
	}
	l.failures++
	first, again := "discovery failed; keeping the last good seeds", "discovery still failing; keeping the last good seeds"
	var partial *PartialError
	if errors.As(err, &partial) {
		first, again = "discovery partly failed", "discovery still partly failing"
	}
	switch {
	case !l.failing:
		l.failing, l.since, l.lastLogged = true, now, now
		l.logger().Warn(first, "strategy", l.Name, "err", errString(err))
	case now.Sub(l.lastLogged) >= every:
		l.logger().Warn(again,
			"strategy", l.Name, "err", errString(err),
			"failures", l.failures, "suppressed", l.suppressed,
			"failing_for", now.Sub(l.since).Round(time.Millisecond))
		l.lastLogged, l.suppressed = now, 0
	default:
		l.suppressed++
	}
}

// Success ends a failure streak, logging the recovery once.
func (l *FailureLog) Success(seeds int) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if !l.failing {
		return
	}
	l.logger().Info("discovery recovered",
		"strategy", l.Name, "seeds", seeds, "failures", l.failures,
		"failed_for", l.now().Sub(l.since).Round(time.Millisecond))
	l.failing, l.failures, l.suppressed = false, 0, 0
}

func errString(err error) string {
	if err == nil {
		return "<nil>"
	}
	return err.Error()
}
