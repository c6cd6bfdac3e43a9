package core

import (
	"errors"
	"math/rand"
	"net/netip"
	"time"
)

// heartbeats is replaced by the glue to package heartbeat once it lands.
type heartbeats struct{ proto hbStatser }

type hbStats struct {
	Sent, Received uint64
	Dropped        map[string]uint64
}
type hbStatser interface{ Stats() hbStats }

func newHeartbeats(cfg Config, rng *rand.Rand) (*heartbeats, error) {
	return nil, errors.New("core: multicast heartbeats are not available yet")
}
func (h *heartbeats) deadline() time.Time         { return time.Time{} }
func (h *heartbeats) setKeys(keys [][]byte) error { return nil }
func (n *Node) heartbeatTick(now time.Time)       {}

// StepHeartbeat hands the node a datagram received on the multicast group.
func (n *Node) StepHeartbeat(now time.Time, from netip.AddrPort, data []byte) {}
