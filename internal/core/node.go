package core

import (
	"errors"
	"fmt"
	"maps"
	"net/netip"
	"time"

	"github.com/meshd/meshd/failure"
	"github.com/meshd/meshd/internal/gossip"
	"github.com/meshd/meshd/internal/membership"
	"github.com/meshd/meshd/internal/wire"
)

// Packet is one datagram and its peer address (the source of one received,
// the destination of one to send).
type Packet struct {
	Addr netip.AddrPort
	Data []byte
}

// Ready is what the node produced since the last call to Ready. The caller
// owns it.
type Ready struct {
	Packets    []Packet           // unicast datagrams to send
	Heartbeats [][]byte           // datagrams for the multicast group
	Events     []membership.Event // membership changes to publish, in order
	Joins      []JoinReport       // join attempts that progressed or ended, one report each
	Drops      []Drop             // datagrams dropped since the last Ready, at most MaxReadyDrops
	// NameConflicts are other live nodes found going by this node's name;
	// one with Stop set means this node has stopped (see NameConflict).
	NameConflicts []NameConflict
	Deadline      time.Time // call Tick at or after this time
}

// Stats are the node's counters since creation.
type Stats struct {
	ProbesSent, ProbesFailed, IndirectProbes uint64
	Suspicions, Refutations                  uint64
	NameConflicts                            uint64 // other live nodes found under this name
	PacketsIn, PacketsOut, BytesIn, BytesOut uint64
	HeartbeatsSent, HeartbeatsIn             uint64
	Dropped                                  map[DropReason]uint64         // gossip datagrams, by reason
	HeartbeatDropped                         map[DropReason]uint64         // multicast heartbeats, by reason
	Events                                   [membership.EventTypes]uint64 // by membership.EventType
}

// Node is one member's protocol state.
type Node struct {
	cfg   Config
	rng   Rand
	table *membership.Table
	det   *failure.Detector
	queue *gossip.Queue
	codec *wire.Codec
	enc   *wire.Encoder
	dec   *wire.Decoder
	hb    *heartbeats

	now     time.Time
	leaving bool
	names   nameCheck

	// watched maps the address of each member held dead to its name, to
	// notice one of them being heard again (see heal.go); healUntil is the
	// end of the heal window such a sighting opened.
	watched   map[netip.AddrPort]string
	healUntil time.Time
	lastTick  time.Time // to notice the node was not run for a while
	// revived holds when members came back to alive here (see hearsayDead).
	revived map[string]time.Time

	nextGossip, nextAE, nextReconnect, nextReap time.Time

	joins       []*joinAttempt // open join attempts, oldest first
	lastJoinID  JoinID
	disc        discovery
	rj          rejoin
	out         []Packet
	hbOut       [][]byte
	events      []membership.Event
	joinReports []JoinReport
	drops       []Drop
	payload     []byte
	piggy       [][]byte
	targets     []failure.Target

	stats Stats
}

// New creates a node that knows only itself. now is also the node's start
// time, by which a name conflict is settled (NameConflict).
func New(cfg Config, now time.Time) (*Node, error) {
	if cfg.Name == "" {
		return nil, errors.New("core: Config.Name is empty")
	}
	if !cfg.Addr.IsValid() {
		return nil, errors.New("core: Config.Addr is not a valid address")
	}
	if cfg.Rand == nil {
		return nil, errors.New("core: Config.Rand is nil")
	}
	if cfg.MaxPacketSize < 576 {
		return nil, fmt.Errorf("core: MaxPacketSize %d, want at least 576", cfg.MaxPacketSize)
	}
	// Join resends and discovery polls run on these: zero would resend in
	// a busy loop.
	if cfg.ProbeTimeout <= 0 || cfg.PollInterval <= 0 {
		return nil, fmt.Errorf("core: ProbeTimeout %v and PollInterval %v must be positive", cfg.ProbeTimeout, cfg.PollInterval)
	}
	codec, err := wire.NewCodec(cfg.Cluster, cfg.Keys, cfg.Nonce)
	if err != nil {
		return nil, fmt.Errorf("core: Keys: %w", err)
	}
	n := &Node{
		cfg:     cfg,
		rng:     cfg.Rand,
		codec:   codec,
		enc:     wire.NewEncoder(),
		dec:     wire.NewDecoder(),
		queue:   gossip.New(),
		now:     now,
		names:   newNameCheck(now),
		watched: map[netip.AddrPort]string{},
		revived: map[string]time.Time{},
		stats:   Stats{Dropped: map[DropReason]uint64{}, HeartbeatDropped: map[DropReason]uint64{}},
	}
	n.table = membership.New(membership.Member{
		Name: cfg.Name, Addr: cfg.Addr, Meta: maps.Clone(cfg.Meta),
	}, now)
	n.det = failure.New(failure.Config{
		Self:                    cfg.Name,
		ProbeInterval:           cfg.ProbeInterval,
		ProbeTimeout:            cfg.ProbeTimeout,
		IndirectChecks:          cfg.IndirectChecks,
		SuspicionMult:           cfg.SuspicionMult,
		SuspicionMaxTimeoutMult: cfg.SuspicionMaxTimeoutMult,
		AwarenessMax:            cfg.AwarenessMaxMultiplier,
	}, n.rng)
	if cfg.HeartbeatInterval > 0 {
		hb, err := newHeartbeats(cfg, n.rng)
		if err != nil {
			return nil, err
		}
		n.hb = hb
	}
	// Spread periodic work so that nodes started together do not beat in step.
	n.nextGossip = now.Add(n.jitter(cfg.GossipInterval))
	n.nextAE = now.Add(n.jitter(cfg.AntiEntropyInterval))
	n.nextReconnect = now.Add(n.jitter(cfg.ReconnectInterval))
	n.nextReap = now.Add(n.reapInterval())
	n.startRejoin()
	return n, nil
}

// jitter returns d scaled by a random factor in [0.75, 1.25).
func (n *Node) jitter(d time.Duration) time.Duration {
	return time.Duration(float64(d) * (0.75 + 0.5*n.rng.Float64()))
}

func (n *Node) reapInterval() time.Duration {
	return max(n.cfg.DeadReclaimTime/8, time.Second)
}

// Preload starts this node as a member of a cluster formed long ago: every
// member given (other than this node) enters the table alive, as from a
// state transfer, with no event and no gossip. It is for simulators and
// tests that study a formed cluster without paying for its formation (at
// 10,000 nodes the boot's gossip alone is some 10^9 message deliveries).
// Call it right after New, before any Step or Tick.
func (n *Node) Preload(now time.Time, ms []membership.Member) {
	n.now = now
	n.table.Grow(len(ms))
	for _, m := range ms {
		if m.Name == n.cfg.Name {
			continue
		}
		n.merge(membership.Update{Name: m.Name, Addr: m.Addr, Inc: m.Incarnation, State: membership.StateAlive,
			Meta: m.Meta, MetaVer: m.MetaVersion, From: "preload"}, false, false)
	}
	n.table.TakeEvents()
}

// Leave announces a graceful leave; keep driving the node for a while
// (LeavePropagateDelay) so the message spreads.
func (n *Node) Leave(now time.Time) {
	n.now = now
	if n.leaving {
		return
	}
	n.leaving = true
	n.cancelJoins()
	n.rj.next = time.Time{}
	n.disc.nextPoll = time.Time{}
	self := n.table.SetSelfLeft(now)
	n.broadcast(self.Name, wire.Left{Name: self.Name, Inc: self.Incarnation})
	n.nextGossip = now // spread it at once
}

// Leaving reports whether Leave was called.
func (n *Node) Leaving() bool { return n.leaving }

// SetMeta replaces this node's metadata and gossips it.
func (n *Node) SetMeta(now time.Time, meta map[string]string) error {
	if size := wire.MetaSize(meta); size > n.cfg.MaxMetaSize {
		return fmt.Errorf("metadata encodes to %d bytes, at most %d (MaxMetaSize)", size, n.cfg.MaxMetaSize)
	}
	n.now = now
	self := n.table.SetSelfMeta(meta)
	n.broadcast(self.Name, aliveOf(self))
	return nil
}

// SetKeys replaces the keyring.
func (n *Node) SetKeys(keys [][]byte) error {
	if err := n.codec.SetKeys(keys); err != nil {
		return err
	}
	if n.hb != nil {
		return n.hb.setKeys(keys)
	}
	return nil
}

// Members returns a copy of the member table, this node included.
func (n *Node) Members() []membership.Member { return n.table.Members() }

// Local returns this node's own entry.
func (n *Node) Local() membership.Member { return n.table.Self().Clone() }

// View returns how many members this node counts as live (alive or suspect,
// itself included) and an order-independent hash of their names, cheap enough
// for a simulator to compare thousands of views.
func (n *Node) View() (live int, namesHash uint64) { return n.table.Live(), n.table.LiveHash() }

// Stats returns the counters.
func (n *Node) Stats() Stats {
	s := n.stats
	s.ProbesSent, s.ProbesFailed, s.IndirectProbes = n.det.ProbesSent, n.det.ProbesFailed, n.det.IndirectSent
	s.Dropped = maps.Clone(n.stats.Dropped)
	s.HeartbeatDropped = maps.Clone(n.stats.HeartbeatDropped)
	if n.hb != nil {
		hs := n.hb.proto.Stats()
		s.HeartbeatsSent, s.HeartbeatsIn = hs.Sent, hs.Received
	}
	return s
}

// NameHash is the hash View sums over names (XOR), exported so a simulator
// can compute the expected value for a set of live names.
func NameHash(name string) uint64 { return membership.NameHash(name) }

func aliveOf(m membership.Member) wire.Alive {
	return wire.Alive{Name: m.Name, Addr: m.Addr, Inc: m.Incarnation, MetaVer: m.MetaVersion, Meta: m.Meta}
}
