package core

import (
	"net/netip"
	"time"

	"github.com/meshd/meshd/failure"
	"github.com/meshd/meshd/internal/membership"
	"github.com/meshd/meshd/internal/wire"
)

// Step hands the node a datagram received from addr. Bad packets are dropped
// and counted by reason in Stats().Dropped; nothing in them is trusted
// before the header, cluster tag and (with keys) the AEAD tag check out.
func (n *Node) Step(now time.Time, from netip.AddrPort, data []byte) {
	n.now = now
	n.stats.PacketsIn++
	n.stats.BytesIn += uint64(len(data))
	if len(data) > n.cfg.MaxPacketSize {
		n.drop(wire.ErrOversized.Error())
		return
	}
	payload, err := n.codec.Open(data, now)
	if err != nil {
		n.drop(err.Error())
		return
	}
	n.from = from
	if err := n.dec.DecodeAll(payload, n.handler); err != nil {
		n.drop("malformed")
	}
	n.runDetector()
	n.collectEvents()
}

func (n *Node) drop(reason string) { n.stats.Dropped[reason]++ }

func (n *Node) handle(m wire.Msg) {
	switch m := m.(type) {
	case wire.Ping:
		if m.Target != n.cfg.Name {
			n.drop("wrong-target") // the address changed hands
			return
		}
		n.send(n.from, wire.Ack{Seq: m.Seq})
	case wire.Ack:
		n.det.HandleAck(n.now, m.Seq)
	case wire.Nack:
		n.det.HandleNack(m.Seq)
	case wire.PingReq:
		if !m.TargetAddr.IsValid() {
			n.drop("malformed")
			return
		}
		n.det.Relay(n.now, m.Seq, n.from, failure.Target{Name: m.Target, Addr: m.TargetAddr})
	case wire.Alive:
		n.apply(membership.Update{Name: m.Name, Addr: m.Addr, Inc: m.Inc, State: membership.StateAlive,
			Meta: m.Meta, MetaVer: m.MetaVer}, true)
	case wire.Suspect:
		n.apply(membership.Update{Name: m.Name, Inc: m.Inc, State: membership.StateSuspect, From: m.From}, true)
	case wire.Dead:
		n.apply(membership.Update{Name: m.Name, Inc: m.Inc, State: n.hearsayDead(m.Name, m.From), From: m.From}, true)
	case wire.Left:
		n.apply(membership.Update{Name: m.Name, Inc: m.Inc, State: membership.StateLeft, From: m.Name}, true)
	case wire.Digest:
		if m.Root != n.table.Root() {
			n.send(n.from, wire.Buckets{Hashes: n.table.BucketHashes()})
		}
	case wire.Buckets:
		n.handleBuckets(m)
	case wire.SyncReq:
		var want [membership.Buckets]bool
		for _, b := range m.Buckets {
			if int(b) < membership.Buckets {
				want[b] = true
			}
		}
		n.sendEntries(n.from, n.table.InBuckets(&want), false)
	case wire.Entry:
		n.applyEntry(m)
	case wire.JoinReq:
		n.handleJoinReq(m)
	case wire.JoinDone:
		n.joinAcks = append(n.joinAcks, n.from)
	}
}

// handleBuckets answers a peer whose digest differs: send our entries of the
// differing buckets and ask for theirs. Only those buckets travel.
func (n *Node) handleBuckets(m wire.Buckets) {
	if len(m.Hashes) != membership.Buckets {
		n.drop("malformed")
		return
	}
	mine := n.table.BucketHashes()
	var want [membership.Buckets]bool
	var diff []uint16
	for i, h := range m.Hashes {
		if h != mine[i] {
			want[i] = true
			diff = append(diff, uint16(i))
		}
	}
	if len(diff) == 0 {
		return
	}
	n.sendEntries(n.from, n.table.InBuckets(&want), false)
	n.send(n.from, wire.SyncReq{Buckets: diff})
}

func (n *Node) handleJoinReq(m wire.JoinReq) {
	a := m.Self
	n.apply(membership.Update{Name: a.Name, Addr: a.Addr, Inc: a.Inc, State: membership.StateAlive,
		Meta: a.Meta, MetaVer: a.MetaVer}, true)
	n.sendEntries(n.from, n.table.Members(), true)
}

// hearsayDead is the state a "dead" verdict from another node is merged
// as. After a partition heals, the dead verdicts of the other side arrive
// about members that are alive and reachable; taken at their word they
// would flap every such member through a false failure. Such a verdict
// comes from a declarer this node holds dead (or does not know): it was
// made across the partition, and the member it condemns only gets a
// suspicion here, with its chance to refute. A verdict from a member this
// node holds alive is an ordinary failure and is taken as memberlist takes
// it: merging it as a suspicion too made a survivor that heard the verdict
// before the suspicion wait for its own suspicion timer, which starts at
// its maximum (the last survivors knew 2-3 s late at 128 members).
func (n *Node) hearsayDead(name, from string) membership.State {
	m, ok := n.table.Get(name)
	if !ok || m.State != membership.StateAlive || name == n.cfg.Name {
		return membership.StateDead
	}
	if d, ok := n.table.Get(from); ok && probeable(d.State) {
		return membership.StateDead
	}
	return membership.StateSuspect
}

// applyEntry merges an entry of a state transfer. A remote "dead" verdict
// becomes a suspicion here (as memberlist does on push-pull): the member gets
// the chance to refute instead of being declared dead on hearsay.
func (n *Node) applyEntry(e wire.Entry) {
	st := membership.State(e.State)
	if st == membership.StateDead {
		st = membership.StateSuspect
	}
	from := "anti-entropy"
	if st == membership.StateLeft {
		from = e.Name
	}
	// New members learnt from a transfer are not re-gossiped: the transfer
	// is not news to the cluster, and a joining node would otherwise flood
	// it with the whole table.
	n.merge(membership.Update{Name: e.Name, Addr: e.Addr, Inc: e.Inc, State: st,
		Meta: e.Meta, MetaVer: e.MetaVer, From: from}, true, false)
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
		self := n.table.Refute(u.Inc)
		n.stats.Refutations++
		n.det.Refuted()
		n.broadcast(self.Name, aliveOf(self))
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
		n.drop("name-conflict")
	}
}
