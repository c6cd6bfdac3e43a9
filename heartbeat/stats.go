package heartbeat

import (
	"fmt"
	"maps"
	"net/netip"
)

// Drop reasons, the keys of Stats.Dropped. The package doc says what each
// one means.
const (
	ReasonForeignCluster = "foreign-cluster"
	ReasonBadKey         = "bad-key"
	ReasonUnsealed       = "unsealed"
	ReasonReplay         = "replay"
	ReasonStale          = "stale"
	ReasonMalformed      = "malformed"
	ReasonLibcluster     = "libcluster"
	ReasonSelf           = "self"
	ReasonRateLimited    = "rate-limited"
)

// Stats are a Protocol's counters since New. Every datagram given to Receive
// counts once: in Received or under one reason of Dropped.
type Stats struct {
	// Sent counts heartbeats returned by Tick.
	Sent uint64
	// SendErrors counts heartbeats Tick could not produce: an invalid self
	// announce or a failing nonce source.
	SendErrors uint64
	// Received counts heartbeats accepted by Receive.
	Received uint64
	// Dropped counts rejected datagrams by reason; a fresh copy.
	Dropped map[string]uint64
}

// DropError is Receive's error: why the datagram from From was dropped.
type DropError struct {
	Reason string
	From   netip.AddrPort
	Err    error // detail, may be nil
}

func (e *DropError) Error() string {
	if e.Err == nil {
		return fmt.Sprintf("heartbeat: dropped %s datagram from %v", e.Reason, e.From)
	}
	return fmt.Sprintf("heartbeat: dropped %s datagram from %v: %v", e.Reason, e.From, e.Err)
}

func (e *DropError) Unwrap() error { return e.Err }

func (s Stats) clone() Stats {
	s.Dropped = maps.Clone(s.Dropped)
	if s.Dropped == nil {
		s.Dropped = map[string]uint64{}
	}
	return s
}
