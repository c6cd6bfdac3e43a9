package core

import (
	"fmt"
	"net/netip"
	"time"

	"github.com/meshd/meshd/internal/membership"
	"github.com/meshd/meshd/internal/wire"
)

// Step hands the node a datagram received from addr. Bad packets are dropped
// and counted by reason in Stats().Dropped; nothing in them is trusted
// before the header, cluster tag and (with keys) the AEAD tag check out.
func (n *Node) Step(now time.Time, from netip.AddrPort, data []byte) {
	if n.names.halted {
		return
	}
	n.now = now
	n.stats.PacketsIn++
	n.stats.BytesIn += uint64(len(data))
	if len(data) > n.cfg.MaxPacketSize {
		if d := n.drop(DropOversized, from); d != nil {
			// Not len(data): a driver reads into a buffer one byte longer
			// than the limit, so a longer datagram arrives cut to it.
			d.Detail = fmt.Sprintf("more than %d bytes", n.cfg.MaxPacketSize)
		}
		return
	}
	payload, err := n.codec.Open(data, now)
	if err != nil {
		r := gossipDropReason(err)
		if d := n.drop(r, from); d != nil {
			d.Detail = n.openDropDetail(r, data)
		}
		return
	}
	if len(n.watched) > 0 {
		n.sighting(from)
	}
	n.dec.Reset(payload)
	for {
		m, ok, err := n.dec.Next()
		if err != nil {
			if d := n.drop(DropMalformed, from); d != nil {
				d.Detail = err.Error()
			}
		}
		if !ok {
			break
		}
		n.dispatch(from, m)
	}
	n.runDetector()
	n.collectEvents()
}

// dispatch hands one decoded message to the concern it belongs to.
func (n *Node) dispatch(from netip.AddrPort, m wire.Msg) {
	switch m := m.(type) {
	case wire.Ping:
		n.handlePing(from, m)
	case wire.Ack:
		n.det.HandleAck(n.now, m.Seq)
	case wire.Nack:
		n.det.HandleNack(m.Seq)
	case wire.PingReq:
		n.handlePingReq(from, m)
	case wire.Alive, wire.Suspect, wire.Dead, wire.Left:
		n.handleGossip(m)
	case wire.Digest:
		n.handleDigest(from, m)
	case wire.Buckets:
		n.handleBuckets(from, m)
	case wire.SyncReq:
		n.handleSyncReq(from, m)
	case wire.Entry:
		n.applyEntry(m)
	case wire.JoinReq:
		n.handleJoinReq(from, m)
	case wire.JoinDone:
		n.joinDone(from)
	case wire.NameProbe:
		n.handleNameProbe(from, m)
	case wire.NameHeld:
		n.handleNameHeld(m)
	}
}

// Tick advances timers to now.
func (n *Node) Tick(now time.Time) {
	if n.names.halted {
		return
	}
	n.now = now
	n.nameCheckTick(now)
	if !n.lastTick.IsZero() {
		n.resumed(now.Sub(n.lastTick))
	}
	n.lastTick = now
	if !n.leaving {
		n.det.Tick(now, (*detectorView)(n))
		n.runDetector()
	}
	if !now.Before(n.nextGossip) {
		n.nextGossip = now.Add(n.cfg.GossipInterval)
		n.gossipRound()
	}
	if !now.Before(n.nextAE) {
		n.nextAE = now.Add(n.jitter(n.cfg.AntiEntropyInterval))
		n.antiEntropyRound()
	}
	if !now.Before(n.nextReconnect) {
		n.nextReconnect = now.Add(n.jitter(n.cfg.ReconnectInterval))
		n.reconnectRound()
	}
	n.joinTick(now)
	if t := n.disc.nextPoll; !t.IsZero() && !now.Before(t) {
		n.pollDiscovered(now)
	}
	if t := n.rj.next; !t.IsZero() && !now.Before(t) {
		n.rejoinAttempt()
	}
	if !now.Before(n.nextReap) {
		n.nextReap = now.Add(n.reapInterval())
		n.table.Reap(now, n.cfg.DeadReclaimTime)
		n.pruneRevived()
	}
	if n.hb != nil && !n.leaving {
		n.heartbeatTick(now)
	}
	n.collectEvents()
}

// Ready returns and clears the node's output.
func (n *Node) Ready() Ready {
	rd := Ready{Packets: n.out, Heartbeats: n.hbOut, Events: n.events, Joins: n.joinReports, Drops: n.drops,
		NameConflicts: n.takeConflicts(), Deadline: n.deadline()}
	n.out, n.hbOut, n.events, n.joinReports, n.drops = nil, nil, nil, nil, nil
	return rd
}

// deadline is the earliest time at which Tick has work to do.
func (n *Node) deadline() time.Time {
	if n.names.halted {
		return n.now.Add(time.Hour) // nothing to do: the driver closes a stopped node
	}
	dl := n.nextGossip
	for _, t := range []time.Time{n.nextAE, n.nextReconnect, n.nextReap, n.nameCheckDeadline(),
		n.joinDeadline(), n.disc.nextPoll, n.rj.next} {
		if t.IsZero() {
			continue
		}
		if t.Before(dl) {
			dl = t
		}
	}
	if !n.leaving {
		if t := n.det.Deadline(); !t.IsZero() && t.Before(dl) {
			dl = t
		}
	}
	if n.hb != nil {
		if t := n.hb.deadline(); t.Before(dl) {
			dl = t
		}
	}
	return dl
}

// collectEvents moves the table's new events to the output.
func (n *Node) collectEvents() {
	changed := false
	for _, ev := range n.table.TakeEvents() {
		n.stats.Events[ev.Type]++
		n.events = append(n.events, ev)
		// Suspicion and its refutation do not hurry anti-entropy: the
		// suspect's own refutation spreads by gossip, and a wave of
		// suspicions would otherwise start exchanges across the cluster.
		changed = changed || (ev.Type != membership.EventSuspect && ev.Type != membership.EventAlive)
	}
	if changed {
		n.hurryAntiEntropy()
	}
}
