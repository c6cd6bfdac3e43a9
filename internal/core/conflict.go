package core

import (
	"fmt"
	"net/netip"
	"time"

	"github.com/meshd/meshd/internal/membership"
	"github.com/meshd/meshd/internal/wire"
)

// Two live nodes never keep one name. When this node hears its own name
// claimed alive at another address, it does not refute at once: it asks
// that address whether it goes by this name (wire.NameProbe). A node that
// answers (wire.NameHeld) is a live second owner: a name conflict. Of the
// two, the one that started later stops (at equal start times, the one at
// the higher address), as memberlist refuses a newcomer; the other raises
// its incarnation above the loser's claims, so every member converges on
// its address. An address that does not answer within ProbeTimeout is an
// old entry of this name that has not failed yet (this node restarted at a
// new address): this node refutes it and takes the name over, as before.
//
// Each side decides only on the answer to a probe it sent itself, with a
// random sequence number, so a forged packet cannot stop a node blindly,
// and a node that is probed probes back. Both sides evaluate startedLater
// on the same values (the start times as sent, in whole milliseconds, and
// the advertised addresses), so they agree on who stops.

// NameConflict reports another live node going by this node's name. Stop
// says that this node is the later of the two and has stopped: its Step
// and Tick do nothing from then on, and the driver should close it without
// a leave message (a leave would announce that the name left, and the name
// lives on at Other). Otherwise the other node stops and this one keeps
// the name.
type NameConflict struct {
	Name         string
	Other        netip.AddrPort // the other node's advertised address
	OtherStarted time.Time      // when the other node started, by its clock
	Started      time.Time      // when this node started (New's now)
	Stop         bool
}

// maxNameChecks bounds the probes in flight: beyond it, a claim about this
// node at yet another address is refuted at once, as it was before checks.
const maxNameChecks = 8

// maxReported bounds the conflicts remembered as reported (one report per
// other node, however many probes cross); when full it starts over.
const maxReported = 64

// nameCheck is the node's state of the name rule.
type nameCheck struct {
	started  uint64 // Unix milliseconds
	pending  map[netip.AddrPort]pendingCheck
	reported map[otherNode]struct{}
	found    []NameConflict // for Ready
	halted   bool
}

// pendingCheck is a NameProbe awaiting its answer.
type pendingCheck struct {
	seq      uint32
	deadline time.Time
	inc      uint64 // the highest incarnation heard claimed at the address
	refute   bool   // started by a claim heard in gossip: refute it if unanswered
}

// otherNode identifies a process: its address and its start.
type otherNode struct {
	addr    netip.AddrPort
	started uint64
}

func newNameCheck(now time.Time) nameCheck {
	return nameCheck{started: uint64(max(now.UnixMilli(), 0)),
		pending: map[netip.AddrPort]pendingCheck{}, reported: map[otherNode]struct{}{}}
}

// startedLater reports whether node a is the later of a and b.
func startedLater(aStarted uint64, aAddr netip.AddrPort, bStarted uint64, bAddr netip.AddrPort) bool {
	if aStarted != bStarted {
		return aStarted > bStarted
	}
	return aAddr.Compare(bAddr) > 0
}

func (n *Node) selfClaim() wire.NameClaim {
	s := n.table.Self()
	return wire.NameClaim{Name: s.Name, Addr: s.Addr, Inc: s.Incarnation, Started: n.names.started}
}

// checkClaim takes a claim that merging found to conflict with this node.
// If it is this node's name alive at another address, it probes that
// address and returns true: the claim is refuted only if nobody answers
// there. Any other claim is left to the caller, which refutes it.
func (n *Node) checkClaim(u membership.Update) bool {
	if u.State != membership.StateAlive || !u.Addr.IsValid() || u.Addr == n.cfg.Addr || n.leaving {
		return false
	}
	if p, ok := n.names.pending[u.Addr]; ok {
		p.inc, p.refute = max(p.inc, u.Inc), true
		n.names.pending[u.Addr] = p
		return true
	}
	probe, ok := n.nameProbe(u.Addr, u.Inc, true)
	if ok {
		n.send(u.Addr, probe)
	}
	return ok
}

// nameProbe records a check of addr and returns its probe, unless too many
// are in flight.
func (n *Node) nameProbe(addr netip.AddrPort, inc uint64, refute bool) (wire.NameProbe, bool) {
	if len(n.names.pending) >= maxNameChecks {
		return wire.NameProbe{}, false
	}
	seq := uint32(n.rng.Uint64())
	n.names.pending[addr] = pendingCheck{seq: seq, deadline: n.now.Add(n.cfg.ProbeTimeout), inc: inc, refute: refute}
	return wire.NameProbe{Seq: seq, Claim: n.selfClaim()}, true
}

// handleNameProbe answers a probe if this node goes by the name asked
// about, and probes the asker back: the answer to its own probe is what
// this node decides on.
func (n *Node) handleNameProbe(from netip.AddrPort, m wire.NameProbe) {
	c := m.Claim
	if c.Name != n.cfg.Name {
		if d := n.drop(DropWrongTarget, from); d != nil { // the address changed hands
			d.Detail = fmt.Sprintf("a name check for %q; this member is %q", c.Name, n.cfg.Name)
		}
		return
	}
	if n.leaving || !c.Addr.IsValid() || c.Addr == n.cfg.Addr {
		return // a leaving node gives the name up; a claim of our own address is nobody
	}
	answer := wire.NameHeld{Seq: m.Seq, Claim: n.selfClaim()}
	_, done := n.names.reported[otherNode{c.Addr, c.Started}]
	if _, pending := n.names.pending[c.Addr]; !done && !pending {
		// The claimed address is the one checked (the asker's packets may
		// come from another). In the answer's packet when they are one,
		// after the answer: the asker may stop on the answer, and still
		// handles the rest of that packet.
		if probe, ok := n.nameProbe(c.Addr, c.Inc, false); ok {
			if from == c.Addr {
				n.send(from, answer, probe)
				return
			}
			n.send(c.Addr, probe)
		}
	}
	n.send(from, answer)
}

// handleNameHeld takes the answer to a NameProbe this node sent: a live
// node goes by this node's name.
func (n *Node) handleNameHeld(m wire.NameHeld) {
	c := m.Claim
	p, ok := n.names.pending[c.Addr]
	if !ok || p.seq != m.Seq || c.Name != n.cfg.Name {
		return // late (the check timed out) or not ours: ignored, as a late ack is
	}
	delete(n.names.pending, c.Addr)
	n.resolveConflict(c, max(c.Inc, p.inc))
}

// resolveConflict applies the rule to a verified second owner of the name.
func (n *Node) resolveConflict(c wire.NameClaim, inc uint64) {
	later := startedLater(n.names.started, n.cfg.Addr, c.Started, c.Addr)
	key := otherNode{c.Addr, c.Started}
	if _, done := n.names.reported[key]; !done {
		if len(n.names.reported) >= maxReported {
			clear(n.names.reported)
		}
		n.names.reported[key] = struct{}{}
		n.stats.NameConflicts++
		n.names.found = append(n.names.found, NameConflict{Name: n.cfg.Name, Other: c.Addr,
			OtherStarted: time.UnixMilli(int64(c.Started)).UTC(),
			Started:      time.UnixMilli(int64(n.names.started)).UTC(), Stop: later})
	}
	if later {
		// The rest of the packet being handled is still processed (an
		// answer to the other node's probe may follow in it); nothing after.
		n.names.halted = true
		return
	}
	// Outrank the loser's claims, so every member comes back to this address.
	self := n.table.Refute(inc)
	n.broadcast(self.Name, aliveOf(self))
}

// nameCheckTick refutes the claims whose address did not answer.
func (n *Node) nameCheckTick(now time.Time) {
	for addr, p := range n.names.pending {
		if now.Before(p.deadline) {
			continue
		}
		delete(n.names.pending, addr)
		if p.refute && !n.leaving {
			n.refute(p.inc)
		}
	}
}

// nameCheckDeadline is the earliest deadline of a pending probe (zero if none).
func (n *Node) nameCheckDeadline() time.Time {
	var dl time.Time
	for _, p := range n.names.pending {
		if dl.IsZero() || p.deadline.Before(dl) {
			dl = p.deadline
		}
	}
	return dl
}

// takeConflicts returns and clears the conflicts found since the last Ready.
func (n *Node) takeConflicts() []NameConflict {
	c := n.names.found
	n.names.found = nil
	return c
}

// Stopped reports whether this node stopped over a name conflict
// (NameConflict.Stop): it does nothing more.
func (n *Node) Stopped() bool { return n.names.halted }
