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
	mdns "github.com/miekg/dns"
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

	failures dnsclient.Failures

	mu   sync.Mutex
	last map[string]map[uint16][]netip.Addr // target -> qtype -> last good addresses
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
	s := &Strategy{cfg: cfg, client: c, last: map[string]map[uint16][]netip.Addr{}}
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

// Stats returns the poll counters (mesh.StrategyReporter), with every
// failed query (the SRV query and each target's A and AAAA) counted by type
// and rcode in Failures.
func (s *Strategy) Stats() mesh.StrategyStats {
	st := s.poller.Stats()
	st.Failures = s.failures.Snapshot()
	return st
}

// Wait blocks until the first good list was handed over or ctx ends.
func (s *Strategy) Wait(ctx context.Context) error { return s.poller.Wait(ctx) }

func (s *Strategy) poll(ctx context.Context) ([]string, error) {
	targets, err := s.client.LookupSRV(ctx, s.cfg.Name)
	s.failures.Add(mdns.TypeSRV, err)
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

// resolve looks a target up, each family on its own: a family that
// answered replaces its last good addresses, one that failed falls back to
// them (none the first time) and is reported, so a server that refuses the
// AAAA query of a target with an A record still yields the target.
func (s *Strategy) resolve(ctx context.Context, host string) ([]netip.Addr, error) {
	key := strings.ToLower(host)
	l, err := s.client.LookupFamilies(ctx, host, s.cfg.Family)
	for _, f := range l.Families {
		s.failures.Add(f.Qtype, f.Err)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	last := s.last[key]
	if last == nil {
		last = map[uint16][]netip.Addr{}
		s.last[key] = last
	}
	var ips []netip.Addr
	var errs []error
	for _, f := range l.Families {
		if f.Err != nil {
			ips = append(ips, last[f.Qtype]...)
			errs = append(errs, fmt.Errorf("SRV target %s: %s records failed, keeping its last good %d addresses: %w",
				host, mdns.TypeToString[f.Qtype], len(last[f.Qtype]), f.Err))
			continue
		}
		last[f.Qtype] = f.Addrs
		ips = append(ips, f.Addrs...)
	}
	if err == nil && len(ips) == 0 && len(errs) == 0 {
		errs = append(errs, fmt.Errorf("SRV target %s: no addresses", host))
	}
	return ips, errors.Join(errs...)
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
