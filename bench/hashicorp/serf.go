package hashicorp

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log"
	"sync"
	"time"

	"github.com/hashicorp/serf/serf"

	"github.com/meshd/meshd/bench/harness"
)

// serfEventBuffer is large enough that serf never blocks on us, also in the
// moment between Shutdown and the drain goroutine's exit.
const serfEventBuffer = 4096

// Serf is the harness System for hashicorp/serf, which runs memberlist
// underneath: serf.DefaultConfig() with MemberlistConfig from the profile,
// the wrapped transport, and its event channel drained into the tracker.
// Serf's own defaults stay (coordinates on, which add bytes to every ping;
// no event coalescing), as a serf user would run it.
type Serf struct{}

// Name is "serf".
func (Serf) Name() string { return "serf" }

// Start creates a serf node.
func (Serf) Start(spec harness.NodeSpec) (harness.Node, error) {
	t, err := NewTransport(spec.Seed, suspectSink(spec.Sink))
	if err != nil {
		return nil, err
	}
	conf := serf.DefaultConfig()
	conf.NodeName = spec.Name
	conf.MemberlistConfig = MemberlistConfig(spec.Profile, spec.Name, t)
	conf.Logger = log.New(io.Discard, "", 0)
	conf.LogOutput = nil
	conf.ReconnectInterval = spec.Profile.ReconnectInterval
	conf.LeavePropagateDelay = spec.Profile.LeaveTimeout
	events := make(chan serf.Event, serfEventBuffer)
	conf.EventCh = events

	n := &serfNode{name: spec.Name, t: t, sink: spec.Sink, done: make(chan struct{})}
	n.wg.Add(1)
	go n.drain(events)
	s, err := serf.Create(conf)
	if err != nil {
		n.stopDrain()
		_ = t.Shutdown()
		return nil, fmt.Errorf("serf.Create: %w", err)
	}
	n.s = s
	return n, nil
}

type serfNode struct {
	name string
	s    *serf.Serf
	t    *Transport
	sink func(harness.Event)
	done chan struct{}
	once sync.Once
	wg   sync.WaitGroup
}

// drain turns member events into harness events until the node stops.
// Serf's events carry no time; the time of receipt is used, a few
// microseconds after serf learned it.
func (n *serfNode) drain(events <-chan serf.Event) {
	defer n.wg.Done()
	for {
		select {
		case <-n.done:
			return
		case ev := <-events:
			me, ok := ev.(serf.MemberEvent)
			if !ok {
				continue
			}
			var kind harness.EventKind
			switch me.Type {
			case serf.EventMemberJoin:
				kind = harness.EventAlive
			case serf.EventMemberFailed:
				kind = harness.EventFailed
			case serf.EventMemberLeave, serf.EventMemberReap:
				kind = harness.EventLeft
			default:
				continue
			}
			now := time.Now()
			for _, m := range me.Members {
				n.sink(harness.Event{Observer: n.name, Subject: m.Name, Kind: kind, At: now})
			}
		}
	}
}

func (n *serfNode) stopDrain() {
	n.once.Do(func() {
		close(n.done)
		n.wg.Wait()
	})
}

func (n *serfNode) Name() string { return n.name }

func (n *serfNode) Addr() string { return n.s.Memberlist().LocalNode().Address() }

func (n *serfNode) Join(ctx context.Context, seeds []string) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	if k, err := n.s.Join(seeds, true); k == 0 {
		if err == nil {
			err = errors.New("no seed answered")
		}
		return err
	}
	return nil
}

// ReportSuspicion sniffs the embedded memberlist's suspect broadcasts:
// serf has no suspect status of its own, memberlist's is the one it acts on.
func (n *serfNode) ReportSuspicion(on bool) { n.t.SetSniff(on) }

func (n *serfNode) SetLoss(x float64) { n.t.SetLoss(x) }

func (n *serfNode) BytesSent() uint64 {
	p, s := n.t.Bytes()
	return p + s
}

func (n *serfNode) BytesSentSplit() (packet, stream uint64) { return n.t.Bytes() }

func (n *serfNode) Leave(ctx context.Context) error {
	err := n.s.Leave()
	err = errors.Join(err, n.s.Shutdown())
	n.stopDrain()
	return err
}

func (n *serfNode) Kill() error {
	err := n.s.Shutdown()
	n.stopDrain()
	return err
}
