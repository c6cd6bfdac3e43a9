package dns

import (
	"context"

	"github.com/meshd/meshd/mesh"
	"github.com/meshd/meshd/mesh/strategy/internal/dnsclient"
	"github.com/meshd/meshd/mesh/strategy/internal/hostport"
	"github.com/meshd/meshd/mesh/strategy/poll"
)

// Strategy polls the A and AAAA records of a name. It implements
// mesh.Strategy and mesh.StrategyReporter; Run is called from one goroutine
// at a time, the other methods from any.
type Strategy struct {
	cfg    Config
	client *dnsclient.Client
	poller *poll.Poller
}

var (
	_ mesh.Strategy         = (*Strategy)(nil)
	_ mesh.StrategyReporter = (*Strategy)(nil)
)

// New validates cfg and returns the strategy; errors name the bad field.
func New(cfg Config) (*Strategy, error) {
	cfg = cfg.withDefaults()
	if err := cfg.validate(); err != nil {
		return nil, err
	}
	c, err := dnsclient.New(cfg.Resolver, cfg.Timeout)
	if err != nil {
		return nil, err
	}
	s := &Strategy{cfg: cfg, client: c}
	// A poll may ask several servers and search names, each bounded by
	// Timeout: give the whole poll room for that but not forever.
	s.poller = poll.New(poll.Options{Name: Kind, Interval: cfg.Interval, Timeout: 4 * cfg.Timeout, Logger: cfg.Logger}, s.poll)
	return s, nil
}

// Name returns "dns".
func (s *Strategy) Name() string { return Kind }

// Run polls at once and every Interval until ctx ends; failures keep the
// last good list.
func (s *Strategy) Run(ctx context.Context, found func([]string)) error {
	return s.poller.Run(ctx, found)
}

// Stats returns the poll counters (mesh.StrategyReporter).
func (s *Strategy) Stats() mesh.StrategyStats { return s.poller.Stats() }

// Wait blocks until the first good list was handed over or ctx ends: for
// callers that want seeds before they go on; start-up does not wait.
func (s *Strategy) Wait(ctx context.Context) error { return s.poller.Wait(ctx) }

func (s *Strategy) poll(ctx context.Context) ([]string, error) {
	ips, err := s.client.LookupIP(ctx, s.cfg.Name)
	if err != nil {
		return nil, err
	}
	out := make([]string, 0, len(ips))
	for _, ip := range ips {
		if dnsclient.InFamily(s.cfg.Family, ip) {
			out = append(out, hostport.Join(ip, uint16(s.cfg.Port)))
		}
	}
	return out, nil
}
