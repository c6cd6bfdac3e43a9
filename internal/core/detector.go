package core

import (
	"github.com/meshd/meshd/failure"
	"github.com/meshd/meshd/internal/membership"
	"github.com/meshd/meshd/internal/wire"
)

// Probeable, Lookup and Size let the failure detector read the table.
func (n *Node) Probeable(dst []string) []string {
	self := n.cfg.Name
	n.table.Each(func(m *membership.Member) {
		if m.Name != self && probeable(m.State) {
			dst = append(dst, m.Name)
		}
	})
	return dst
}

func (n *Node) Lookup(name string) (failure.Target, bool) {
	m, ok := n.table.Get(name)
	if !ok || name == n.cfg.Name || !probeable(m.State) {
		return failure.Target{}, false
	}
	return failure.Target{Name: m.Name, Addr: m.Addr}, true
}

func (n *Node) Helper(name string) (failure.Target, bool) {
	m, ok := n.table.Get(name)
	if !ok || name == n.cfg.Name || m.State != membership.StateAlive {
		return failure.Target{}, false
	}
	return failure.Target{Name: m.Name, Addr: m.Addr}, true
}

// probeable says whether the failure detector probes a member in state s.
func probeable(s membership.State) bool {
	return s == membership.StateAlive || s == membership.StateSuspect
}

func (n *Node) Size() int { return n.table.Live() }

// runDetector carries out what the failure detector asked for.
func (n *Node) runDetector() {
	for _, a := range n.det.Actions() {
		switch a.Kind {
		case failure.SendPing:
			n.send(a.Target.Addr, wire.Ping{Seq: a.Seq, Target: a.Target.Name})
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
		case failure.Dead:
			n.apply(membership.Update{Name: a.Target.Name, Inc: a.Inc, State: membership.StateDead, From: n.cfg.Name}, true)
		}
	}
}
