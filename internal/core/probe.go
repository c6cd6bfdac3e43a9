package core

import (
	"fmt"

	"net/netip"

	"github.com/meshd/meshd/failure"
	"github.com/meshd/meshd/internal/membership"
	"github.com/meshd/meshd/internal/wire"
)

// detectorView is the node as the failure detector reads the member table
// (failure.Members). It is a separate type so that these callbacks are not
// part of Node's API: a driver never calls them.
type detectorView Node

func (v *detectorView) Probeable(dst []string) []string {
	self := v.cfg.Name
	v.table.Each(func(m *membership.Member) {
		if m.Name != self && probeable(m.State) {
			dst = append(dst, m.Name)
		}
	})
	return dst
}

func (v *detectorView) Lookup(name string) (failure.Target, bool) {
	m, ok := v.table.Get(name)
	if !ok || name == v.cfg.Name || !probeable(m.State) {
		return failure.Target{}, false
	}
	return failure.Target{Name: m.Name, Addr: m.Addr}, true
}

func (v *detectorView) Helper(name string) (failure.Target, bool) {
	m, ok := v.table.Get(name)
	if !ok || name == v.cfg.Name || m.State != membership.StateAlive {
		return failure.Target{}, false
	}
	return failure.Target{Name: m.Name, Addr: m.Addr}, true
}

func (v *detectorView) Size() int { return v.table.Live() }

// probeable says whether the failure detector probes a member in state s.
func probeable(s membership.State) bool {
	return s == membership.StateAlive || s == membership.StateSuspect
}

// handlePing acks a direct probe addressed to this node.
func (n *Node) handlePing(from netip.AddrPort, m wire.Ping) {
	if m.Target != n.cfg.Name {
		if d := n.drop(DropWrongTarget, from); d != nil { // the address changed hands
			d.Detail = fmt.Sprintf("for %q; this member is %q", m.Target, n.cfg.Name)
		}
		return
	}
	n.send(from, wire.Ack{Seq: m.Seq})
}

// handlePingReq relays an indirect probe for the requester.
func (n *Node) handlePingReq(from netip.AddrPort, m wire.PingReq) {
	if !m.TargetAddr.IsValid() {
		n.drop(DropMalformed, from)
		return
	}
	n.det.Relay(n.now, m.Seq, from, failure.Target{Name: m.Target, Addr: m.TargetAddr})
}

// sendPing probes a member. A ping to a member this node suspects carries
// the suspicion (Lifeguard's buddy system): the suspect learns of it from
// the first probe that reaches it and refutes at once, instead of waiting
// for the suspicion's gossip, whose retransmissions may all have been spent
// while it was out of reach (behind a partition that has just healed).
func (n *Node) sendPing(seq uint32, t failure.Target) {
	ping := wire.Ping{Seq: seq, Target: t.Name}
	if m, ok := n.table.Get(t.Name); ok && m.State == membership.StateSuspect {
		n.send(t.Addr, ping, wire.Suspect{Name: m.Name, Inc: m.Incarnation, From: n.cfg.Name})
		return
	}
	n.send(t.Addr, ping)
}

// runDetector carries out what the failure detector asked for.
func (n *Node) runDetector() {
	for _, a := range n.det.Actions() {
		switch a.Kind {
		case failure.SendPing:
			n.sendPing(a.Seq, a.Target)
		case failure.SendPingReq:
			for _, h := range a.Helpers {
				n.send(h.Addr, wire.PingReq{Seq: a.Seq, Target: a.Target.Name, TargetAddr: a.Target.Addr})
			}
		case failure.SendAck:
			n.send(a.To, wire.Ack{Seq: a.Seq})
		case failure.SendNack:
			n.send(a.To, wire.Nack{Seq: a.Seq})
		case failure.Suspect:
			m, ok := n.table.Get(a.Target.Name)
			if !ok || (m.State != membership.StateAlive && m.State != membership.StateSuspect) {
				continue
			}
			if m.State == membership.StateAlive {
				n.stats.Suspicions++
			} // else our own failed probe confirms the running suspicion
			n.apply(membership.Update{Name: m.Name, Inc: m.Incarnation, State: membership.StateSuspect, From: n.cfg.Name}, true)
		case failure.Remind:
			if m, ok := n.table.Get(a.Target.Name); ok && m.State == membership.StateSuspect && m.Incarnation == a.Inc {
				n.broadcast(m.Name, wire.Suspect{Name: m.Name, Inc: m.Incarnation, From: n.cfg.Name})
			}
		case failure.Dead:
			n.apply(membership.Update{Name: a.Target.Name, Inc: a.Inc, State: membership.StateDead, From: n.cfg.Name}, true)
		}
	}
}

var _ failure.Members = (*detectorView)(nil)
