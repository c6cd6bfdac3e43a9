package mesh

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/netip"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/meshd/meshd/internal/clock"
	"github.com/meshd/meshd/internal/core"
)

// DefaultPort is the gossip port assumed for seeds given without one.
const DefaultPort = 7946

// Join contacts each address (host:port; names are resolved, a missing port
// means 7946) and returns how many answered with their member table before
// ctx ended (or 5 probe intervals passed, when ctx has no deadline). The
// request is resent every probe timeout, since UDP may lose it; once one
// seed has answered, the silent ones get two more resends before Join
// returns. It returns an error only if none answered. The engine (the
// core's join attempt) makes those decisions; Join resolves the names and
// relays the attempt's outcome.
func (m *Mesh) Join(ctx context.Context, addrs ...string) (int, error) {
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
	giveUp, _ := clock.DeadlineOn(ctx, m.clock) // zero: the engine's default
	id, reports, err := m.startJoin(func(n *core.Node) core.JoinID {
		return n.JoinUntil(m.clock.Now(), targets, giveUp)
	})
	if err != nil {
		return 0, err
	}
	defer m.forgetJoin(id)
	var last core.JoinReport
	for {
		select {
		case last = <-reports:
			switch {
			case last.End == core.JoinPending:
				continue
			case len(last.Answered) > 0:
				return len(last.Answered), nil
			}
			return 0, noAnswer(targets, context.DeadlineExceeded)
		case <-ctx.Done():
			m.do(func(n *core.Node) { n.CancelJoin(m.clock.Now(), id) })
			select {
			case last = <-reports:
			default:
			}
			if len(last.Answered) == 0 {
				return 0, noAnswer(targets, ctx.Err())
			}
			return len(last.Answered), nil
		case <-m.done:
			return len(last.Answered), ErrClosed
		}
	}
}

// startJoin runs start, which starts a join attempt, on the engine
// goroutine, and returns the attempt's ID and the channel its reports
// arrive on (the latest report only: they are cumulative). The channel is
// registered before the engine can report, so no report is missed; call
// forgetJoin when done.
func (m *Mesh) startJoin(start func(n *core.Node) core.JoinID) (core.JoinID, chan core.JoinReport, error) {
	reports := make(chan core.JoinReport, 1)
	var id core.JoinID
	err := m.do(func(n *core.Node) {
		id = start(n)
		if id != 0 {
			m.joinMu.Lock()
			m.joinWait[id] = reports
			m.joinMu.Unlock()
		}
	})
	if err != nil {
		return 0, nil, err // start may still be running: id is not ours to read
	}
	return id, reports, nil
}

func (m *Mesh) forgetJoin(id core.JoinID) {
	m.joinMu.Lock()
	delete(m.joinWait, id)
	m.joinMu.Unlock()
}

// reportJoins relays the engine's join reports (on the engine goroutine):
// to the Join call waiting on an attempt, and to the log.
func (m *Mesh) reportJoins(reps []core.JoinReport) {
	for _, r := range reps {
		switch r.Cause {
		case core.JoinRejoin:
			m.logRejoin(r)
		case core.JoinDiscovered:
			if r.End == core.JoinUnanswered {
				m.log.Debug("seeds did not answer", "seeds", r.Seeds)
			}
		}
		m.joinMu.Lock()
		ch := m.joinWait[r.ID]
		m.joinMu.Unlock()
		if ch == nil {
			continue
		}
		// The engine goroutine is the only sender: after taking the stale
		// report out there is room for this one.
		select {
		case ch <- r:
		default:
			select {
			case <-ch:
			default:
			}
			ch <- r
		}
	}
}

// logRejoin logs how a rejoin of Config.Rejoin went.
func (m *Mesh) logRejoin(r core.JoinReport) {
	switch r.End {
	case core.JoinAnswered:
		m.log.Info("rejoined from the snapshot", "contacted", len(r.Answered), "of", len(r.Seeds))
	case core.JoinUnanswered:
		if r.Retry.IsZero() {
			m.log.Warn("gave up rejoining from the snapshot", "seeds", len(r.Seeds), "attempts", r.Attempt)
			return
		}
		m.log.Warn("no member of the snapshot answers yet", "seeds", len(r.Seeds), "attempt", r.Attempt,
			"retry_in", m.clock.Until(r.Retry).Round(time.Millisecond))
	case core.JoinNotNeeded:
		m.log.Debug("another member is alive: rejoin from the snapshot not needed", "seeds", len(r.Seeds))
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

// resolveRejoin resolves Config.Rejoin, bounded by a few probe timeouts in
// all; an address that does not resolve is logged and left out.
func resolveRejoin(cfg Config, log *slog.Logger) []netip.AddrPort {
	if len(cfg.Rejoin) == 0 {
		return nil
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*cfg.ProbeTimeout)
	defer cancel()
	var out []netip.AddrPort
	for _, a := range cfg.Rejoin {
		aps, err := resolve(ctx, a)
		if err != nil {
			log.Warn("a rejoin address does not resolve; left out", "addr", a, "err", err)
			continue
		}
		out = append(out, aps...)
	}
	return out
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
