package mesh

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/netip"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/meshd/meshd/internal/core"
)

// DefaultPort is the gossip port assumed for seeds given without one.
const DefaultPort = 7946

// Join contacts each address (host:port; names are resolved, a missing port
// means 7946) and returns how many answered with their member table before
// ctx ended (or 5 probe intervals passed, when ctx has no deadline). The
// request is resent every probe timeout, since UDP may lose it; once one
// seed has answered, the silent ones get two more resends before Join
// returns. It returns an error only if none answered.
func (m *Mesh) Join(ctx context.Context, addrs ...string) (int, error) {
	if _, ok := ctx.Deadline(); !ok {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, 5*m.cfg.ProbeInterval+time.Second)
		defer cancel()
	}
	var targets []netip.AddrPort
	var errs []error
	for _, a := range addrs {
		aps, err := resolve(ctx, a)
		if err != nil {
			errs = append(errs, err)
			continue
		}
		for _, ap := range aps {
			if ap != m.addr {
				targets = append(targets, ap)
			}
		}
	}
	if len(targets) == 0 {
		if len(errs) == 0 {
			errs = append(errs, errors.New("no address to join"))
		}
		return 0, fmt.Errorf("mesh: join: %w", errors.Join(errs...))
	}
	acks := make(chan netip.AddrPort, 4*len(targets))
	m.joinMu.Lock()
	for _, t := range targets {
		m.joinAck[t] = append(m.joinAck[t], acks)
	}
	m.joinMu.Unlock()
	defer m.forgetJoin(targets, acks)

	answered := map[netip.AddrPort]bool{}
	resend := time.NewTicker(max(m.cfg.ProbeTimeout, 100*time.Millisecond))
	defer resend.Stop()
	// Once one seed answered we are in; the silent ones get two more resends
	// (they may be dead, as seeds from a snapshot or a stale list often are).
	graceRounds := -1
	for len(answered) < len(targets) && graceRounds != 0 {
		if len(answered) > 0 {
			if graceRounds < 0 {
				graceRounds = 2
			}
			graceRounds--
		}
		var ask []netip.AddrPort
		for _, t := range targets {
			if !answered[t] {
				ask = append(ask, t)
			}
		}
		if err := m.do(func(n *core.Node) { n.Join(time.Now(), ask) }); err != nil {
			return len(answered), err
		}
		for waiting := true; waiting && len(answered) < len(targets); {
			select {
			case a := <-acks:
				answered[a] = true
			case <-resend.C:
				waiting = false
			case <-ctx.Done():
				if len(answered) == 0 {
					return 0, noAnswer(targets, ctx.Err())
				}
				return len(answered), nil
			case <-m.done:
				return len(answered), ErrClosed
			}
		}
	}
	return len(answered), nil
}

func (m *Mesh) forgetJoin(targets []netip.AddrPort, acks chan netip.AddrPort) {
	m.joinMu.Lock()
	defer m.joinMu.Unlock()
	for _, t := range targets {
		list := m.joinAck[t][:0]
		for _, c := range m.joinAck[t] {
			if c != acks {
				list = append(list, c)
			}
		}
		if len(list) == 0 {
			delete(m.joinAck, t)
		} else {
			m.joinAck[t] = list
		}
	}
}

// resolve turns "host[:port]" into addresses; a name may give several.
func resolve(ctx context.Context, s string) ([]netip.AddrPort, error) {
	host, portStr, err := net.SplitHostPort(s)
	if err != nil {
		host, portStr = s, strconv.Itoa(DefaultPort) // no port given
	}
	port, err := strconv.ParseUint(portStr, 10, 16)
	if err != nil {
		return nil, fmt.Errorf("%q: bad port %q", s, portStr)
	}
	if ip, err := netip.ParseAddr(host); err == nil {
		return []netip.AddrPort{netip.AddrPortFrom(ip.Unmap(), uint16(port))}, nil
	}
	ips, err := net.DefaultResolver.LookupNetIP(ctx, "ip", host)
	if err != nil {
		return nil, fmt.Errorf("%q: %w", s, err)
	}
	out := make([]netip.AddrPort, 0, len(ips))
	for _, ip := range ips {
		out = append(out, netip.AddrPortFrom(ip.Unmap(), uint16(port)))
	}
	return out, nil
}

// noAnswer is Join's error when no seed answered. A seed drops the packets
// of another cluster or key without a word (its log says why), so to the
// joiner that looks like a network fault: the error names both.
func noAnswer(targets []netip.AddrPort, err error) error {
	const shown = 5
	seeds := fmt.Sprint(targets)
	if len(targets) > shown {
		seeds = fmt.Sprintf("%v and %d more", targets[:shown], len(targets)-shown)
	}
	var ports []string
	for _, t := range targets {
		if p := strconv.Itoa(int(t.Port())); !slices.Contains(ports, p) {
			ports = append(ports, p)
		}
	}
	return fmt.Errorf("mesh: join: no seed answered %s (%w); likely causes: another cluster name or another key "+
		"on the seed (its log says why it dropped the packets), or a firewall that blocks UDP port %s between the two",
		seeds, err, strings.Join(ports, ", "))
}
