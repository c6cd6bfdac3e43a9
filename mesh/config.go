package mesh

import (
	"errors"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"net/netip"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/meshd/meshd/internal/clock"
	"github.com/meshd/meshd/internal/transport"
)

// Config configures a Mesh. Start from DefaultLANConfig, DefaultWANConfig or
// DefaultLocalConfig and change what you need; Validate reports the first bad
// field by name.
type Config struct {
	// Name is this member's unique name in the cluster.
	// Default: the hostname plus a random suffix.
	Name string
	// BindAddr is the host:port the UDP socket binds. Port 0 picks a free port.
	// Default: "0.0.0.0:7946".
	BindAddr string
	// AdvertiseAddr is the host:port other members use to reach this one.
	// Default: "" (the bound address; an unspecified bind host is replaced by
	// the first non-loopback address of the machine).
	AdvertiseAddr string
	// Cluster is the cluster's name. Packets of other clusters are dropped and
	// counted. Default: "meshd".
	Cluster string
	// Keys is an optional AES-256-GCM keyring of 32-byte keys. The first key
	// encrypts; every key decrypts. Default: none (packets are not encrypted).
	Keys [][]byte
	// Meta is this member's metadata, gossiped to every member.
	// Its msgpack encoding must fit in MaxMetaSize. Default: none.
	Meta map[string]string
	// Strategies feed seed addresses (host:port) that the mesh joins.
	// Default: none.
	Strategies []Strategy
	// StrategyWait, when positive, makes New wait up to this long for every
	// strategy's first answer (and the joins it causes) before returning.
	// Default 0: discovery never blocks start-up.
	StrategyWait time.Duration
	// Multicast, when set, enables LAN discovery by multicast heartbeats on the
	// interfaces it names. Default: nil (no multicast).
	Multicast *MulticastConfig

	// ProbeInterval is the time between two failure-detection probes, before
	// Lifeguard's local health multiplier. Default LAN 1s, WAN 5s, local 1s.
	ProbeInterval time.Duration
	// ProbeTimeout is how long a direct probe waits for an ack before asking
	// IndirectChecks helpers. Default LAN 500ms, WAN 3s, local 200ms.
	ProbeTimeout time.Duration
	// IndirectChecks is how many helpers are asked to probe a member that did
	// not answer a direct probe. Default LAN 3, WAN 3, local 1.
	IndirectChecks int
	// GossipInterval is the time between two gossip rounds that push pending
	// updates. Default LAN 200ms, WAN 500ms, local 100ms.
	GossipInterval time.Duration
	// GossipNodes is how many random members each gossip round sends to.
	// Default LAN 3, WAN 4, local 3.
	GossipNodes int
	// GossipToTheDeadTime is how long dead members still receive gossip, so
	// that they learn they were declared dead and refute. Default LAN 30s,
	// WAN 60s, local 15s.
	GossipToTheDeadTime time.Duration
	// RetransmitMult sets how many times an update is retransmitted:
	// RetransmitMult * ceil(log10(N+1)). Default LAN 4, WAN 4, local 2.
	RetransmitMult int
	// SuspicionMult sets the minimum suspicion timeout:
	// SuspicionMult * max(1, log10(N)) * ProbeInterval. Default LAN 4, WAN 6, local 3.
	SuspicionMult int
	// SuspicionMaxTimeoutMult is the maximum suspicion timeout as a multiple of
	// the minimum; the timeout starts there and shrinks with independent
	// confirmations (Lifeguard). Default 6.
	SuspicionMaxTimeoutMult int
	// AwarenessMaxMultiplier caps Lifeguard's local health multiplier, which
	// stretches this node's probe interval and timeout while its own probes go
	// unanswered. 1 disables local health. Default 8.
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
	// PollInterval is how often strategies that poll are asked again, and how
	// often their last answer is re-joined when not alive. Default 5s.
	PollInterval time.Duration
	// MaxPacketSize is the largest UDP payload sent, in bytes. Default 1400.
	MaxPacketSize int
	// LeavePropagateDelay is how long Leave keeps gossiping its leave message
	// before it returns. Default LAN 1s, WAN 2s, local 500ms.
	LeavePropagateDelay time.Duration
	// EventBuffer is the per-subscriber channel capacity. A subscriber that
	// falls behind gets, per member, the latest event instead of every one.
	// Default 256.
	EventBuffer int

	// Logger receives the engine's logs. Default: slog.Default().
	Logger *slog.Logger
	// Transport, when set, replaces the UDP socket (tests, benchmarks, fault
	// injection). BindAddr is then only used for validation of its form.
	Transport transport.PacketConn
	// Seed seeds the engine's random source (probe order, gossip targets,
	// jitter). 0 picks a random seed.
	Seed int64

	// clock replaces the system clock; only this package's tests set it
	// (export_test.go), so that no public type names the internal clock.
	clock clock.Clock
}

// MulticastConfig enables LAN discovery by multicast heartbeats.
type MulticastConfig struct {
	// Group is the multicast group and port. Default 230.1.1.251:45892.
	Group string
	// Interfaces are the interface names or addresses to send and listen on.
	// Required: the mesh never multicasts on an interface it was not given.
	Interfaces []string
	// TTL is the multicast TTL (hop limit); 0 keeps packets on the host.
	// DefaultMulticastConfig sets 1 (the local segment).
	TTL int
	// Loopback delivers our own heartbeats to other sockets on this host,
	// which members sharing a host need. DefaultMulticastConfig sets it.
	Loopback bool
	// Interval is the time between two heartbeats, jittered by ±10%. Default 1s.
	Interval time.Duration
	// Broadcast sends heartbeats to the interface's broadcast address instead
	// of a multicast group, for networks without multicast. Default false.
	Broadcast bool
}

// DefaultLANConfig is tuned for members on one local network: memberlist's LAN
// timing, so results compare directly.
func DefaultLANConfig() Config {
	return Config{
		BindAddr:                "0.0.0.0:7946",
		Cluster:                 "meshd",
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
		PollInterval:            5 * time.Second,
		MaxPacketSize:           1400,
		LeavePropagateDelay:     time.Second,
		EventBuffer:             256,
	}
}

// DefaultWANConfig is tuned for members across data centres.
func DefaultWANConfig() Config {
	c := DefaultLANConfig()
	c.ProbeInterval = 5 * time.Second
	c.ProbeTimeout = 3 * time.Second
	c.GossipInterval = 500 * time.Millisecond
	c.GossipNodes = 4
	c.GossipToTheDeadTime = 60 * time.Second
	c.SuspicionMult = 6
	c.AntiEntropyInterval = 15 * time.Second
	c.ReconnectInterval = 30 * time.Second
	c.DeadReclaimTime = 30 * time.Minute
	c.LeavePropagateDelay = 2 * time.Second
	return c
}

// DefaultLocalConfig is tuned for members on one host (tests, demos): short
// timeouts and quick anti-entropy.
func DefaultLocalConfig() Config {
	c := DefaultLANConfig()
	c.BindAddr = "127.0.0.1:7946"
	c.ProbeTimeout = 200 * time.Millisecond
	c.IndirectChecks = 1
	c.GossipInterval = 100 * time.Millisecond
	c.GossipToTheDeadTime = 15 * time.Second
	c.RetransmitMult = 2
	c.SuspicionMult = 3
	c.AntiEntropyInterval = 2 * time.Second
	c.ReconnectInterval = 5 * time.Second
	c.DeadReclaimTime = 2 * time.Minute
	c.PollInterval = 2 * time.Second
	c.LeavePropagateDelay = 500 * time.Millisecond
	return c
}

// MaxMetaSize bounds the encoded size of a member's metadata, in bytes, so an
// alive update always fits a packet.
const MaxMetaSize = 512

// FieldError names the Config field that is wrong and why.
type FieldError struct {
	Field string
	Err   error
}

func (e *FieldError) Error() string { return "mesh: Config." + e.Field + ": " + e.Err.Error() }
func (e *FieldError) Unwrap() error { return e.Err }

func fieldErr(field, format string, args ...any) error {
	return &FieldError{Field: field, Err: fmt.Errorf(format, args...)}
}

// Validate checks every field and returns the first bad one as a *FieldError.
func (c *Config) Validate() error {
	if c.Name == "" {
		return fieldErr("Name", "must not be empty")
	}
	if len(c.Name) > 128 {
		return fieldErr("Name", "%d bytes, at most 128", len(c.Name))
	}
	if _, err := parseHostPort(c.BindAddr); err != nil {
		return fieldErr("BindAddr", "%v", err)
	}
	if c.AdvertiseAddr != "" {
		ap, err := parseHostPort(c.AdvertiseAddr)
		if err != nil {
			return fieldErr("AdvertiseAddr", "%v", err)
		}
		if ap.Addr().IsUnspecified() {
			return fieldErr("AdvertiseAddr", "%q is unspecified; give an address others can reach", c.AdvertiseAddr)
		}
	}
	if c.Cluster == "" || len(c.Cluster) > 128 {
		return fieldErr("Cluster", "must be 1 to 128 bytes")
	}
	for i, k := range c.Keys {
		if len(k) != 32 {
			return fieldErr(fmt.Sprintf("Keys[%d]", i), "%d bytes, want 32 (AES-256)", len(k))
		}
	}
	durs := []struct {
		name string
		v    time.Duration
	}{
		{"ProbeInterval", c.ProbeInterval}, {"ProbeTimeout", c.ProbeTimeout},
		{"GossipInterval", c.GossipInterval}, {"AntiEntropyInterval", c.AntiEntropyInterval},
		{"ReconnectInterval", c.ReconnectInterval}, {"DeadReclaimTime", c.DeadReclaimTime},
		{"PollInterval", c.PollInterval},
	}
	for _, d := range durs {
		if d.v <= 0 {
			return fieldErr(d.name, "%v, must be positive", d.v)
		}
	}
	if c.ProbeTimeout >= c.ProbeInterval {
		return fieldErr("ProbeTimeout", "%v, must be less than ProbeInterval (%v)", c.ProbeTimeout, c.ProbeInterval)
	}
	if c.GossipToTheDeadTime < 0 || c.LeavePropagateDelay < 0 {
		return fieldErr("GossipToTheDeadTime", "must not be negative")
	}
	ints := []struct {
		name      string
		v, lo, hi int
	}{
		{"IndirectChecks", c.IndirectChecks, 0, 16},
		{"GossipNodes", c.GossipNodes, 1, 64},
		{"RetransmitMult", c.RetransmitMult, 1, 64},
		{"SuspicionMult", c.SuspicionMult, 1, 64},
		{"SuspicionMaxTimeoutMult", c.SuspicionMaxTimeoutMult, 1, 64},
		{"AwarenessMaxMultiplier", c.AwarenessMaxMultiplier, 1, 64},
		{"MaxPacketSize", c.MaxPacketSize, 576, 65000},
		{"EventBuffer", c.EventBuffer, 1, 1 << 20},
	}
	for _, f := range ints {
		if f.v < f.lo || f.v > f.hi {
			return fieldErr(f.name, "%d, must be in [%d, %d]", f.v, f.lo, f.hi)
		}
	}
	for i, s := range c.Strategies {
		if s == nil {
			return fieldErr(fmt.Sprintf("Strategies[%d]", i), "is nil")
		}
	}
	if mc := c.Multicast; mc != nil {
		if len(mc.Interfaces) == 0 {
			return fieldErr("Multicast.Interfaces", "must name at least one interface: the mesh never multicasts on an interface it was not given")
		}
		if mc.TTL < 0 || mc.TTL > 255 {
			return fieldErr("Multicast.TTL", "%d, must be in [0, 255]", mc.TTL)
		}
		if mc.Interval < 0 {
			return fieldErr("Multicast.Interval", "must not be negative")
		}
	}
	return nil
}

// withDefaults fills the fields whose zero value means "default".
func (c Config) withDefaults() Config {
	if c.Name == "" {
		host, _ := os.Hostname()
		if host == "" {
			host = "meshd"
		}
		c.Name = host + "-" + strconv.FormatUint(uint64(rand.Uint32()&0xffffff), 36)
	}
	if c.Logger == nil {
		c.Logger = slog.Default()
	}
	if mc := c.Multicast; mc != nil {
		cp := *mc
		if cp.Group == "" {
			cp.Group = "230.1.1.251:45892"
		}
		if cp.Interval == 0 {
			cp.Interval = time.Second
		}
		c.Multicast = &cp
	}
	return c
}

// parseHostPort parses "host:port" where host is an IP literal (IPv4 or
// bracketed IPv6). Names are resolved by strategies, not here.
func parseHostPort(s string) (netip.AddrPort, error) {
	if s == "" {
		return netip.AddrPort{}, errors.New("empty, want host:port")
	}
	ap, err := netip.ParseAddrPort(s)
	if err != nil {
		if !strings.Contains(s, ":") {
			return netip.AddrPort{}, fmt.Errorf("%q has no port, want host:port", s)
		}
		return netip.AddrPort{}, fmt.Errorf("%q is not an IP host:port", s)
	}
	return netip.AddrPortFrom(ap.Addr().Unmap(), ap.Port()), nil
}
