package core

import (
	"net/netip"
	"slices"
	"time"

	"github.com/meshd/meshd/internal/membership"
)

// Discovery: the driver runs the strategies (DNS, files, cloud APIs: I/O)
// and hands the core the addresses they found with SetDiscovered. The core
// joins those that are not alive members: the new ones at once, and all of
// them again every PollInterval, so that an isolated node and the halves of
// a healed partition find each other again even when discovery reports
// nothing new (libcluster#148). An address that leaves the set is only no
// longer joined: discovery never declares anyone dead.

// discovery is the state of SetDiscovered.
type discovery struct {
	addrs []netip.AddrPort
	// names caches which member was last seen alive at each address, so
	// that a poll checks an address with one lookup instead of a scan of
	// the table; a miss rescans.
	names    map[netip.AddrPort]string
	nextPoll time.Time // zero while addrs is empty
}

// discoveredTimeout is the give-up time of a discovery join: the next poll
// asks again anyway.
func (n *Node) discoveredTimeout() time.Duration { return 2 * n.cfg.ProbeInterval }

// SetDiscovered replaces the set of addresses the strategies found (their
// lists merged, names resolved by the driver). Those not in the previous
// set and not alive members are joined at once (a JoinDiscovered attempt,
// whose ID is returned; when none started, the ID of the latest discovery
// attempt still open, so a driver waiting for "the joins discovery
// caused" waits for that one; zero if there is none); every address of the set
// that is not an alive member is joined again every PollInterval. Calling
// it with the same set again changes nothing, so a driver may call it
// after every poll of its strategies; an empty set stops the re-joins.
func (n *Node) SetDiscovered(now time.Time, addrs []netip.AddrPort) JoinID {
	n.now = now
	d := &n.disc
	var fresh []netip.AddrPort
	next := make([]netip.AddrPort, 0, len(addrs))
	for _, a := range addrs {
		if slices.Contains(next, a) {
			continue
		}
		next = append(next, a)
		if !slices.Contains(d.addrs, a) {
			fresh = append(fresh, a)
		}
	}
	d.addrs = next
	for a := range d.names {
		if !slices.Contains(next, a) {
			delete(d.names, a)
		}
	}
	switch {
	case len(next) == 0:
		d.nextPoll = time.Time{}
	case d.nextPoll.IsZero():
		d.nextPoll = now.Add(n.jitter(n.cfg.PollInterval))
	}
	if n.leaving {
		return 0
	}
	if id := n.joinMissing(fresh); id != 0 {
		return id
	}
	for i := len(n.joins) - 1; i >= 0; i-- {
		if n.joins[i].rep.Cause == JoinDiscovered {
			return n.joins[i].rep.ID
		}
	}
	return 0
}

// pollDiscovered re-joins every discovered address that is not an alive member.
func (n *Node) pollDiscovered(now time.Time) {
	n.disc.nextPoll = now.Add(n.jitter(n.cfg.PollInterval))
	if !n.leaving {
		n.joinMissing(n.disc.addrs)
	}
}

// joinMissing starts a JoinDiscovered attempt on the addresses of addrs
// that are not this node's, not alive members, and not already being asked
// by an open attempt.
func (n *Node) joinMissing(addrs []netip.AddrPort) JoinID {
	var missing []netip.AddrPort
	for _, a := range addrs {
		if a != n.cfg.Addr && !n.liveAt(a) && !n.asking(a) {
			missing = append(missing, a)
		}
	}
	if len(missing) > 0 {
		missing = n.rescanLive(missing)
	}
	if len(missing) == 0 {
		return 0
	}
	return n.startJoin(JoinDiscovered, missing, n.now.Add(n.discoveredTimeout()))
}

// liveAt says whether the member last seen at addr is still alive or
// suspect there.
func (n *Node) liveAt(addr netip.AddrPort) bool {
	name, ok := n.disc.names[addr]
	if !ok {
		return false
	}
	m, ok := n.table.Get(name)
	return ok && m.Addr == addr && probeable(m.State)
}

// rescanLive looks the table over for live members at the addresses of
// missing, remembers them, and returns the addresses where none lives.
func (n *Node) rescanLive(missing []netip.AddrPort) []netip.AddrPort {
	n.table.Each(func(m *membership.Member) {
		if m.Name == n.cfg.Name || !probeable(m.State) {
			return
		}
		if i := slices.Index(missing, m.Addr); i >= 0 {
			if n.disc.names == nil {
				n.disc.names = map[netip.AddrPort]string{}
			}
			n.disc.names[m.Addr] = m.Name
			missing = slices.Delete(missing, i, i+1)
		}
	})
	return missing
}

// asking says whether an open attempt waits for addr's answer.
func (n *Node) asking(addr netip.AddrPort) bool {
	for _, a := range n.joins {
		if slices.Contains(a.rep.Seeds, addr) && !slices.Contains(a.rep.Answered, addr) {
			return true
		}
	}
	return false
}
