// Package coretest drives many core.Nodes on the shared virtual network
// (package vnet) with a virtual clock, for the core's tests: the network
// decides each datagram's fate (latency, loss, partitions, cuts), Net
// queues deliveries and timer ticks in time order, and a trace hash covers
// every delivery.
//
// Datagrams either arrive by themselves after their latency, or, while
// Hold is set, wait in Held until a test delivers or drops them one by one:
// the message-level script tests (Env, run with datadriven) step the
// protocol that way.
package coretest

import (
	"container/heap"
	"fmt"
	"hash/fnv"
	"math/rand"
	randv2 "math/rand/v2"
	"net/netip"
	"time"

	"github.com/meshd/meshd/internal/core"
	"github.com/meshd/meshd/internal/membership"
	"github.com/meshd/meshd/internal/vnet"
	"github.com/meshd/meshd/mesh/tuning"
)

// Epoch is the virtual clock's start.
var Epoch = time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)

// DefaultLink is the link between every two hosts of a new Net: 1-2 ms
// one way, no loss, an Ethernet MTU.
func DefaultLink() vnet.Link {
	return vnet.Link{Latency: vnet.Latency{Dist: vnet.DistFixed, Base: time.Millisecond, Jitter: time.Millisecond}, MTU: 1500}
}

// Net is a virtual network of nodes.
type Net struct {
	Now   time.Time
	Nodes []*Host
	// Links decides the fate of every datagram; set its default link,
	// rules, partitions and cuts at will. Host i is node index i.
	Links   *vnet.Network
	Params  core.Params
	Cluster string
	Keys    [][]byte
	// Hold keeps every datagram the network lets through in Held instead
	// of delivering it after its latency (see HoldAll, Deliver, Release).
	Hold bool
	Held []*Datagram
	// OnEvent is called for every membership event of every host.
	OnEvent func(h *Host, ev membership.Event)
	// OnJoin is called for every join report of every host (Ready.Joins).
	OnJoin func(h *Host, r core.JoinReport)
	// OnStep is called before a host handles a timer tick (d nil) or a
	// datagram.
	OnStep func(h *Host, d *Datagram)
	// OnSend, when set, sees every datagram a host sends, before loss and
	// partitions apply, and loses it when it returns true (Datagram.Lost).
	OnSend func(from *Host, to netip.AddrPort, data []byte) (drop bool)
	// OnSent, when set, sees every datagram a host sends with its fate
	// (Lost, Drop), before it is queued or held.
	OnSent func(d *Datagram)
	// Configure, when set, may change a host's core configuration before
	// its node is created (by Add or Restart).
	Configure func(h *Host, cfg *core.Config)
	// Delivered and Bytes count datagrams handed to a node and bytes sent.
	Delivered uint64
	Bytes     uint64

	byAddr map[netip.AddrPort]*Host
	q      eventQueue
	rng    *rand.Rand // node seeds
	seq    uint64
	trace  uint64
}

// Datagram is one packet on the network.
type Datagram struct {
	From *Host
	To   *Host // nil when no host has the address
	Addr netip.AddrPort
	Data []byte
	Sent time.Time
	Drop vnet.Drop // why the network dropped it; vnet.DropNone if it did not
	Lost bool      // lost by Net.OnSend (the network was not asked)
}

// Host is one node in the network.
type Host struct {
	Index int
	Name  string
	Addr  netip.AddrPort
	Node  *core.Node
	Down  bool
	// Events are the membership events this host published.
	Events []membership.Event
	// Conflicts are the name conflicts this host reported. One with Stop
	// set took the host down, as the runtime closes a stopped node.
	Conflicts []core.NameConflict
	// Joins are the join reports its node made (Ready.Joins), in order.
	Joins    []core.JoinReport
	deadline time.Time
	tickGen  uint64
}

type event struct {
	at   time.Time
	seq  uint64
	to   *Host
	d    *Datagram // nil: a tick of generation tick
	tick uint64
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

// New returns an empty network with the given seed and params, whose links
// are DefaultLink.
func New(seed int64, p core.Params) *Net {
	return &Net{Now: Epoch, byAddr: map[netip.AddrPort]*Host{}, rng: rand.New(rand.NewSource(seed)),
		Links:  vnet.New(0, DefaultLink(), randv2.New(randv2.NewPCG(uint64(seed), 0x9e3779b97f4a7c15))),
		Params: p, Cluster: "test", trace: 14695981039346656037}
}

// LANParams are memberlist's LAN timings (package tuning's LAN preset),
// with mesh's default PollInterval.
func LANParams() core.Params { return core.Params{Params: tuning.LAN(), PollInterval: 5 * time.Second} }

// Add creates a node named n<i> (i its index) and returns it.
func (n *Net) Add() *Host { return n.AddNamed(fmt.Sprintf("n%d", len(n.Nodes))) }

// AddNamed creates a node with the given name (it may be another host's:
// a restart at a new address, or a second node under a taken name).
func (n *Net) AddNamed(name string) *Host {
	i := len(n.Nodes)
	h := &Host{Index: i, Name: name,
		Addr: netip.AddrPortFrom(netip.AddrFrom4([4]byte{10, byte(i >> 16), byte(i >> 8), byte(i)}), 7946)}
	n.Nodes = append(n.Nodes, h)
	n.byAddr[h.Addr] = h
	n.Links.Grow(len(n.Nodes))
	n.start(h)
	return h
}

// Host returns the host named name, or nil.
func (n *Net) Host(name string) *Host {
	for _, h := range n.Nodes {
		if h.Name == name {
			return h
		}
	}
	return nil
}

type seededReader struct{ r *rand.Rand }

func (s seededReader) Read(p []byte) (int, error) { return s.r.Read(p) }

func (n *Net) start(h *Host) {
	cfg := core.Config{Name: h.Name, Addr: h.Addr, Cluster: n.Cluster, Keys: n.Keys, Params: n.Params,
		Rand: rand.New(rand.NewSource(n.rng.Int63())), Nonce: seededReader{rand.New(rand.NewSource(n.rng.Int63()))}}
	if n.Configure != nil {
		n.Configure(h, &cfg)
	}
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

// SetMeta changes h's metadata.
func (n *Net) SetMeta(h *Host, meta map[string]string) error {
	err := h.Node.SetMeta(n.Now, meta)
	n.flush(h)
	return err
}

// Step hands h a datagram as if received now from addr (a stranger's, say),
// and takes its output.
func (n *Net) Step(h *Host, from netip.AddrPort, data []byte) {
	h.Node.Step(n.Now, from, data)
	n.flush(h)
}

// Flush takes h's output after a call made on its node directly: it
// schedules the packets and the next tick.
func (n *Net) Flush(h *Host) { n.flush(h) }

// flush takes h's output: its events, its packets onto the network, its
// next tick into the queue.
func (n *Net) flush(h *Host) {
	rd := h.Node.Ready()
	h.Joins = append(h.Joins, rd.Joins...)
	for _, c := range rd.NameConflicts {
		h.Conflicts = append(h.Conflicts, c)
		h.Down = h.Down || c.Stop
	}
	if n.OnJoin != nil {
		for _, r := range rd.Joins {
			n.OnJoin(h, r)
		}
	}
	for _, ev := range rd.Events {
		h.Events = append(h.Events, ev)
		if n.OnEvent != nil {
			n.OnEvent(h, ev)
		}
	}
	for _, p := range rd.Packets {
		n.send(h, p.Addr, p.Data)
	}
	if rd.Deadline.IsZero() {
		return
	}
	// A deadline already past (a suspicion shortened by confirmations) is
	// due now: the clock never runs backwards.
	at := rd.Deadline
	if at.Before(n.Now) {
		at = n.Now
	}
	if h.deadline.IsZero() || at.Before(h.deadline) || !h.deadline.After(n.Now) {
		h.deadline = at
		h.tickGen++
		n.seq++
		heap.Push(&n.q, event{at: at, seq: n.seq, to: h, tick: h.tickGen})
	}
}

// send puts one datagram of h on the network: dropped, held, or queued for
// delivery after its latency (twice when the link duplicates it).
func (n *Net) send(h *Host, addr netip.AddrPort, data []byte) {
	n.Bytes += uint64(len(data))
	d := &Datagram{From: h, Addr: addr, Data: data, Sent: n.Now, To: n.byAddr[addr]}
	var f vnet.Fate
	switch {
	case d.To == nil:
		f.Drop = vnet.DropUnknown
	case n.OnSend != nil && n.OnSend(h, addr, data):
		d.Lost = true
	default:
		f = n.Links.Transmit(int32(h.Index), int32(d.To.Index), len(data))
	}
	d.Drop = f.Drop
	if n.OnSent != nil {
		n.OnSent(d)
	}
	if d.Lost || d.Drop != vnet.DropNone {
		return
	}
	copies := []time.Duration{f.Delay}
	if f.Dup {
		copies = append(copies, f.DupDelay)
	}
	for i, delay := range copies {
		c := d
		if i > 0 {
			c = &Datagram{From: d.From, To: d.To, Addr: d.Addr, Data: append([]byte(nil), d.Data...), Sent: d.Sent}
		}
		if n.Hold {
			n.Held = append(n.Held, c)
			continue
		}
		n.seq++
		heap.Push(&n.q, event{at: n.Now.Add(delay), seq: n.seq, to: c.To, d: c})
	}
}

// Run processes events until the virtual clock has advanced by d.
func (n *Net) Run(d time.Duration) {
	until := n.Now.Add(d)
	for n.q.Len() > 0 && !n.q[0].at.After(until) {
		e := heap.Pop(&n.q).(event)
		n.Now = e.at
		if e.d != nil {
			n.deliver(e.d)
			continue
		}
		h := e.to
		if h.Down || e.tick != h.tickGen {
			continue // down, or superseded by an earlier deadline
		}
		h.deadline = time.Time{}
		if n.OnStep != nil {
			n.OnStep(h, nil)
		}
		h.Node.Tick(n.Now)
		n.flush(h)
	}
	n.Now = until
}

// deliver hands d to its receiver now, unless the receiver is down.
func (n *Net) deliver(d *Datagram) {
	h := d.To
	if n.OnStep != nil {
		n.OnStep(h, d)
	}
	if h.Down {
		return
	}
	n.Delivered++
	n.mixTrace(d)
	h.Node.Step(n.Now, d.From.Addr, d.Data)
	n.flush(h)
}

func (n *Net) mixTrace(d *Datagram) {
	f := fnv.New64a()
	var b [8]byte
	for i := range b {
		b[i] = byte(n.Now.UnixNano() >> (8 * i))
	}
	f.Write(b[:])
	f.Write([]byte(d.To.Name))
	f.Write(d.Data)
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
