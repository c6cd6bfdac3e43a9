package core

import (
	"net/netip"
	"time"

	"github.com/meshd/meshd/internal/membership"
	"github.com/meshd/meshd/internal/wire"
)

// Join asks each address for the full member table and announces this node.
func (n *Node) Join(now time.Time, addrs []netip.AddrPort) {
	n.now = now
	self := n.table.Self()
	for _, a := range addrs {
		if a == self.Addr || !a.IsValid() {
			continue
		}
		n.send(a, wire.JoinReq{Self: aliveOf(self)})
	}
	// Announce ourselves too, not only through the seed: once the seed's
	// table arrives, our own gossip rounds carry our alive message to
	// random members, so one unlucky epidemic from the seed (whose
	// retransmit budget is small while the cluster is small) cannot leave
	// anyone unaware of us until anti-entropy.
	n.broadcast(self.Name, aliveOf(self))
}

// handleJoinReq takes the joiner in and sends it the whole table, closed by
// JoinDone.
func (n *Node) handleJoinReq(from netip.AddrPort, m wire.JoinReq) {
	a := m.Self
	n.apply(membership.Update{Name: a.Name, Addr: a.Addr, Inc: a.Inc, State: membership.StateAlive,
		Meta: a.Meta, MetaVer: a.MetaVer}, true)
	n.sendEntries(from, n.table.Members(), true)
}

// reconnectRound contacts one random dead member: if it is in fact alive
// beyond a healed partition, telling it that it was declared dead makes it
// refute, and the join request brings its table, so the halves merge.
func (n *Node) reconnectRound() {
	if n.leaving {
		return
	}
	t := n.table.Random(n.rng, 1, func(m *membership.Member) bool {
		return m.State == membership.StateDead
	})
	if len(t) == 0 {
		return
	}
	d := t[0]
	self := n.table.Self()
	n.send(d.Addr, wire.Dead{Name: d.Name, Inc: d.Incarnation, From: self.Name}, wire.JoinReq{Self: aliveOf(self)})
}
