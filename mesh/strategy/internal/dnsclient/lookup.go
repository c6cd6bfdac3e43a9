package dnsclient

import (
	"context"
	"errors"
	"net/netip"

	"github.com/miekg/dns"
)

// FamilyResult is one address family's part of a lookup: the answer to the
// A or the AAAA query of one name. Each family stands on its own, because
// real servers fail one and answer the other: dnsmasq without upstream
// servers answers REFUSED for the AAAA of a local name that has only an A
// record.
type FamilyResult struct {
	// Qtype is dns.TypeA or dns.TypeAAAA.
	Qtype uint16
	// Addrs are the addresses of the answer when Err is nil; empty when the
	// name has none of this family.
	Addrs []netip.Addr
	// Err is why this family has no answer (an RcodeError, a timeout, a
	// truncation), nil when the server answered.
	Err error
}

// Lookup is what LookupFamilies found.
type Lookup struct {
	// Name is the absolute name the results are for: the one asked, or the
	// search-list candidate the lookup stopped at.
	Name string
	// Families holds one result per family asked, A before AAAA.
	Families []FamilyResult
}

// Addrs returns the addresses of the families that answered.
func (l Lookup) Addrs() []netip.Addr {
	var out []netip.Addr
	for _, f := range l.Families {
		if f.Err == nil {
			out = append(out, f.Addrs...)
		}
	}
	return out
}

// answered reports whether at least one family got an answer.
func (l Lookup) answered() bool {
	for _, f := range l.Families {
		if f.Err == nil {
			return true
		}
	}
	return false
}

// Err joins the errors of the families that failed; nil when all answered.
func (l Lookup) Err() error {
	var errs []error
	for _, f := range l.Families {
		errs = append(errs, f.Err)
	}
	return errors.Join(errs...)
}

// allNX reports whether every family said the name does not exist.
func (l Lookup) allNX() bool {
	for _, f := range l.Families {
		if !errors.Is(f.Err, ErrNXDomain) {
			return false
		}
	}
	return true
}

// LookupFamilies asks for the addresses of name in the families of family
// (FamilyAny: A and AAAA; FamilyIPv4: A only; FamilyIPv6: AAAA only),
// trying the search list when the client uses the system resolver. A
// search-list candidate that does not exist in any family, or exists
// without addresses, gives way to the next; the first with addresses, or
// whose lookup failed for another reason than NXDOMAIN, is the answer.
//
// The error is nil when at least one family answered: the Lookup then says
// per family what came back and what failed. It is non-nil when no family
// answered (matching ErrNXDomain when the name does not exist at all); the
// Lookup still holds each family's failure.
func (c *Client) LookupFamilies(ctx context.Context, name, family string) (Lookup, error) {
	var best Lookup
	for _, n := range c.names(name) {
		l := Lookup{Name: n, Families: c.lookupName(ctx, n, Qtypes(family))}
		switch {
		case len(l.Addrs()) > 0:
			return l, nil
		case l.allNX():
			if best.Families == nil {
				best = l
			}
			continue
		case l.answered() && l.Err() == nil:
			// Exists but has no addresses: a later candidate may have some,
			// and this one is a better "none" than NXDOMAIN.
			if best.Families == nil || best.allNX() {
				best = l
			}
			continue
		}
		// A failure other than NXDOMAIN: asking the next candidate could
		// answer for another name than the one the operator meant.
		if l.answered() {
			return l, nil
		}
		return l, l.Err()
	}
	if best.answered() {
		return best, nil
	}
	return best, best.Err()
}

// lookupName asks every qtype for fqdn at once. A family that says NXDOMAIN
// while another answers is taken as "no addresses of this family": the
// answer we have is the truth (broken servers do this).
func (c *Client) lookupName(ctx context.Context, fqdn string, qtypes []uint16) []FamilyResult {
	out := make([]FamilyResult, len(qtypes))
	done := make(chan struct{}, len(qtypes))
	for i, t := range qtypes {
		go func() {
			defer func() { done <- struct{}{} }()
			r, err := c.Query(ctx, fqdn, t)
			out[i] = FamilyResult{Qtype: t, Addrs: Addrs(r, fqdn), Err: err}
		}()
	}
	for range qtypes {
		<-done
	}
	answered := false
	for _, f := range out {
		answered = answered || f.Err == nil
	}
	if answered {
		for i := range out {
			if errors.Is(out[i].Err, ErrNXDomain) {
				out[i].Addrs, out[i].Err = nil, nil
			}
		}
	}
	return out
}

// LookupIP returns the addresses of name in both families, for lists of
// hosts (it is a hostport.Resolver). As with Go's resolver, the families
// that answered are the answer: a family that failed only fails the lookup
// when no family has an address. A name that does not exist is an error
// matching ErrNXDomain; a name without addresses returns an empty list and
// no error.
func (c *Client) LookupIP(ctx context.Context, name string) ([]netip.Addr, error) {
	l, err := c.LookupFamilies(ctx, name, FamilyAny)
	if ips := l.Addrs(); len(ips) > 0 {
		return ips, nil
	}
	if err == nil {
		err = l.Err()
	}
	return nil, err
}

// Qtypes returns the query types of family: A and AAAA for FamilyAny (and
// anything unknown), A for FamilyIPv4, AAAA for FamilyIPv6.
func Qtypes(family string) []uint16 {
	switch family {
	case FamilyIPv4:
		return []uint16{dns.TypeA}
	case FamilyIPv6:
		return []uint16{dns.TypeAAAA}
	}
	return []uint16{dns.TypeA, dns.TypeAAAA}
}
