package core

import (
	"net/netip"
	"sort"
	"time"

	"github.com/meshd/meshd/internal/membership"
	"github.com/meshd/meshd/internal/wire"
)

// Anti-entropy repairs what gossip missed, in up to three round trips that
// stop as soon as the tables agree: a Digest (the table's O(1) root hash),
// answered by Buckets (one hash per bucket) if the roots differ, answered
// by the entries of the differing buckets and a SyncReq for the peer's.

// antiEntropyRound sends our digest to one random live member.
func (n *Node) antiEntropyRound() {
	t := n.table.Random(n.rng, 1, func(m *membership.Member) bool {
		return m.State == membership.StateAlive
	})
	if len(t) == 0 {
		return
	}
	n.send(t[0].Addr, wire.Digest{Root: n.table.Root(), Count: uint32(n.table.Live())})
}

// hurryAntiEntropy brings the next digest exchange forward after a change
// of the table. A change rarely comes alone (a join wave, a failure, a
// healed partition), and gossip's retransmit budget is spent blindly, partly
// on members that already know: some member may be left out. An exchange
// soon after the change finds and repairs that in one round trip, instead
// of a full AntiEntropyInterval later. In steady state nothing changes and
// nothing is hurried.
func (n *Node) hurryAntiEntropy() {
	soon := n.now.Add(n.jitter(max(2*n.cfg.GossipInterval, 250*time.Millisecond)))
	if soon.Before(n.nextAE) {
		n.nextAE = soon
	}
}

// handleDigest answers a digest that differs from ours with our bucket hashes.
func (n *Node) handleDigest(from netip.AddrPort, m wire.Digest) {
	if m.Root != n.table.Root() {
		n.send(from, wire.Buckets{Hashes: n.table.BucketHashes()})
	}
}

// handleBuckets answers a peer whose digest differs: send our entries of the
// differing buckets and ask for theirs. Only those buckets travel.
func (n *Node) handleBuckets(from netip.AddrPort, m wire.Buckets) {
	if len(m.Hashes) != membership.Buckets {
		n.drop(DropMalformed, from)
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
	n.sendEntries(from, n.table.InBuckets(&want), false)
	n.send(from, wire.SyncReq{Buckets: diff})
}

// handleSyncReq sends our entries of the buckets the peer asked for.
func (n *Node) handleSyncReq(from netip.AddrPort, m wire.SyncReq) {
	var want [membership.Buckets]bool
	for _, b := range m.Buckets {
		if int(b) < membership.Buckets {
			want[b] = true
		}
	}
	n.sendEntries(from, n.table.InBuckets(&want), false)
}

// applyEntry merges an entry of a state transfer. A remote "dead" verdict
// about a member held live here becomes a suspicion (as memberlist does on
// push-pull): the member gets the chance to refute instead of being declared
// dead on hearsay. About a member not held here it stays a verdict, which the
// table ignores: made into a suspicion it would bring the member in, at the
// address and incarnation of a life that ended, and the failed probes of
// that address would declare dead again a member that came back elsewhere.
func (n *Node) applyEntry(e wire.Entry) {
	st := membership.State(e.State)
	if st == membership.StateDead {
		if m, ok := n.table.Get(e.Name); ok && probeable(m.State) {
			st = membership.StateSuspect
		}
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
