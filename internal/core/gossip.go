package core

import (
	"net/netip"

	"github.com/meshd/meshd/internal/gossip"
	"github.com/meshd/meshd/internal/membership"
	"github.com/meshd/meshd/internal/wire"
)

// handleGossip merges a disseminated claim about one member.
func (n *Node) handleGossip(m wire.Msg) {
	switch m := m.(type) {
	case wire.Alive:
		n.apply(membership.Update{Name: m.Name, Addr: m.Addr, Inc: m.Inc, State: membership.StateAlive,
			Meta: m.Meta, MetaVer: m.MetaVer}, true)
	case wire.Suspect:
		n.apply(membership.Update{Name: m.Name, Inc: m.Inc, State: membership.StateSuspect, From: m.From}, true)
	case wire.Dead:
		n.apply(membership.Update{Name: m.Name, Inc: m.Inc, State: n.hearsayDead(m.Name, m.From), From: m.From}, true)
	case wire.Left:
		n.apply(membership.Update{Name: m.Name, Inc: m.Inc, State: membership.StateLeft, From: m.Name}, true)
	}
}

// broadcast queues an update about key for piggybacking.
func (n *Node) broadcast(key string, m wire.Msg) {
	if _, ok := m.(wire.Alive); ok {
		n.queue.PushAnnouncement(key, n.enc.Encode(m))
		return
	}
	n.queue.Push(key, n.enc.Encode(m))
}

func (n *Node) retransmitLimit() int {
	return gossip.Limit(n.cfg.RetransmitMult, n.table.Live())
}

// send sends msgs to addr in one packet, filling the room left with queued
// updates: every probe and ack carries gossip.
func (n *Node) send(to netip.AddrPort, msgs ...wire.Msg) {
	p := n.payload[:0]
	for _, m := range msgs {
		p = n.enc.Append(p, m)
	}
	p = n.piggyback(p, "")
	n.payload = p
	n.emit(to, p)
}

// piggyback tops p up with queued updates, leaving out announcements of
// the recipient's own liveness (to names it, when known).
func (n *Node) piggyback(p []byte, to string) []byte {
	budget := n.cfg.MaxPacketSize - n.codec.Overhead() - len(p)
	if budget <= 0 || n.queue.Len() == 0 {
		return p
	}
	n.piggy, _ = n.queue.FillFor(n.piggy[:0], budget, 0, n.retransmitLimit(), to)
	for _, b := range n.piggy {
		p = append(p, b...)
	}
	clear(n.piggy)
	return p
}

// emit frames a payload and queues the datagram.
func (n *Node) emit(to netip.AddrPort, payload []byte) {
	if !to.IsValid() {
		return
	}
	pkt, err := n.codec.Frame(make([]byte, 0, len(payload)+n.codec.Overhead()), payload, n.now)
	if err != nil {
		if d := n.drop(DropSealFailed, to); d != nil {
			d.Detail = err.Error()
		}
		return
	}
	n.stats.PacketsOut++
	n.stats.BytesOut += uint64(len(pkt))
	n.out = append(n.out, Packet{Addr: to, Data: pkt})
}

// gossipRound pushes queued updates to GossipNodes random members, and to
// members dead for less than GossipToTheDeadTime so they learn it and refute.
func (n *Node) gossipRound() {
	if n.queue.Len() == 0 {
		return
	}
	targets := n.table.Random(n.rng, n.cfg.GossipNodes, func(m *membership.Member) bool {
		switch m.State {
		case membership.StateAlive, membership.StateSuspect:
			return true
		case membership.StateDead:
			return n.now.Sub(m.Since) < n.cfg.GossipToTheDeadTime
		}
		return false
	})
	for _, t := range targets {
		if n.queue.Len() == 0 {
			break
		}
		p := n.piggyback(n.payload[:0], t.Name)
		n.payload = p
		if len(p) > 0 {
			n.emit(t.Addr, p)
		}
	}
}
