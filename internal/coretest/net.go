// Package coretest is a deterministic in-memory network for driving many
// core.Nodes with a virtual clock in tests: per-packet latency, loss and
// partitions, with a trace hash over every delivery.
package coretest

import (
	"container/heap"
	"fmt"
	"hash/fnv"
	"math/rand"
	"net/netip"
	"time"

	"github.com/meshd/meshd/internal/core"
	"github.com/meshd/meshd/internal/membership"
)

// Epoch is the virtual clock's start.
var Epoch = time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)

// Net is a virtual network of nodes.
type Net struct {
	Now     time.Time
	Nodes   []*Host
	byAddr  map[netip.AddrPort]*Host
	q       eventQueue
	rng     *rand.Rand
	seq     uint64
	Latency time.Duration // one-way, plus up to Jitter
	Jitter  time.Duration
	Loss    float64
	// Blocked, when set, drops packets from a to b when it returns true.
	Blocked func(from, to *Host) bool
	trace   uint64
	Params  core.Params
	Cluster string
	Keys    [][]byte
	// OnEvent is called for every membership event of every host.
	OnEvent func(h *Host, ev membership.Event)
	// OnDeliver, when set, sees every datagram as it is delivered.
	OnDeliver func(from netip.AddrPort, to *Host, data []byte)
	Delivered uint64
	Bytes     uint64
}

// Host is one node in the network.
type Host struct {
	Index int
	Name  string
	Addr  netip.AddrPort
	Node  *core.Node
	Down  bool
	// Events are the membership events this host published.
	Events   []membership.Event
	deadline time.Time
	tickGen  uint64
}

type event struct {
	at   time.Time
	seq  uint64
	to   *Host
	from netip.AddrPort
	data []byte
	tick uint64 // non-zero: a tick of generation tick
}

type eventQueue []event

func (q eventQueue) Len() int { return len(q) }
func (q eventQueue) Less(i, j int) bool {
	if !q[i].at.Equal(q[j].at) {
		return q[i].at.Before(q[j].at)
	}
	return q[i].seq < q[j].seq
}
func (q eventQueue) Swap(i, j int) { q[i], q[j] = q[j], q[i] }
func (q *eventQueue) Push(x any)   { *q = append(*q, x.(event)) }
func (q *eventQueue) Pop() any {
	old := *q
	e := old[len(old)-1]
	*q = old[:len(old)-1]
	return e
}

// New returns an empty network with the given seed and params.
func New(seed int64, p core.Params) *Net {
	return &Net{Now: Epoch, byAddr: map[netip.AddrPort]*Host{}, rng: rand.New(rand.NewSource(seed)),
		Latency: time.Millisecond, Jitter: time.Millisecond, Params: p, Cluster: "test", trace: 14695981039346656037}
}

// LANParams are memberlist's LAN timings.
func LANParams() core.Params {
	return core.Params{
		ProbeInterval: time.Second, ProbeTimeout: 500 * time.Millisecond, IndirectChecks: 3,
		GossipInterval: 200 * time.Millisecond, GossipNodes: 3, GossipToTheDeadTime: 30 * time.Second,
		RetransmitMult: 4, SuspicionMult: 4, SuspicionMaxTimeoutMult: 6, AwarenessMaxMultiplier: 8,
		AntiEntropyInterval: 5 * time.Second, ReconnectInterval: 10 * time.Second,
		DeadReclaimTime: 10 * time.Minute, MaxPacketSize: 1400,
	}
}

// Add creates a node named name-i and returns it.
func (n *Net) Add() *Host {
	i := len(n.Nodes)
	h := &Host{Index: i, Name: fmt.Sprintf("n%d", i),
		Addr: netip.AddrPortFrom(netip.AddrFrom4([4]byte{10, byte(i >> 16), byte(i >> 8), byte(i)}), 7946)}
	n.start(h)
	n.Nodes = append(n.Nodes, h)
	n.byAddr[h.Addr] = h
	return h
}

type seededReader struct{ r *rand.Rand }

func (s seededReader) Read(p []byte) (int, error) { return s.r.Read(p) }

func (n *Net) start(h *Host) {
	cfg := core.Config{Name: h.Name, Addr: h.Addr, Cluster: n.Cluster, Keys: n.Keys, Params: n.Params,
		Rand: rand.New(rand.NewSource(n.rng.Int63())), Nonce: seededReader{rand.New(rand.NewSource(n.rng.Int63()))}}
	node, err := core.New(cfg, n.Now)
	if err != nil {
		panic(err)
	}
	h.Node, h.Down = node, false
	n.flush(h)
}

// Restart replaces a host's node by a fresh one (lost state), same name and address.
func (n *Net) Restart(h *Host) { n.start(h) }

// Crash stops a host: it neither sends nor receives.
func (n *Net) Crash(h *Host) { h.Down = true }

// Join makes h join the given seeds.
func (n *Net) Join(h *Host, seeds ...*Host) {
	var addrs []netip.AddrPort
	for _, s := range seeds {
		addrs = append(addrs, s.Addr)
	}
	h.Node.Join(n.Now, addrs)
	n.flush(h)
}

// Leave makes h leave gracefully.
func (n *Net) Leave(h *Host) {
	h.Node.Leave(n.Now)
	n.flush(h)
}

// flush takes h's output: schedules its packets and its next tick.
func (n *Net) flush(h *Host) {
	rd := h.Node.Ready()
	for _, ev := range rd.Events {
		h.Events = append(h.Events, ev)
		if n.OnEvent != nil {
			n.OnEvent(h, ev)
		}
	}
	for _, p := range rd.Packets {
		n.Bytes += uint64(len(p.Data))
		to, ok := n.byAddr[p.Addr]
		if !ok || (n.Loss > 0 && n.rng.Float64() < n.Loss) || (n.Blocked != nil && n.Blocked(h, to)) {
			continue
		}
		d := n.Latency
		if n.Jitter > 0 {
			d += time.Duration(n.rng.Int63n(int64(n.Jitter)))
		}
		n.seq++
		heap.Push(&n.q, event{at: n.Now.Add(d), seq: n.seq, to: to, from: h.Addr, data: p.Data})
	}
	if !rd.Deadline.IsZero() && (h.deadline.IsZero() || rd.Deadline.Before(h.deadline) || !h.deadline.After(n.Now)) {
		h.deadline = rd.Deadline
		h.tickGen++
		n.seq++
		heap.Push(&n.q, event{at: rd.Deadline, seq: n.seq, to: h, tick: h.tickGen})
	}
}

// Run processes events until the virtual clock reaches until.
func (n *Net) Run(d time.Duration) {
	until := n.Now.Add(d)
	for n.q.Len() > 0 && !n.q[0].at.After(until) {
		e := heap.Pop(&n.q).(event)
		n.Now = e.at
		h := e.to
		if h.Down {
			continue
		}
		if e.tick != 0 {
			if e.tick != h.tickGen {
				continue // superseded by an earlier deadline
			}
			h.deadline = time.Time{}
			h.Node.Tick(n.Now)
		} else {
			n.Delivered++
			n.mixTrace(e)
			if n.OnDeliver != nil {
				n.OnDeliver(e.from, h, e.data)
			}
			h.Node.Step(n.Now, e.from, e.data)
		}
		n.flush(h)
	}
	n.Now = until
}

func (n *Net) mixTrace(e event) {
	f := fnv.New64a()
	var b [8]byte
	for i := range b {
		b[i] = byte(e.at.UnixNano() >> (8 * i))
	}
	f.Write(b[:])
	f.Write([]byte(e.to.Name))
	f.Write(e.data)
	n.trace = n.trace*1099511628211 ^ f.Sum64()
}

// TraceHash is a hash of every delivery so far, in order.
func (n *Net) TraceHash() uint64 { return n.trace }

// Live returns the hosts that are up.
func (n *Net) Live() []*Host {
	var out []*Host
	for _, h := range n.Nodes {
		if !h.Down && !h.Node.Leaving() {
			out = append(out, h)
		}
	}
	return out
}

// Converged reports whether every live host sees exactly the live hosts as
// alive or suspect.
func (n *Net) Converged() bool {
	live := n.Live()
	var want uint64
	for _, h := range live {
		want ^= core.NameHash(h.Name)
	}
	for _, h := range live {
		c, hash := h.Node.View()
		if c != len(live) || hash != want {
			return false
		}
	}
	return true
}

// RunUntil runs in steps of step until cond holds or max elapses, and
// returns the virtual time it took and whether cond held.
func (n *Net) RunUntil(step, max time.Duration, cond func() bool) (time.Duration, bool) {
	start := n.Now
	for n.Now.Sub(start) < max {
		if cond() {
			return n.Now.Sub(start), true
		}
		n.Run(step)
	}
	return n.Now.Sub(start), cond()
}

// StateOf returns the state host h has for member name, and whether known.
func StateOf(h *Host, name string) (membership.State, bool) {
	for _, m := range h.Node.Members() {
		if m.Name == name {
			return m.State, true
		}
	}
	return 0, false
}
