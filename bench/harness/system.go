package harness

import (
	"context"
	"time"
)

// System starts nodes of one membership implementation. Start is called from
// one goroutine at a time.
type System interface {
	// Name is the system's name in results: "meshd", "memberlist", "serf".
	Name() string
	// Start starts one node bound to a free port on 127.0.0.1. The node
	// reports what it learns about other members to spec.Sink, from any
	// goroutine, possibly before Start returns.
	Start(spec NodeSpec) (Node, error)
}

// NodeSpec is what a System needs to start a node.
type NodeSpec struct {
	Name    string
	Profile Profile
	// Seed seeds the node's randomness and its fault injector, so a run can be
	// repeated as closely as real sockets and schedulers allow.
	Seed int64
	// Sink receives the node's membership events. It is safe for concurrent
	// use and never blocks for long.
	Sink func(Event)
}

// Node is one running member. Its methods may be called from any goroutine;
// after Leave or Kill returned, only BytesSent may still be called.
type Node interface {
	Name() string
	// Addr is the host:port other nodes join.
	Addr() string
	// Join contacts the seeds and returns once at least one answered.
	Join(ctx context.Context, seeds []string) error
	// SetLoss makes the node's transport drop datagrams so that a datagram
	// between two nodes that both have loss p is lost with probability p end
	// to end (the node splits p between its send and receive paths). Stream
	// dials fail with probability p. 0 turns loss off.
	SetLoss(p float64)
	// BytesSent is the payload bytes this node sent since it started,
	// datagrams and streams alike, headers of IP, UDP and TCP excluded.
	BytesSent() uint64
	// Leave announces a graceful leave, waits for it to propagate as the
	// profile says, and stops the node.
	Leave(ctx context.Context) error
	// Kill stops the node abruptly, as a crash would: no message is sent.
	Kill() error
}

// Viewer is implemented by nodes whose member list shows suspicion (meshd):
// while a scenario measures suspicion, the harness polls View.
type Viewer interface {
	// View is the node's current opinion of every member it knows.
	View() []MemberView
}

// SuspicionReporter is implemented by nodes that report suspicion as
// EventSuspect events instead, because their member list does not show it
// (memberlist v0.7.0 never updates the exported Node.State). The harness
// turns reports on only while it measures suspicion, since producing them
// may cost the node CPU.
type SuspicionReporter interface {
	ReportSuspicion(on bool)
}

// ByteBreakdown is implemented by nodes that can split BytesSent into
// datagram and stream bytes (memberlist's UDP and TCP push-pull).
type ByteBreakdown interface {
	BytesSentSplit() (packet, stream uint64)
}

// MemberView is one entry of a node's member list.
type MemberView struct {
	Name  string
	State ViewState
}

// ViewState is a member's state as a node believes it.
type ViewState uint8

const (
	ViewUnknown ViewState = iota // not in the node's list (reaped or never seen)
	ViewAlive
	ViewSuspect
	ViewFailed
	ViewLeft
)

var viewStateNames = [...]string{"unknown", "alive", "suspect", "failed", "left"}

func (s ViewState) String() string {
	if int(s) < len(viewStateNames) {
		return viewStateNames[s]
	}
	return "invalid"
}

// EventKind is what a node reports about a member.
type EventKind uint8

const (
	// EventAlive: the member joined, or came back after being failed or left.
	EventAlive EventKind = iota + 1
	// EventFailed: the member was declared failed (dead).
	EventFailed
	// EventLeft: the member left gracefully, or was reaped.
	EventLeft
	// EventSuspect: the observer started suspecting the member. Only from
	// SuspicionReporter nodes; it changes no state, it only dates suspicion.
	EventSuspect
)

func (k EventKind) String() string {
	switch k {
	case EventAlive:
		return "alive"
	case EventFailed:
		return "failed"
	case EventLeft:
		return "left"
	case EventSuspect:
		return "suspect"
	}
	return "invalid"
}

// Event is one report of a node (the observer) about a member (the subject).
type Event struct {
	Observer string
	Subject  string
	Kind     EventKind
	// At is when the observer learned it; zero means "when reported".
	At time.Time
}
