package core

import (
	"net/netip"
	"sort"

	"github.com/meshd/meshd/internal/gossip"
	"github.com/meshd/meshd/internal/membership"
	"github.com/meshd/meshd/internal/wire"
)

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
		n.drop("seal-failed")
		return
	}
	n.stats.PacketsOut++
	n.stats.BytesOut += uint64(len(pkt))
	n.out = append(n.out, Packet{Addr: to, Data: pkt})
}

// syncPackets caps an anti-entropy answer (not a join transfer). Tables
// that differ in many buckets at once, as during a join storm of thousands,
// would otherwise ship most of the table at every hurried exchange: a
// bandwidth storm of O(N) bytes per exchange. The newest changes go first,
// and the next exchange carries on where this one stopped. 8 packets hold
// some 300 entries, a whole table of the sizes most clusters have.
const syncPackets = 8

// sendEntries transfers members as Entry messages in as few packets as fit,
// newest change first so the most useful news arrives even if later chunks
// are lost (chitchat#119). done appends JoinDone to close a join transfer;
// without it (anti-entropy) at most syncPackets packets go out.
func (n *Node) sendEntries(to netip.AddrPort, ms []membership.Member, done bool) {
	sort.Slice(ms, func(i, j int) bool {
		if !ms[i].Since.Equal(ms[j].Since) {
			return ms[i].Since.After(ms[j].Since)
		}
		return ms[i].Name < ms[j].Name
	})
	budget := n.cfg.MaxPacketSize - n.codec.Overhead()
	var p []byte
	sent := 0
	for _, m := range ms {
		b := n.enc.Encode(wire.Entry{Name: m.Name, Addr: m.Addr, Inc: m.Incarnation, State: uint8(m.State),
			MetaVer: m.MetaVersion, Meta: m.Meta})
		if len(p)+len(b) > budget && len(p) > 0 {
			n.emit(to, p)
			p = p[:0]
			if sent++; !done && sent == syncPackets {
				return
			}
		}
		p = append(p, b...)
	}
	if done {
		b := n.enc.Encode(wire.JoinDone{Count: uint32(len(ms))})
		if len(p)+len(b) > budget {
			n.emit(to, p)
			p = p[:0]
		}
		p = append(p, b...)
	}
	if len(p) > 0 {
		n.emit(to, p)
	}
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

// antiEntropyRound sends our O(1) digest to one random live member; only if
// the tables differ do bucket hashes and then entries follow.
func (n *Node) antiEntropyRound() {
	t := n.table.Random(n.rng, 1, func(m *membership.Member) bool {
		return m.State == membership.StateAlive
	})
	if len(t) == 0 {
		return
	}
	n.send(t[0].Addr, wire.Digest{Root: n.table.Root(), Count: uint32(n.table.Live())})
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
