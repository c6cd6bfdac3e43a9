// Package tuning holds the protocol's timing and sizing knobs, defined once
// for every part of meshd that runs the protocol: mesh.Config embeds Params
// (so cfg.ProbeInterval reads and sets a field of it), the engine takes the
// same struct, and the simulator and benchmarks start from the same presets.
//
// It imports nothing of meshd but the wire format's size rules, so that the
// engine, which package mesh imports, can use it too. Most users never name it:
// they start from mesh.DefaultLANConfig (or WAN, Local) and set fields on
// the Config.
package tuning

import (
	"fmt"
	"time"

	"github.com/meshd/meshd/internal/wire"
)

// Params are the failure detector's, gossip's and anti-entropy's knobs,
// each with its unit and its default in the LAN, WAN and local presets.
type Params struct {
	// ProbeInterval is the time between two failure-detection probes, before
	// Lifeguard's local health multiplier. Default LAN 1s, WAN 5s, local 1s.
	ProbeInterval time.Duration
	// ProbeTimeout is how long a direct probe waits for an ack before asking
	// IndirectChecks helpers; less than ProbeInterval. Default LAN 500ms,
	// WAN 3s, local 200ms.
	ProbeTimeout time.Duration
	// IndirectChecks is how many helpers are asked to probe a member that did
	// not answer a direct probe, 0 to 16. Default LAN 3, WAN 3, local 1.
	IndirectChecks int
	// GossipInterval is the time between two gossip rounds that push pending
	// updates. Default LAN 200ms, WAN 500ms, local 100ms.
	GossipInterval time.Duration
	// GossipNodes is how many random members each gossip round sends to,
	// 1 to 64. Default LAN 3, WAN 4, local 3.
	GossipNodes int
	// GossipToTheDeadTime is how long dead members still receive gossip, so
	// that they learn they were declared dead and refute. Default LAN 30s,
	// WAN 60s, local 15s.
	GossipToTheDeadTime time.Duration
	// RetransmitMult sets how many times an update is retransmitted:
	// RetransmitMult * ceil(log10(N+1)), 1 to 64. Default LAN 4, WAN 4,
	// local 2.
	RetransmitMult int
	// SuspicionMult sets the minimum suspicion timeout:
	// SuspicionMult * max(1, log10(N)) * ProbeInterval, 1 to 64. Default
	// LAN 4, WAN 6, local 3.
	SuspicionMult int
	// SuspicionMaxTimeoutMult is the maximum suspicion timeout as a multiple
	// of the minimum, 1 to 64; the timeout starts there and shrinks with
	// independent confirmations (Lifeguard). Default 6.
	SuspicionMaxTimeoutMult int
	// AwarenessMaxMultiplier caps Lifeguard's local health multiplier, which
	// stretches this node's probe interval and timeout while its own probes
	// go unanswered, 1 to 64. 1 disables local health. Default 8.
	AwarenessMaxMultiplier int
	// AntiEntropyInterval is the time between two digest exchanges with a
	// random member. Only a digest of O(1) bytes travels unless the tables
	// differ. Default LAN 5s, WAN 15s, local 2s.
	AntiEntropyInterval time.Duration
	// ReconnectInterval is how often a dead member is contacted again so that
	// partitions heal on their own. Default LAN 10s, WAN 30s, local 5s.
	ReconnectInterval time.Duration
	// DeadReclaimTime is how long dead and left members stay in the table as
	// tombstones before they are reaped. Default LAN 10m, WAN 30m, local 2m.
	DeadReclaimTime time.Duration
	// MaxPacketSize is the largest UDP payload sent, in bytes, 576 to
	// 65000. Default 1400.
	MaxPacketSize int
	// MaxMetaSize bounds the encoded size of a member's metadata, in bytes.
	// Every member's metadata travels in one packet with its name and
	// address, so the bound is at most what a MaxPacketSize packet can carry
	// besides them (MaxMetaSizeFor). Receivers accept any metadata that
	// fits a packet; give the whole cluster the same MaxPacketSize.
	// Default 512.
	MaxMetaSize int
}

// DefaultMaxPacketSize is the default MaxPacketSize: a UDP payload that
// fits an Ethernet MTU with room for IP options and tunnels.
const DefaultMaxPacketSize = 1400

// DefaultMaxMetaSize is the default MaxMetaSize, memberlist's limit.
const DefaultMaxMetaSize = 512

// Packet sizes Validate accepts.
const (
	MinPacketSize = 576   // the datagram every IPv4 host must accept
	MaxPacketSize = 65000 // below the UDP limit of 65507
)

// LAN is tuned for members on one local network: memberlist's LAN timing,
// so results compare directly.
func LAN() Params {
	return Params{
		ProbeInterval:           time.Second,
		ProbeTimeout:            500 * time.Millisecond,
		IndirectChecks:          3,
		GossipInterval:          200 * time.Millisecond,
		GossipNodes:             3,
		GossipToTheDeadTime:     30 * time.Second,
		RetransmitMult:          4,
		SuspicionMult:           4,
		SuspicionMaxTimeoutMult: 6,
		AwarenessMaxMultiplier:  8,
		AntiEntropyInterval:     5 * time.Second,
		ReconnectInterval:       10 * time.Second,
		DeadReclaimTime:         10 * time.Minute,
		MaxPacketSize:           DefaultMaxPacketSize,
		MaxMetaSize:             DefaultMaxMetaSize,
	}
}

// WAN is tuned for members across data centres.
func WAN() Params {
	p := LAN()
	p.ProbeInterval = 5 * time.Second
	p.ProbeTimeout = 3 * time.Second
	p.GossipInterval = 500 * time.Millisecond
	p.GossipNodes = 4
	p.GossipToTheDeadTime = 60 * time.Second
	p.SuspicionMult = 6
	p.AntiEntropyInterval = 15 * time.Second
	p.ReconnectInterval = 30 * time.Second
	p.DeadReclaimTime = 30 * time.Minute
	return p
}

// Local is tuned for members on one host (tests, demos): short timeouts
// and quick anti-entropy.
func Local() Params {
	p := LAN()
	p.ProbeTimeout = 200 * time.Millisecond
	p.IndirectChecks = 1
	p.GossipInterval = 100 * time.Millisecond
	p.GossipToTheDeadTime = 15 * time.Second
	p.RetransmitMult = 2
	p.SuspicionMult = 3
	p.AntiEntropyInterval = 2 * time.Second
	p.ReconnectInterval = 5 * time.Second
	p.DeadReclaimTime = 2 * time.Minute
	return p
}

// FieldError names the Params field that is wrong and why.
type FieldError struct {
	Field string // the field's name, as in Params
	Err   error
}

func (e *FieldError) Error() string { return e.Field + ": " + e.Err.Error() }
func (e *FieldError) Unwrap() error { return e.Err }

func fieldErr(field, format string, args ...any) error {
	return &FieldError{Field: field, Err: fmt.Errorf(format, args...)}
}

// Validate checks every field and returns the first bad one as a
// *FieldError.
func (p Params) Validate() error {
	durs := []struct {
		name string
		v    time.Duration
	}{
		{"ProbeInterval", p.ProbeInterval}, {"ProbeTimeout", p.ProbeTimeout},
		{"GossipInterval", p.GossipInterval}, {"AntiEntropyInterval", p.AntiEntropyInterval},
		{"ReconnectInterval", p.ReconnectInterval}, {"DeadReclaimTime", p.DeadReclaimTime},
	}
	for _, d := range durs {
		if d.v <= 0 {
			return fieldErr(d.name, "%v, must be positive", d.v)
		}
	}
	if p.ProbeTimeout >= p.ProbeInterval {
		return fieldErr("ProbeTimeout", "%v, must be less than ProbeInterval (%v)", p.ProbeTimeout, p.ProbeInterval)
	}
	if p.GossipToTheDeadTime < 0 {
		return fieldErr("GossipToTheDeadTime", "%v, must not be negative", p.GossipToTheDeadTime)
	}
	ints := []struct {
		name      string
		v, lo, hi int
	}{
		{"IndirectChecks", p.IndirectChecks, 0, 16},
		{"GossipNodes", p.GossipNodes, 1, 64},
		{"RetransmitMult", p.RetransmitMult, 1, 64},
		{"SuspicionMult", p.SuspicionMult, 1, 64},
		{"SuspicionMaxTimeoutMult", p.SuspicionMaxTimeoutMult, 1, 64},
		{"AwarenessMaxMultiplier", p.AwarenessMaxMultiplier, 1, 64},
		{"MaxPacketSize", p.MaxPacketSize, MinPacketSize, MaxPacketSize},
	}
	for _, f := range ints {
		if f.v < f.lo || f.v > f.hi {
			return fieldErr(f.name, "%d, must be in [%d, %d]", f.v, f.lo, f.hi)
		}
	}
	if hi := MaxMetaSizeFor(p.MaxPacketSize); p.MaxMetaSize < 1 || p.MaxMetaSize > hi {
		return fieldErr("MaxMetaSize", "%d, must be in [1, %d]: metadata travels in one packet of MaxPacketSize %d with the member's name and address",
			p.MaxMetaSize, hi, p.MaxPacketSize)
	}
	return nil
}

// MaxMetaSizeFor is the largest MaxMetaSize that packets of packetSize
// bytes allow: what one sealed packet carries besides a member message's
// longest name, an IPv6 address and its counters.
func MaxMetaSizeFor(packetSize int) int { return wire.MetaRoom(packetSize) }
