package core

import (
	"fmt"

	"github.com/meshd/meshd/internal/membership"
	"github.com/meshd/meshd/internal/wire"
)

// hearsayDead is the state a "dead" verdict from another node is merged
// as: dead, or only a suspicion, which gives the condemned member the
// chance to refute and, if it is really dead, runs out here too.
//
// A verdict from a declarer this node holds alive, and has held alive
// without a break for at least a minimum suspicion timeout, is an ordinary
// failure and is taken as memberlist takes it: merging it as a suspicion
// too made a survivor that heard the verdict before the suspicion wait for
// its own suspicion timer, which starts at its maximum (the last survivors
// knew 2-3 s late at 128 members). Every other verdict may have been made
// out of this node's reach, about a member this node can reach, and merges
// as a suspicion:
//   - the declarer is held dead, suspect or not known here: it is, or
//     was, on the other side of a fault;
//   - the declarer came back (from dead, left or suspect) less than a
//     minimum suspicion timeout ago: its verdicts made while it was away
//     are still going round;
//   - a heal window is open (heal.go): the network just changed, and the
//     verdicts of the other side are arriving.
func (n *Node) hearsayDead(name, from string) membership.State {
	m, ok := n.table.Get(name)
	if !ok || !probeable(m.State) || name == n.cfg.Name {
		return membership.StateDead
	}
	if n.healing() || n.revivedRecently(from) {
		return membership.StateSuspect
	}
	if d, ok := n.table.Get(from); ok && d.State == membership.StateAlive {
		return membership.StateDead
	}
	return membership.StateSuspect
}

// apply merges an update and does what follows from it: gossip it on, start
// or confirm a suspicion, or refute a claim about this node.
func (n *Node) apply(u membership.Update, rebroadcast bool) { n.merge(u, rebroadcast, rebroadcast) }

// merge is apply with a separate say for members the table did not hold
// (rebroadcastNew), and with one table lookup per update besides the
// merge itself: state transfers run it for every entry.
func (n *Node) merge(u membership.Update, rebroadcast, rebroadcastNew bool) {
	outcome, prior := n.table.ApplyPrior(n.now, u, n.leaving)
	if prior == membership.PriorUnknown {
		rebroadcast = rebroadcastNew
	}
	switch outcome {
	case membership.Applied:
		m, _ := n.table.Get(u.Name)
		if m.Name != n.cfg.Name {
			switch live := probeable(m.State); {
			case live && prior != membership.PriorLive:
				n.det.Add(m.Name)
			case !live && prior == membership.PriorLive:
				n.det.Remove(m.Name)
			}
			n.trackDead(m, prior)
			if m.State == membership.StateAlive && prior != membership.PriorUnknown {
				n.revived[m.Name] = n.now // back, or refuted: see hearsayDead
			}
		}
		switch m.State {
		case membership.StateSuspect:
			n.det.StartSuspicion(n.now, m.Name, m.Incarnation, u.From, n.table.Live())
			if rebroadcast {
				n.broadcast(m.Name, wire.Suspect{Name: m.Name, Inc: m.Incarnation, From: u.From})
			}
		case membership.StateAlive:
			n.det.ClearSuspicion(m.Name)
			if rebroadcast {
				n.broadcast(m.Name, aliveOf(m))
			}
		case membership.StateDead:
			n.det.ClearSuspicion(m.Name)
			if rebroadcast {
				n.broadcast(m.Name, wire.Dead{Name: m.Name, Inc: m.Incarnation, From: u.From})
			}
		case membership.StateLeft:
			n.det.ClearSuspicion(m.Name)
			if rebroadcast {
				n.broadcast(m.Name, wire.Left{Name: m.Name, Inc: m.Incarnation})
			}
		}
	case membership.Confirmed:
		if n.det.Confirm(n.now, u.Name, u.From) && rebroadcast {
			n.broadcast(u.Name, wire.Suspect{Name: u.Name, Inc: u.Inc, From: u.From})
		}
	case membership.SelfConflict:
		if !n.checkClaim(u) { // conflict.go: an address claiming this name is asked first
			n.refute(u.Inc)
		}
	case membership.StaleSelfClaim:
		// A suspicion this node refuted is still going round: the nodes
		// that spread it have not heard the refutation (lost, or sent
		// while this node's own packets were not getting out). Announce
		// the current incarnation again, unless it is still queued.
		if !n.queue.Has(n.cfg.Name) {
			self, _ := n.table.Get(n.cfg.Name)
			n.broadcast(self.Name, aliveOf(self))
		}
	case membership.AddrConflict:
		if d := n.drop(DropNameConflict, u.Addr); d != nil {
			d.Detail = fmt.Sprintf("%q claimed at %v", u.Name, u.Addr)
		}
	}
}

// refute raises this node's incarnation above inc and announces it.
func (n *Node) refute(inc uint64) {
	self := n.table.Refute(inc)
	n.stats.Refutations++
	n.det.Refuted()
	n.broadcast(self.Name, aliveOf(self))
}
