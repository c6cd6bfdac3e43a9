package heartbeat

import (
	"errors"
	"fmt"
	"maps"
	"net/netip"
)

// Drop reasons. A *DropError matches its reason with errors.Is, and the
// reason's text is its key in Stats.Dropped. The package doc says what each
// one means.
var (
	ErrForeignCluster   = errors.New("foreign-cluster")
	ErrBadKey           = errors.New("bad-key")
	ErrSealedWithoutKey = errors.New("encrypted-without-key")
	ErrUnencrypted      = errors.New("unencrypted")
	ErrReplay           = errors.New("replay")
	ErrStale            = errors.New("stale")
	ErrMalformed        = errors.New("malformed")
	ErrLibcluster       = errors.New("libcluster")
	ErrSelf             = errors.New("self")
	ErrRateLimited      = errors.New("rate-limited")
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
	Reason error // one of the Err* reasons above
	From   netip.AddrPort
	Err    error // detail, may be nil
}

func (e *DropError) Error() string {
	if e.Err == nil {
		return fmt.Sprintf("heartbeat: dropped %s datagram from %v", e.Reason, e.From)
	}
	return fmt.Sprintf("heartbeat: dropped %s datagram from %v: %v", e.Reason, e.From, e.Err)
}

// Unwrap gives the reason and the detail, so errors.Is matches either.
func (e *DropError) Unwrap() []error {
	if e.Err == nil {
		return []error{e.Reason}
	}
	return []error{e.Reason, e.Err}
}

func (s Stats) clone() Stats {
	s.Dropped = maps.Clone(s.Dropped)
	if s.Dropped == nil {
		s.Dropped = map[string]uint64{}
	}
	return s
}
