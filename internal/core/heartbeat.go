package core

import (
	randv2 "math/rand/v2"
	"net/netip"
	"time"

	"github.com/meshd/meshd/heartbeat"
	"github.com/meshd/meshd/internal/wire"
)

// heartbeats ties the multicast heartbeat protocol to the node: it
// announces this node with its digest, and turns what it hears into joins
// (unknown senders) and anti-entropy syncs (known senders whose digest
// differs).
type heartbeats struct{ proto *heartbeat.Protocol }

func newHeartbeats(cfg Config, rng Rand) (*heartbeats, error) {
	p, err := heartbeat.New(heartbeat.Config{Cluster: cfg.Cluster, Name: cfg.Name, Keys: cfg.Keys,
		Interval: cfg.HeartbeatInterval}, randv2.New(randv2.NewPCG(rng.Uint64(), rng.Uint64())), cfg.Nonce)
	if err != nil {
		return nil, err
	}
	return &heartbeats{proto: p}, nil
}

func (h *heartbeats) deadline() time.Time         { return h.proto.NextDeadline() }
func (h *heartbeats) setKeys(keys [][]byte) error { return h.proto.SetKeys(keys) }

// heartbeatView is the node as the heartbeat protocol reads it
// (heartbeat.View), kept off Node's API like detectorView.
type heartbeatView Node

// Known reports whether name is a live member.
func (v *heartbeatView) Known(name string) bool {
	m, ok := v.table.Get(name)
	return ok && probeable(m.State)
}

// Digest is the anti-entropy digest of the table.
func (v *heartbeatView) Digest() uint64 { return v.table.Root() }

func (n *Node) heartbeatTick(now time.Time) {
	self := n.table.Self()
	pkt := n.hb.proto.Tick(now, heartbeat.Announce{Cluster: n.cfg.Cluster, Name: self.Name, Addr: self.Addr,
		Incarnation: self.Incarnation, Digest: n.table.Root(), Count: uint32(n.table.Live())})
	if pkt != nil {
		n.hbOut = append(n.hbOut, pkt)
	}
}

// StepHeartbeat hands the node a datagram received on the multicast group.
// Without heartbeats configured it is dropped and counted.
func (n *Node) StepHeartbeat(now time.Time, from netip.AddrPort, data []byte) {
	if n.names.halted {
		return
	}
	n.now = now
	if n.hb == nil || n.leaving {
		n.dropHeartbeat(DropHeartbeatDisabled, from, nil)
		return
	}
	d, err := n.hb.proto.Receive(now, from, data, (*heartbeatView)(n))
	if err != nil {
		n.dropHeartbeat(heartbeatDropReason(err), from, err)
		return
	}
	switch {
	case d.Join:
		// One request, not an attempt: the sender's next heartbeat asks again.
		self := n.table.Self()
		n.send(d.Announce.Addr, wire.JoinReq{Self: aliveOf(self)})
		n.broadcast(self.Name, aliveOf(self))
	case d.Sync:
		n.send(d.Announce.Addr, wire.Digest{Root: n.table.Root(), Count: uint32(n.table.Live())})
	}
	n.collectEvents()
}

var _ heartbeat.View = (*heartbeatView)(nil)
