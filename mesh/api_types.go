package mesh

import (
	"maps"
	"net/netip"
	"time"
)

// Member is one member of the cluster as this node sees it. Values returned
// by the Mesh are copies: changing one (its Meta included) changes nothing
// in the mesh.
type Member struct {
	// Name is the member's unique name in the cluster (Config.Name).
	Name string
	// Addr is the address the member is reached at (its AdvertiseAddr).
	Addr netip.AddrPort
	// Meta is the member's metadata (Config.Meta, Mesh.SetMeta); nil when
	// it has none.
	Meta map[string]string
	// State is the member's liveness as this node believes it.
	State State
	// Incarnation is the member's own counter: it raises it to refute a
	// suspicion, to change its metadata and to announce a leave, so of two
	// claims about a member the one with the higher incarnation is newer.
	Incarnation uint64
	// Since is when this node last saw the member change State (for this
	// member, when the Mesh started).
	Since time.Time
}

// State is a member's liveness: StateAlive, StateSuspect, StateDead or
// StateLeft.
type State uint8

const (
	// StateAlive: the member answers probes, directly or through others.
	StateAlive State = iota
	// StateSuspect: the member missed a probe. It is still counted as a
	// member and may refute the suspicion; if it does not within the
	// suspicion timeout, it is declared dead.
	StateSuspect
	// StateDead: the cluster declared the member failed. It stays in the
	// table as a tombstone for DeadReclaimTime, and comes back with
	// EventJoin if it answers again.
	StateDead
	// StateLeft: the member left gracefully (Mesh.Leave). It stays as a
	// tombstone for DeadReclaimTime.
	StateLeft
)

var stateNames = [...]string{"alive", "suspect", "dead", "left"}

// String returns "alive", "suspect", "dead" or "left" ("unknown" for a value
// outside the four).
func (s State) String() string {
	if int(s) < len(stateNames) {
		return stateNames[s]
	}
	return "unknown"
}

// Event is a change of membership delivered to subscribers. Member is the
// member as it is after the change.
type Event struct {
	// Type says what happened.
	Type EventType
	// Member is the member after the change.
	Member Member
	// At is when this node learnt of the change. Events handled together
	// (one batch of received packets) share one At.
	At time.Time
	// Seq numbers this Mesh's events: 1 for the first, then one more for
	// each, in the order they happened, the same for every subscriber. A
	// subscriber that fell behind sees gaps where older events about a
	// member were replaced by newer ones.
	Seq uint64
}

// EventType says what happened to a member. The first four values are a
// contract; new ones are only ever appended.
type EventType uint8

const (
	// EventJoin: a member became alive, new or back from dead or left.
	EventJoin EventType = iota
	// EventLeave: a member left gracefully.
	EventLeave
	// EventFail: a member was declared dead.
	EventFail
	// EventUpdate: an alive member changed its metadata or address.
	EventUpdate
	// EventSuspect: an alive member became suspect (it missed a probe). It
	// is followed by EventAlive if it refutes, or EventFail if it does not.
	EventSuspect
	// EventAlive: a suspect member refuted the suspicion and is alive
	// again. Its Member carries any metadata or address it changed
	// meanwhile (no separate EventUpdate is sent for those).
	EventAlive
)

var eventNames = [...]string{"join", "leave", "fail", "update", "suspect", "alive"}

// EventTypes lists every event type, in order, for tables and metrics.
func EventTypes() []EventType {
	out := make([]EventType, len(eventNames))
	for i := range out {
		out[i] = EventType(i)
	}
	return out
}

// String returns "join", "leave", "fail", "update", "suspect" or "alive"
// ("unknown" for any other value).
func (t EventType) String() string {
	if int(t) < len(eventNames) {
		return eventNames[t]
	}
	return "unknown"
}

// Stats are the engine's counters since start, for metrics. Every map is a
// fresh copy owned by the caller.
type Stats struct {
	Members        map[State]int         // members by state, this node included
	ProbesSent     uint64                // direct probes sent
	ProbesFailed   uint64                // probes that got no ack, direct or indirect
	IndirectProbes uint64                // ping-req sent to helpers
	Suspicions     uint64                // members this node started suspecting
	Refutations    uint64                // times this node refuted suspicion of itself
	NameConflicts  uint64                // other live members found under this one's name (NameConflictError)
	PacketsIn      uint64                // datagrams received
	PacketsOut     uint64                // datagrams sent
	BytesIn        uint64                // payload bytes received
	BytesOut       uint64                // payload bytes sent
	Dropped        map[DropReason]uint64 // gossip datagrams dropped, by reason (see GossipDropReasons)
	Events         map[EventType]uint64
	Heartbeats     HeartbeatStats
	Strategies     map[string]StrategyStats // by strategy name
}

// HeartbeatStats counts multicast heartbeats.
type HeartbeatStats struct {
	Sent     uint64
	Received uint64
	Dropped  map[DropReason]uint64 // by reason (see HeartbeatDropReasons), the multicast socket's included
}

// cloneMember returns a copy of m that shares no map with it.
func cloneMember(m Member) Member {
	m.Meta = maps.Clone(m.Meta)
	return m
}
