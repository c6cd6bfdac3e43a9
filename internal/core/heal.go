package core

import (
	"net/netip"
	"time"

	"github.com/meshd/meshd/internal/membership"
	"github.com/meshd/meshd/internal/wire"
)

// A partition that heals leaves every node with verdicts and suspicions
// made while their subjects were out of reach: each side holds the other
// dead, suspicions raised just before the heal are still running, and the
// gossip that carried them spent its retransmissions on the side that
// raised them, so the suspects never heard of them. Taken at face value
// after the heal, they declare live, reachable members dead: a suspicion
// runs out before its suspect could refute it, and the declarer's verdict
// spreads to every node that holds the declarer alive.
//
// A node sees a heal coming: a member it holds dead is heard again (a
// datagram from its address passes the codec). That opens a heal window
// of one minimum suspicion timeout, renewed by every further sighting,
// during which
//   - the sighted member is told it was declared dead, so it refutes at once;
//   - this node's running suspicions are announced again, so that their
//     suspects, now in reach, hear of them and refute;
//   - a suspicion that runs out is extended once, to the end of the window;
//   - a dead verdict heard from another node about a member held alive or
//     suspect here merges as a suspicion: its subject gets the chance to
//     refute, and if it is really dead the suspicion runs out.
//
// A node that was itself not run for a while (see resumed) opens one too.
//
// In a cluster whose network did not change, no dead member is ever heard
// again, and failure detection is untouched: verdicts are made and taken
// as before. A member that restarts at its old address opens a window too;
// it delays verdicts about others by at most one window.

// healing reports whether a heal window is open.
func (n *Node) healing() bool { return n.now.Before(n.healUntil) }

// trackDead keeps watched (the addresses of members held dead) in step with
// member m after an update applied to it.
func (n *Node) trackDead(m membership.Member, _ membership.Prior) {
	switch {
	case m.State == membership.StateDead && m.Addr.IsValid():
		n.watched[m.Addr] = m.Name
	default:
		if name, ok := n.watched[m.Addr]; ok && name == m.Name {
			delete(n.watched, m.Addr)
		}
	}
}

// sighting handles a datagram from addr, which may be a member held dead:
// it is told so, and a heal window opens.
func (n *Node) sighting(addr netip.AddrPort) {
	name, ok := n.watched[addr]
	if !ok {
		return
	}
	delete(n.watched, addr) // one sighting per death is enough
	m, ok := n.table.Get(name)
	if !ok || m.State != membership.StateDead || m.Addr != addr {
		return // reaped, back, or moved since
	}
	n.send(addr, wire.Dead{Name: m.Name, Inc: m.Incarnation, From: n.cfg.Name})
	n.openHealWindow()
}

// resumed is called with the time since the previous Tick. A node that
// was not run for longer than a probe at the worst local health (a paused
// VM, a process stopped or starved) was cut off as surely as by a
// partition: its running suspicions were raised before the gap, their
// suspects may have refuted meanwhile, and the rest of the cluster has
// moved on. It opens a heal window too.
func (n *Node) resumed(gap time.Duration) {
	if gap > n.cfg.ProbeInterval*time.Duration(max(1, n.cfg.AwarenessMaxMultiplier)) {
		n.openHealWindow()
	}
}

// openHealWindow opens (or renews) the heal window.
func (n *Node) openHealWindow() {
	lo, _ := n.det.SuspicionTimeouts(n.table.Live())
	fresh := !n.healing()
	n.healUntil = n.now.Add(lo)
	n.det.HoldVerdicts(n.healUntil)
	if fresh {
		self := n.cfg.Name
		n.det.EachSuspicion(func(name string, inc uint64) {
			n.broadcast(name, wire.Suspect{Name: name, Inc: inc, From: self})
		})
	}
}

// revivedRecently reports whether member name came back to alive here (from
// dead, left or suspect, or with a new incarnation) less than a minimum
// suspicion timeout ago.
func (n *Node) revivedRecently(name string) bool {
	t, ok := n.revived[name]
	if !ok {
		return false
	}
	lo, _ := n.det.SuspicionTimeouts(n.table.Live())
	if n.now.Sub(t) < lo {
		return true
	}
	delete(n.revived, name)
	return false
}

// pruneRevived forgets revivals older than a minimum suspicion timeout, so
// the map holds only the members that came back recently.
func (n *Node) pruneRevived() {
	lo, _ := n.det.SuspicionTimeouts(n.table.Live())
	for name, t := range n.revived {
		if n.now.Sub(t) >= lo {
			delete(n.revived, name)
		}
	}
}
