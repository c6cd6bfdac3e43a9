// Package meshsys drives meshd's engine (package mesh, through its public
// API only) as a harness System, so the benchmark measures it exactly as it
// measures memberlist and serf.
//
// Each node runs on its own UDP socket (transport.ListenUDP on 127.0.0.1)
// behind transport.Faulty for loss, and a counter between the engine and
// Faulty that counts every datagram the engine sends, before loss, as the
// memberlist wrapper does. The counter also sniffs the suspect messages the
// engine sends, so that suspicion is counted by its originator for every
// system alike (see sniff.go).
package meshsys

import (
	"context"
	"fmt"
	"log/slog"
	"sync"
	"sync/atomic"

	"github.com/meshd/meshd/bench/harness"
	"github.com/meshd/meshd/internal/transport"
	"github.com/meshd/meshd/mesh"
)

// eventBuffer is the subscription buffer: large, so that the engine's
// coalescing of a slow subscriber never hides an intermediate state from
// the benchmark during a join storm.
const eventBuffer = 8192

// System is the harness System for meshd.
type System struct{}

// Name is "meshd".
func (System) Name() string { return "meshd" }

// Config maps the profile one to one onto mesh's preset named by p.Base;
// fields the profile does not name keep the preset's value.
func Config(p harness.Profile) mesh.Config {
	c := mesh.DefaultLANConfig()
	if p.Base == "local" {
		c = mesh.DefaultLocalConfig()
	}
	c.ProbeInterval = p.ProbeInterval
	c.ProbeTimeout = p.ProbeTimeout
	c.IndirectChecks = p.IndirectChecks
	c.GossipInterval = p.GossipInterval
	c.GossipNodes = p.GossipNodes
	c.RetransmitMult = p.RetransmitMult
	c.SuspicionMult = p.SuspicionMult
	c.SuspicionMaxTimeoutMult = p.SuspicionMaxTimeoutMult
	c.AwarenessMaxMultiplier = p.AwarenessMaxMultiplier
	c.GossipToTheDeadTime = p.GossipToTheDeadTime
	c.AntiEntropyInterval = p.AntiEntropyInterval
	c.ReconnectInterval = p.ReconnectInterval
	c.LeavePropagateDelay = p.LeaveTimeout
	c.MaxPacketSize = p.MaxPacketSize
	c.Cluster = "bench"
	c.EventBuffer = eventBuffer
	c.Logger = slog.New(slog.DiscardHandler)
	return c
}

// Start starts one meshd node on 127.0.0.1.
func (System) Start(spec harness.NodeSpec) (harness.Node, error) {
	udp, err := transport.ListenUDP("127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	faulty := transport.NewFaulty(udp, spec.Seed)
	counted := newCountingConn(faulty, spec.Sink)
	cfg := Config(spec.Profile)
	cfg.Name = spec.Name
	cfg.BindAddr = udp.LocalAddr().String()
	cfg.Transport = counted
	cfg.Seed = spec.Seed
	if cfg.Seed == 0 {
		cfg.Seed = 1 // 0 asks mesh for a random seed
	}
	m, err := mesh.New(cfg)
	if err != nil {
		_ = udp.Close()
		return nil, fmt.Errorf("mesh.New: %w", err)
	}
	n := &node{name: spec.Name, m: m, faulty: faulty, counted: counted}
	events, cancel := m.Subscribe()
	n.cancel = cancel
	n.wg.Add(1)
	go n.forward(events, spec.Sink)
	return n, nil
}

type node struct {
	name    string
	m       *mesh.Mesh
	faulty  *transport.Faulty
	counted *countingConn
	cancel  func()
	wg      sync.WaitGroup

	stopOnce sync.Once
	stopped  atomic.Bool
	final    atomic.Uint64 // BytesSent at stop; Stats is gone after Close
}

// forward turns mesh events into harness events until the subscription ends.
func (n *node) forward(events <-chan mesh.Event, sink func(harness.Event)) {
	defer n.wg.Done()
	for ev := range events {
		var kind harness.EventKind
		switch ev.Type {
		case mesh.EventJoin:
			kind = harness.EventAlive
		case mesh.EventFail:
			kind = harness.EventFailed
		case mesh.EventLeave:
			kind = harness.EventLeft
		case mesh.EventUpdate, mesh.EventAlive:
			// An update or a refutation of an alive member says it is
			// alive; harmless when already known, and it repairs a
			// coalesced join. Suspicion (EventSuspect) is measured by
			// polling View, as for every system, so it is skipped here.
			if ev.Member.State != mesh.StateAlive {
				continue
			}
			kind = harness.EventAlive
		default:
			continue
		}
		sink(harness.Event{Observer: n.name, Subject: ev.Member.Name, Kind: kind, At: ev.At})
	}
}

func (n *node) Name() string { return n.name }

func (n *node) Addr() string { return n.m.Addr().String() }

func (n *node) Join(ctx context.Context, seeds []string) error {
	_, err := n.m.Join(ctx, seeds...)
	return err
}

// ReportSuspicion turns the sniffer of outgoing suspect messages on or off.
func (n *node) ReportSuspicion(on bool) { n.counted.sniff.Store(on) }

// view is meshd's member list. It is deliberately not harness.Viewer: the
// member list shows every node that heard of a suspicion as suspecting,
// which is not comparable with the other systems' count of originators.
func (n *node) view() []harness.MemberView {
	ms := n.m.Members()
	v := make([]harness.MemberView, len(ms))
	for i, m := range ms {
		st := harness.ViewAlive
		switch m.State {
		case mesh.StateSuspect:
			st = harness.ViewSuspect
		case mesh.StateDead:
			st = harness.ViewFailed
		case mesh.StateLeft:
			st = harness.ViewLeft
		}
		v[i] = harness.MemberView{Name: m.Name, State: st}
	}
	return v
}

func (n *node) SetLoss(x float64) { n.faulty.SetLoss(harness.LossPerDirection(x)) }

// BytesSent is the larger of the engine's own BytesOut and the datagram
// bytes counted at its transport: they agree when all traffic is datagrams,
// and the engine's count would also hold any stream the transport misses.
func (n *node) BytesSent() uint64 {
	if n.stopped.Load() {
		return n.final.Load()
	}
	return max(n.m.Stats().BytesOut, n.counted.bytes.Load())
}

// BytesSentSplit splits BytesSent into what the transport saw (datagrams)
// and the rest.
func (n *node) BytesSentSplit() (packet, stream uint64) {
	total := n.BytesSent()
	packet = min(n.counted.bytes.Load(), total)
	return packet, total - packet
}

// EngineBytes is the engine's own BytesOut, for checking that it agrees
// with the transport count.
func (n *node) EngineBytes() uint64 { return n.m.Stats().BytesOut }

func (n *node) stop(close func() error) error {
	var err error
	n.stopOnce.Do(func() {
		n.final.Store(n.BytesSent())
		err = close()
		n.final.Store(max(n.final.Load(), n.counted.bytes.Load()))
		n.stopped.Store(true)
		n.cancel()
		n.wg.Wait()
	})
	return err
}

func (n *node) Leave(ctx context.Context) error {
	return n.stop(func() error { return n.m.Leave(ctx) })
}

func (n *node) Kill() error { return n.stop(n.m.Close) }
