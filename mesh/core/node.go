package core

import (
	"net/netip"
	"time"

	"github.com/meshd/meshd/mesh/membership"
	"github.com/meshd/meshd/mesh/transport"
)

// Ready is what the node produced since the last call to Ready. The caller
// owns it.
type Ready struct {
	Packets    []transport.Packet // unicast datagrams to send
	Heartbeats [][]byte           // datagrams for the multicast group
	Events     []membership.Event // membership changes to publish, in order
	Deadline   time.Time          // call Tick at or after this time
}

// Stats are the node's counters since creation.
type Stats struct {
	ProbesSent, ProbesFailed, IndirectProbes uint64
	Suspicions, Refutations                  uint64
	PacketsIn, PacketsOut, BytesIn, BytesOut uint64
	HeartbeatsSent, HeartbeatsIn             uint64
	Dropped                                  map[string]uint64 // by reason
	HeartbeatDropped                         map[string]uint64 // by reason
	Events                                   [4]uint64         // by membership.EventType
}

// Node is one member's protocol state.
type Node struct{}

// New creates a node that knows only itself.
func New(cfg Config, now time.Time) (*Node, error) { return &Node{}, nil }

// Step hands the node a datagram received from addr. Bad packets are dropped
// and counted by reason in Stats().Dropped.
func (n *Node) Step(now time.Time, from netip.AddrPort, data []byte) {}

// StepHeartbeat hands the node a datagram received on the multicast group.
func (n *Node) StepHeartbeat(now time.Time, from netip.AddrPort, data []byte) {}

// Tick advances timers to now.
func (n *Node) Tick(now time.Time) {}

// Ready returns and clears the node's output.
func (n *Node) Ready() Ready { return Ready{} }

// Join asks each address for the full member table and announces this node.
func (n *Node) Join(now time.Time, addrs []netip.AddrPort) {}

// Leave announces a graceful leave; keep driving the node for a while so the
// message spreads.
func (n *Node) Leave(now time.Time) {}

// SetMeta replaces this node's metadata and gossips it.
func (n *Node) SetMeta(now time.Time, meta map[string]string) error { return nil }

// SetKeys replaces the keyring.
func (n *Node) SetKeys(keys [][]byte) error { return nil }

// Members returns a copy of the member table, this node included.
func (n *Node) Members() []membership.Member { return nil }

// Local returns this node's own entry.
func (n *Node) Local() membership.Member { return membership.Member{} }

// View returns how many members this node counts as live (alive or suspect,
// itself included) and an order-independent hash of their names, cheap enough
// for a simulator to compare thousands of views.
func (n *Node) View() (live int, namesHash uint64) { return 0, 0 }

// Digest is the anti-entropy digest of the table (what heartbeats carry).
func (n *Node) Digest() uint64 { return 0 }

// Stats returns the counters.
func (n *Node) Stats() Stats { return Stats{} }

// NameHash is the hash View sums over names (XOR), exported so a simulator
// can compute the expected value for a set of live names.
func NameHash(name string) uint64 { return 0 }
