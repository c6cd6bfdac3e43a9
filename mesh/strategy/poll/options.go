package poll

import (
	"log/slog"
	"time"
)

// Defaults for Options fields left at zero.
const (
	DefaultInterval   = 5 * time.Second
	DefaultMaxBackoff = time.Minute
	DefaultTimeout    = 10 * time.Second
	// firstRetryCap bounds the first retry after a failure: the backoff
	// starts at min(Interval, firstRetryCap) and doubles up to MaxBackoff,
	// so a cluster that boots before its DNS records exist finds them
	// within seconds, not after a full Interval.
	firstRetryCap = time.Second
)

// Options configure a Poller. Zero and negative durations mean the default.
type Options struct {
	// Name is the strategy's kind ("dns", "static", ...), used in logs.
	Name string
	// Interval is the time between two successful polls, jittered by ±10%
	// so that nodes started together do not poll in lockstep. Default 5s.
	Interval time.Duration
	// MaxBackoff caps the wait between retries after failures. Retries start
	// at min(Interval, 1s) and double per consecutive failure, with jitter.
	// Default 1m.
	MaxBackoff time.Duration
	// Timeout bounds one call of the Func (its context carries it).
	// Default 10s.
	Timeout time.Duration
	// Logger receives the rate-limited failure and recovery lines.
	// Default slog.Default().
	Logger *slog.Logger
	// Seed seeds the jitter. 0 picks a random seed.
	Seed int64
}

func (o Options) withDefaults() Options {
	if o.Interval <= 0 {
		o.Interval = DefaultInterval
	}
	if o.MaxBackoff <= 0 {
		o.MaxBackoff = DefaultMaxBackoff
	}
	if o.Timeout <= 0 {
		o.Timeout = DefaultTimeout
	}
	if o.Logger == nil {
		o.Logger = slog.Default()
	}
	if o.Name == "" {
		o.Name = "strategy"
	}
	return o
}
