package core

import (
	"io"
	"net/netip"
	"time"

	"github.com/meshd/meshd/mesh/tuning"
)

// Params are the protocol's timing and sizing knobs (package tuning
// documents each with its unit and default) and the heartbeat switch.
type Params struct {
	tuning.Params
	// PollInterval is how often the addresses given to SetDiscovered that
	// are not alive members are joined again (mesh.Config.PollInterval).
	PollInterval time.Duration
	// HeartbeatInterval > 0 turns on multicast heartbeats: Ready.Heartbeats
	// then carries datagrams for the driver to send to the LAN group, and the
	// driver hands received ones to StepHeartbeat.
	HeartbeatInterval time.Duration
}

// Rand is the node's injected random source: the same seed and inputs give
// the same trace, bit for bit.
type Rand interface {
	Intn(n int) int
	Perm(n int) []int
	Float64() float64
	Uint64() uint64
}

// Config configures a Node.
type Config struct {
	Name    string
	Addr    netip.AddrPort // the advertised address
	Cluster string
	Keys    [][]byte
	Meta    map[string]string
	Params
	// Rejoin are the addresses of the members of an earlier run (a
	// snapshot). The node joins them from the start, again with capped
	// exponential backoff while none answers, until one answers or another
	// member is alive; Ready.Joins reports each attempt (JoinRejoin).
	Rejoin []netip.AddrPort
	// Rand drives every random choice (probe order, gossip targets, jitter).
	// A seeded *math/rand.Rand satisfies it.
	Rand Rand
	// Nonce supplies AEAD nonces and heartbeat sequence salts; nil means
	// crypto/rand. The simulator passes a seeded reader for determinism.
	Nonce io.Reader
}
