package static

import (
	"context"

	"github.com/meshd/meshd/mesh"
	"github.com/meshd/meshd/mesh/strategy/internal/dnsclient"
	"github.com/meshd/meshd/mesh/strategy/internal/hostport"
	"github.com/meshd/meshd/mesh/strategy/poll"
)

// Strategy is a static list of seeds. It implements mesh.Strategy and
// mesh.StrategyReporter; Run is called from one goroutine at a time, the
// other methods from any.
type Strategy struct {
	entries []hostport.Entry
	expand  *hostport.Expander
	poller  *poll.Poller
}

var (
	_ mesh.Strategy         = (*Strategy)(nil)
	_ mesh.StrategyReporter = (*Strategy)(nil)
)

// New validates cfg and returns the strategy; errors name the bad field.
func New(cfg Config) (*Strategy, error) {
	cfg = cfg.withDefaults()
	entries, err := cfg.entries()
	if err != nil {
		return nil, err
	}
	r, err := dnsclient.HostResolver(cfg.Resolver)
	if err != nil {
		return nil, err
	}
	s := &Strategy{entries: entries, expand: &hostport.Expander{Resolver: r}}
	s.poller = poll.New(poll.Options{Name: Kind, Interval: cfg.Interval, Logger: cfg.Logger}, s.poll)
	return s, nil
}

// Name returns "static".
func (s *Strategy) Name() string { return Kind }

// Run hands the list to found at once and again every Interval, resolving
// names each time, until ctx ends.
func (s *Strategy) Run(ctx context.Context, found func([]string)) error {
	return s.poller.Run(ctx, found)
}

// Stats returns the poll counters (mesh.StrategyReporter).
func (s *Strategy) Stats() mesh.StrategyStats { return s.poller.Stats() }

// Wait blocks until the first list was handed over or ctx ends.
func (s *Strategy) Wait(ctx context.Context) error { return s.poller.Wait(ctx) }

func (s *Strategy) poll(ctx context.Context) ([]string, error) {
	list, err := s.expand.Expand(ctx, s.entries)
	return list, poll.Partial(err)
}
