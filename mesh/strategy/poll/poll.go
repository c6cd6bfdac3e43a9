package poll

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/meshd/meshd/internal/clock"
	"github.com/meshd/meshd/mesh"
)

// Func asks the source once and returns the complete current list of seeds
// ("host:port"). Its context carries Options.Timeout.
type Func func(ctx context.Context) ([]string, error)

// Poller runs a Func on a schedule. Run is called from one goroutine at a
// time (a second concurrent Run returns an error); Stats, Last, Wait and
// Record are safe from any goroutine.
type Poller struct {
	opts    Options
	f       Func
	log     *FailureLog
	rng     *rand.Rand // used by Run only
	running atomic.Bool

	mu    sync.Mutex
	clock clock.Clock // the latest Run's; Real before the first
	stats mesh.StrategyStats
	last  []string
	ready chan struct{} // closed at the first success
}

// New returns a Poller of f. Zero Options fields take their defaults.
func New(opts Options, f Func) *Poller {
	opts = opts.withDefaults()
	seed := uint64(opts.Seed)
	if seed == 0 {
		seed = rand.Uint64()
	}
	return &Poller{
		opts:  opts,
		f:     f,
		log:   &FailureLog{Logger: opts.Logger, Name: opts.Name},
		clock: clock.Real{},
		rng:   rand.New(rand.NewPCG(seed, seed^0x9e3779b97f4a7c15)),
		ready: make(chan struct{}),
	}
}

// Run polls at once, then every Interval after a success and with capped,
// jittered exponential backoff after a failure, until ctx ends; then it
// returns nil. found receives the complete, sorted, de-duplicated list after
// every successful poll (unchanged or not) and is never called after a
// failure, so the last good list stands.
//
// Run waits, and stamps LastSuccess, on the clock that ctx carries: a Mesh
// hands its strategies its own clock that way (the system clock, or a
// test's fake one), so that tests of a strategy advance virtual time
// instead of sleeping.
func (p *Poller) Run(ctx context.Context, found func([]string)) error {
	if found == nil {
		return fmt.Errorf("poll: %s: Run needs a found function", p.opts.Name)
	}
	if p.f == nil {
		return fmt.Errorf("poll: %s: no poll function", p.opts.Name)
	}
	if !p.running.CompareAndSwap(false, true) {
		return fmt.Errorf("poll: %s: Run is already running", p.opts.Name)
	}
	defer p.running.Store(false)
	clk := clock.FromContext(ctx)
	p.mu.Lock()
	p.clock = clk
	p.mu.Unlock()
	p.log.setClock(clk)
	timer := clk.NewTimer(0)
	defer timer.Stop()
	failures := 0
	for {
		select {
		case <-ctx.Done():
			return nil
		case <-timer.C():
		}
		list, err := p.once(ctx, clk)
		if ctx.Err() != nil {
			// Cancelled mid-poll: that is shutdown, not a failed source.
			return nil
		}
		var wait time.Duration
		if p.report(list, err) {
			failures = 0
			found(list)
			wait = jitter(p.opts.Interval, p.rng)
		} else {
			failures++
			wait = backoff(failures, p.opts.Interval, p.opts.MaxBackoff, p.rng)
		}
		timer.Reset(wait)
	}
}

// once calls the Func with the poll timeout, turning a panic into an error
// and cleaning the list.
func (p *Poller) once(ctx context.Context, clk clock.Clock) (list []string, err error) {
	ctx, cancel := clock.WithTimeout(ctx, clk, p.opts.Timeout)
	defer cancel()
	defer func() {
		if v := recover(); v != nil {
			list, err = nil, panicError{v}
		}
	}()
	list, err = p.f(ctx)
	return normalize(list), err
}

// report updates the stats and the log for one poll and says whether list is
// to be delivered.
func (p *Poller) report(list []string, err error) bool {
	var partial *PartialError
	usable := len(list) > 0 && (err == nil || errors.As(err, &partial))
	if err == nil && len(list) == 0 {
		err = ErrNoAddresses
	}
	p.record(usable, len(list), list, err)
	return usable
}

// Record reports a poll made outside Run, by strategies that are told about
// changes (watches, pushes): n seeds on success, or err. It updates Stats and
// logs like Run does.
func (p *Poller) Record(n int, err error) {
	p.record(err == nil, n, nil, err)
}

// record counts one poll and logs err or its success. usable says that the
// poll found n seeds to use (with an error too, if partial); list, when not
// nil, becomes the last good list.
func (p *Poller) record(usable bool, n int, list []string, err error) {
	p.mu.Lock()
	now := p.clock.Now()
	p.stats.Polls++
	if err != nil {
		p.stats.Errors++
		p.stats.LastError = err.Error()
	} else {
		p.stats.LastError = ""
	}
	if usable {
		p.stats.LastSuccess = now
		p.stats.Seeds = n
		if list != nil {
			p.last = list
		}
		select {
		case <-p.ready:
		default:
			close(p.ready)
		}
	}
	p.mu.Unlock()

	if err != nil {
		p.log.Failure(err)
	} else {
		p.log.Success(n)
	}
}

// Stats returns the counters for metrics (mesh.StrategyReporter). LastError
// is the error of the latest poll, empty once a poll succeeds; Seeds is the
// size of the last good list.
func (p *Poller) Stats() mesh.StrategyStats {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.stats
}

// Last returns a copy of the last good list, nil before the first success.
func (p *Poller) Last() []string {
	p.mu.Lock()
	defer p.mu.Unlock()
	return slices.Clone(p.last)
}

// Wait blocks until the first successful poll or until ctx ends, for callers
// that want seeds before they go on (start-up never waits by itself).
func (p *Poller) Wait(ctx context.Context) error {
	select {
	case <-p.ready:
		return nil
	case <-ctx.Done():
		return fmt.Errorf("poll: %s: no seeds yet: %w", p.opts.Name, context.Cause(ctx))
	}
}

// normalize trims, drops empty entries, sorts and de-duplicates, so found
// gets a stable list whatever order the source answered in.
func normalize(list []string) []string {
	out := make([]string, 0, len(list))
	for _, s := range list {
		if s = strings.TrimSpace(s); s != "" {
			out = append(out, s)
		}
	}
	slices.Sort(out)
	return slices.Compact(out)
}
