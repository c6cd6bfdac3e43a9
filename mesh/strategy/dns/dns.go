package dns

import (
	"context"
	"errors"
	"fmt"
	"net/netip"

	"github.com/meshd/meshd/mesh"
	"github.com/meshd/meshd/mesh/strategy/internal/dnsclient"
	"github.com/meshd/meshd/mesh/strategy/internal/hostport"
	"github.com/meshd/meshd/mesh/strategy/poll"
	mdns "github.com/miekg/dns"
)

// Strategy polls the A and AAAA records of a name. It implements
// mesh.Strategy and mesh.StrategyReporter; Run is called from one goroutine
// at a time, the other methods from any.
type Strategy struct {
	cfg      Config
	client   *dnsclient.Client
	poller   *poll.Poller
	failures dnsclient.Failures

	// Touched by poll only, which the Poller never runs concurrently.
	lastName string                  // the name the families below answered for
	last     map[uint16][]netip.Addr // qtype -> last good answer of that family
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
	s := &Strategy{cfg: cfg, client: c, last: map[uint16][]netip.Addr{}}
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

// Stats returns the poll counters (mesh.StrategyReporter), with every
// failed query counted by type and rcode in Failures.
func (s *Strategy) Stats() mesh.StrategyStats {
	st := s.poller.Stats()
	st.Failures = s.failures.Snapshot()
	return st
}

// Wait blocks until the first good list was handed over or ctx ends: for
// callers that want seeds before they go on; start-up does not wait.
func (s *Strategy) Wait(ctx context.Context) error { return s.poller.Wait(ctx) }

// poll asks each family on its own. A family that answered replaces its
// last good answer; one that failed contributes its last good answer (none
// at start) and is reported as a partial failure, so a server that refuses
// AAAA neither hides the A records nor makes the IPv6 seeds vanish on a
// hiccup. Only when every family failed does the poll fail.
func (s *Strategy) poll(ctx context.Context) ([]string, error) {
	l, err := s.client.LookupFamilies(ctx, s.cfg.Name, s.cfg.Family)
	for _, f := range l.Families {
		s.failures.Add(f.Qtype, f.Err)
	}
	if err != nil {
		return nil, err
	}
	if l.Name != s.lastName {
		// The search list landed on another name: the old answers are not
		// this name's.
		clear(s.last)
		s.lastName = l.Name
	}
	var out []string
	var errs []error
	for _, f := range l.Families {
		ips := f.Addrs
		if f.Err != nil {
			ips = s.last[f.Qtype]
			errs = append(errs, s.familyError(f, len(ips)))
		} else {
			s.last[f.Qtype] = ips
		}
		for _, ip := range ips {
			if dnsclient.InFamily(s.cfg.Family, ip) {
				out = append(out, hostport.Join(ip, uint16(s.cfg.Port)))
			}
		}
	}
	return out, poll.Partial(errors.Join(errs...))
}

// familyError says what a failed family costs and, for a refused AAAA
// query (dnsmasq refuses the AAAA of names it only has an A record for),
// how to stop asking.
func (s *Strategy) familyError(f dnsclient.FamilyResult, kept int) error {
	hint := ""
	if f.Qtype == mdns.TypeAAAA && s.cfg.Family == FamilyAny {
		hint = "; family=ipv4 stops asking for AAAA if the name has no IPv6 addresses"
	}
	return fmt.Errorf("%s records failed, the other family is used and this one keeps its last good %d addresses%s: %w",
		mdns.TypeToString[f.Qtype], kept, hint, f.Err)
}
