package dnssrv

import (
	"context"
	"errors"
	"fmt"
	"net/netip"
	"strings"
	"sync"

	"github.com/meshd/meshd/mesh"
	"github.com/meshd/meshd/mesh/strategy/internal/dnsclient"
	"github.com/meshd/meshd/mesh/strategy/internal/hostport"
	"github.com/meshd/meshd/mesh/strategy/poll"
)

const (
	// MaxTargets bounds the targets resolved per poll: each without glue
	// costs two queries.
	MaxTargets = 512
	// lookups is how many target lookups run at once.
	lookups = 8
)

// Strategy polls the SRV records of a name. It implements mesh.Strategy and
// mesh.StrategyReporter; Run is called from one goroutine at a time, the
// other methods from any.
type Strategy struct {
	cfg    Config
	client *dnsclient.Client
	poller *poll.Poller

	mu   sync.Mutex
	last map[string][]netip.Addr // target -> last good addresses
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
	s := &Strategy{cfg: cfg, client: c, last: map[string][]netip.Addr{}}
	// One SRV query, then rounds of target lookups: room for a few timeouts.
	s.poller = poll.New(poll.Options{Name: Kind, Interval: cfg.Interval, Timeout: 6 * cfg.Timeout, Logger: cfg.Logger}, s.poll)
	return s, nil
}

// Name returns "dnssrv".
func (s *Strategy) Name() string { return Kind }

// Run polls at once and every Interval until ctx ends; failures keep the
// last good list.
func (s *Strategy) Run(ctx context.Context, found func([]string)) error {
	return s.poller.Run(ctx, found)
}

// Stats returns the poll counters (mesh.StrategyReporter).
func (s *Strategy) Stats() mesh.StrategyStats { return s.poller.Stats() }

// Wait blocks until the first good list was handed over or ctx ends.
func (s *Strategy) Wait(ctx context.Context) error { return s.poller.Wait(ctx) }

func (s *Strategy) poll(ctx context.Context) ([]string, error) {
	targets, err := s.client.LookupSRV(ctx, s.cfg.Name)
	if err != nil {
		return nil, err
	}
	var errs []error
	if len(targets) > MaxTargets {
		errs = append(errs, fmt.Errorf("%d SRV targets, only the first %d are used", len(targets), MaxTargets))
		targets = targets[:MaxTargets]
	}
	addrs := make([][]netip.Addr, len(targets))
	lookupErrs := make([]error, len(targets))
	sem := make(chan struct{}, lookups)
	var wg sync.WaitGroup
	for i, t := range targets {
		if len(t.Glue) > 0 {
			addrs[i] = t.Glue
			continue
		}
		wg.Add(1)
		sem <- struct{}{}
		go func() {
			defer wg.Done()
			defer func() { <-sem }()
			addrs[i], lookupErrs[i] = s.resolve(ctx, t.Host)
		}()
	}
	wg.Wait()

	var out []string
	for i, t := range targets {
		if lookupErrs[i] != nil {
			errs = append(errs, lookupErrs[i])
		}
		for _, ip := range addrs[i] {
			if dnsclient.InFamily(s.cfg.Family, ip) {
				out = append(out, hostport.Join(ip, t.Port))
			}
		}
	}
	s.forget(targets)
	return out, poll.Partial(errors.Join(errs...))
}

// resolve looks a target up, falling back to its last good addresses.
func (s *Strategy) resolve(ctx context.Context, host string) ([]netip.Addr, error) {
	key := strings.ToLower(host)
	ips, err := s.client.LookupIP(ctx, host)
	if err == nil && len(ips) == 0 {
		err = errors.New("no addresses")
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if err != nil {
		return s.last[key], fmt.Errorf("SRV target %s: %w", host, err)
	}
	s.last[key] = ips
	return ips, nil
}

// forget drops remembered targets that are no longer in the answer.
func (s *Strategy) forget(targets []dnsclient.Target) {
	keep := make(map[string]bool, len(targets))
	for _, t := range targets {
		keep[strings.ToLower(t.Host)] = true
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	for k := range s.last {
		if !keep[k] {
			delete(s.last, k)
		}
	}
}
