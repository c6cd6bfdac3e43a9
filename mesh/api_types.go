package mesh

import "github.com/meshd/meshd/internal/membership"

// Member is one member of the cluster as this node sees it.
type Member = membership.Member

// State is a member's liveness: StateAlive, StateSuspect, StateDead, StateLeft.
type State = membership.State

const (
	StateAlive   = membership.StateAlive
	StateSuspect = membership.StateSuspect
	StateDead    = membership.StateDead
	StateLeft    = membership.StateLeft
)

// Event is a change of membership delivered to subscribers.
type Event = membership.Event

// EventType is EventJoin, EventLeave, EventFail or EventUpdate.
type EventType = membership.EventType

const (
	EventJoin   = membership.EventJoin
	EventLeave  = membership.EventLeave
	EventFail   = membership.EventFail
	EventUpdate = membership.EventUpdate
)

// Stats are the engine's counters since start, for metrics. Every map is a
// fresh copy owned by the caller.
type Stats struct {
	Members        map[State]int     // members by state, this node included
	ProbesSent     uint64            // direct probes sent
	ProbesFailed   uint64            // probes that got no ack, direct or indirect
	IndirectProbes uint64            // ping-req sent to helpers
	Suspicions     uint64            // members this node started suspecting
	Refutations    uint64            // times this node refuted suspicion of itself
	PacketsIn      uint64            // datagrams received
	PacketsOut     uint64            // datagrams sent
	BytesIn        uint64            // payload bytes received
	BytesOut       uint64            // payload bytes sent
	Dropped        map[string]uint64 // packets dropped, by reason
	Events         map[EventType]uint64
	Heartbeats     HeartbeatStats
	Strategies     map[string]StrategyStats // by strategy name
}

// HeartbeatStats counts multicast heartbeats.
type HeartbeatStats struct {
	Sent     uint64
	Received uint64
	Dropped  map[string]uint64 // by reason: foreign-cluster, bad-key, replay, malformed, libcluster, ...
}
