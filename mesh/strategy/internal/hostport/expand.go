package hostport

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/netip"
	"slices"
	"sync"
)

// Resolver looks a host name up; its answers are IP addresses.
type Resolver interface {
	LookupIP(ctx context.Context, host string) ([]netip.Addr, error)
}

// Expander turns entries into "host:port" seeds, resolving names on every
// call. A name that fails to resolve contributes its last good addresses, so
// one bad name neither freezes nor empties the list; the failure is still
// returned, joined with the others. It is safe for concurrent use.
type Expander struct {
	Resolver Resolver

	mu   sync.Mutex
	last map[string][]netip.Addr // name -> last good answer
}

// Expand returns the seeds of entries and, if any name failed or the list
// had to be cut at MaxSeeds, an error saying so. The list may be non-empty
// together with an error: it is then the best current answer.
func (x *Expander) Expand(ctx context.Context, entries []Entry) ([]string, error) {
	var (
		out  []string
		errs []error
		cut  bool
	)
	add := func(ip netip.Addr, e Entry) {
		for p := int(e.Lo); p <= int(e.Hi); p++ {
			if len(out) >= MaxSeeds {
				cut = true
				return
			}
			out = append(out, Join(ip, uint16(p)))
		}
	}
	for _, e := range entries {
		if ctx.Err() != nil {
			return out, ctx.Err()
		}
		if !e.IsName() {
			add(e.IP, e)
			continue
		}
		ips, err := x.lookup(ctx, e.Host)
		if err != nil {
			errs = append(errs, err)
		}
		for _, ip := range ips {
			add(ip, e)
		}
	}
	if cut {
		errs = append(errs, fmt.Errorf("more than %d seeds; the rest were dropped", MaxSeeds))
	}
	return out, errors.Join(errs...)
}

// lookup resolves a name, falling back to its last good answer on failure.
func (x *Expander) lookup(ctx context.Context, host string) ([]netip.Addr, error) {
	if x.Resolver == nil {
		return nil, fmt.Errorf("resolve %q: no resolver", host)
	}
	ips, err := x.Resolver.LookupIP(ctx, host)
	usable := make([]netip.Addr, 0, len(ips))
	for _, ip := range ips {
		if ip = ip.Unmap(); UsableSeed(ip) {
			usable = append(usable, ip)
		}
	}
	if err == nil && len(usable) == 0 {
		err = errors.New("no usable addresses")
	}
	x.mu.Lock()
	defer x.mu.Unlock()
	if err != nil {
		return slices.Clone(x.last[host]), fmt.Errorf("resolve %q: %w", host, err)
	}
	if x.last == nil {
		x.last = make(map[string][]netip.Addr)
	}
	x.last[host] = usable
	return usable, nil
}

// Forget drops the remembered answers of names no longer in use, so a file
// edited many times does not grow the cache forever.
func (x *Expander) Forget(keep []Entry) {
	names := make(map[string]bool, len(keep))
	for _, e := range keep {
		if e.IsName() {
			names[e.Host] = true
		}
	}
	x.mu.Lock()
	defer x.mu.Unlock()
	for h := range x.last {
		if !names[h] {
			delete(x.last, h)
		}
	}
}

// SystemResolver is Go's resolver: /etc/hosts, then the system's DNS. It
// is the default of lists of hosts, which are often "localhost" or names
// from /etc/hosts.
type SystemResolver struct{}

// LookupIP resolves host to its IPv4 and IPv6 addresses.
func (SystemResolver) LookupIP(ctx context.Context, host string) ([]netip.Addr, error) {
	return net.DefaultResolver.LookupNetIP(ctx, "ip", host)
}
