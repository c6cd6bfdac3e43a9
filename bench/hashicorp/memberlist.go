package hashicorp

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/hashicorp/memberlist"

	"github.com/meshd/meshd/bench/harness"
)

// Memberlist is the harness System for hashicorp/memberlist.
type Memberlist struct{}

// Name is "memberlist".
func (Memberlist) Name() string { return "memberlist" }

// Start creates a memberlist node on its own wrapped transport.
func (Memberlist) Start(spec harness.NodeSpec) (harness.Node, error) {
	t, err := NewTransport(spec.Seed, suspectSink(spec.Sink))
	if err != nil {
		return nil, err
	}
	c := MemberlistConfig(spec.Profile, spec.Name, t)
	c.Events = &mlEvents{self: spec.Name, sink: spec.Sink}
	ml, err := memberlist.Create(c)
	if err != nil {
		_ = t.Shutdown()
		return nil, fmt.Errorf("memberlist.Create: %w", err)
	}
	return &mlNode{name: spec.Name, ml: ml, t: t, leave: spec.Profile.LeaveTimeout}, nil
}

// mlEvents turns memberlist's event delegate calls into harness events.
// memberlist calls it with its node lock held, so it must not call back
// into memberlist; the sink only takes the tracker's lock.
type mlEvents struct {
	self string
	sink func(harness.Event)
}

func (e *mlEvents) NotifyJoin(n *memberlist.Node) {
	e.sink(harness.Event{Observer: e.self, Subject: n.Name, Kind: harness.EventAlive, At: time.Now()})
}

// NotifyLeave is memberlist's one signal for failure and graceful leave,
// and v0.7.0 cannot tell them apart here: the Node it passes carries the
// zero State whatever happened (the real state lives in an unexported field
// that shadows it). Both mean "gone" to every scenario, so both are
// reported as failed.
func (e *mlEvents) NotifyLeave(n *memberlist.Node) {
	e.sink(harness.Event{Observer: e.self, Subject: n.Name, Kind: harness.EventFailed, At: time.Now()})
}

// suspectSink reports sniffed suspect messages as suspicion events of the
// node that suspects (From), which may be another node whose gossip this
// one forwards; the tracker keeps the earliest.
func suspectSink(sink func(harness.Event)) func(Suspicion) {
	return func(s Suspicion) {
		sink(harness.Event{Observer: s.From, Subject: s.Node, Kind: harness.EventSuspect, At: time.Now()})
	}
}

func (e *mlEvents) NotifyUpdate(*memberlist.Node) {}

type mlNode struct {
	name  string
	ml    *memberlist.Memberlist
	t     *Transport
	leave time.Duration
}

func (n *mlNode) Name() string { return n.name }

func (n *mlNode) Addr() string { return n.ml.LocalNode().Address() }

func (n *mlNode) Join(ctx context.Context, seeds []string) error {
	// memberlist's Join has no context; its TCP timeout bounds it.
	if err := ctx.Err(); err != nil {
		return err
	}
	if k, err := n.ml.Join(seeds); k == 0 {
		if err == nil {
			err = errors.New("no seed answered")
		}
		return err
	}
	return nil
}

// ReportSuspicion turns the wire sniffer on: memberlist's member list
// never shows suspicion, its suspect broadcasts do.
func (n *mlNode) ReportSuspicion(on bool) { n.t.SetSniff(on) }

func (n *mlNode) SetLoss(x float64) { n.t.SetLoss(x) }

func (n *mlNode) BytesSent() uint64 {
	p, s := n.t.Bytes()
	return p + s
}

func (n *mlNode) BytesSentSplit() (packet, stream uint64) { return n.t.Bytes() }

func (n *mlNode) Leave(ctx context.Context) error {
	err := n.ml.Leave(n.leave)
	return errors.Join(err, n.ml.Shutdown())
}

func (n *mlNode) Kill() error { return n.ml.Shutdown() }
