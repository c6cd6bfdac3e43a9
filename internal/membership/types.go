// Package membership is the pure member table of the engine: who is known,
// at which address, incarnation and state, and which updates win. It owns no
// goroutine, socket, lock or clock; the caller passes the time in.
package membership

import (
	"maps"
	"net/netip"
	"time"
)

// State is a member's liveness as this node believes it.
type State uint8

const (
	StateAlive   State = iota // answering probes
	StateSuspect              // missed a probe; may still refute
	StateDead                 // declared failed by the cluster
	StateLeft                 // left gracefully
)

var stateNames = [...]string{"alive", "suspect", "dead", "left"}

func (s State) String() string {
	if int(s) < len(stateNames) {
		return stateNames[s]
	}
	return "unknown"
}

// Member is one entry of the member table as seen from outside the core.
type Member struct {
	Name        string
	Addr        netip.AddrPort
	Meta        map[string]string
	State       State
	Incarnation uint64
	// MetaVersion grows by one each time the member changes its metadata.
	MetaVersion uint64
	// Since is when this node last saw the member change state.
	Since time.Time
}

// Clone returns a copy that shares nothing mutable with m.
func (m Member) Clone() Member {
	m.Meta = maps.Clone(m.Meta)
	return m
}

// EventType says what happened to a member.
type EventType uint8

const (
	EventJoin    EventType = iota // a member became alive (new, or back from dead/left)
	EventLeave                    // a member left gracefully
	EventFail                     // a member was declared dead
	EventUpdate                   // an alive member changed its metadata or address
	EventSuspect                  // an alive member became suspect: it missed a probe
	EventAlive                    // a suspect member refuted the suspicion and is alive again

	// EventTypes is the number of event types, for tables indexed by type.
	EventTypes = iota
)

var eventNames = [EventTypes]string{"join", "leave", "fail", "update", "suspect", "alive"}

func (t EventType) String() string {
	if int(t) < len(eventNames) {
		return eventNames[t]
	}
	return "unknown"
}

// Event is a change of the member table, published to subscribers.
type Event struct {
	Type   EventType
	Member Member
	At     time.Time
}
