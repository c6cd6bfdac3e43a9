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
	"unicode"
	"unicode/utf8"

	"github.com/meshd/meshd/internal/clock"
	"github.com/meshd/meshd/internal/transport"
	"github.com/meshd/meshd/internal/wire"
	"github.com/meshd/meshd/mesh/tuning"
	"github.com/meshd/meshd/multicast"
)

// Config configures a Mesh. Start from DefaultLANConfig, DefaultWANConfig or
// DefaultLocalConfig and change what you need; Validate reports the first bad
// field by name.
//
// New fills in the fields whose zero value the docs below call a default:
// Name, BindAddr, Cluster, Logger; Params, when every field of it is zero,
// with the LAN preset's (a Config built without a preset); and a zero
// MaxPacketSize, MaxMetaSize, PollInterval or EventBuffer with its default.
// Any other zero that is not allowed (ProbeInterval 0 next to a set
// ProbeTimeout, say) is an error of Validate.
type Config struct {
	// Name is this member's unique name in the cluster: 1 to 128 bytes, no
	// spaces or control characters. Default: the hostname plus a random
	// suffix.
	Name string
	// BindAddr is the host:port the UDP socket binds. Port 0 picks a free port.
	// Default: "0.0.0.0:7946".
	BindAddr string
	// AdvertiseAddr is the host:port other members use to reach this one.
	// Default: "" (the bound address; an unspecified bind host is replaced by
	// the first non-loopback address of the machine).
	AdvertiseAddr string
	// Cluster is the cluster's name, 1 to 128 bytes. Packets of other
	// clusters are dropped and counted. Default: "meshd".
	Cluster string
	// Keys is an optional AES-256-GCM keyring of 32-byte keys. The first key
	// encrypts; every key decrypts. Default: none (packets are not encrypted).
	Keys [][]byte
	// Meta is this member's metadata, gossiped to every member. Its
	// encoding must fit in MaxMetaSize bytes (512 by default, configurable
	// up to what one packet carries), keys at most 512 bytes, at most 64
	// pairs. Default: none.
	Meta map[string]string
	// Strategies feed seed addresses (host:port) that the mesh joins.
	// Default: none.
	Strategies []Strategy
	// StrategyWait, when positive, makes New wait up to this long for every
	// strategy's first answer (and the joins it causes) before returning.
	// Default 0: discovery never blocks start-up.
	StrategyWait time.Duration
	// Rejoin are the addresses (host:port) of the members of an earlier run,
	// from a snapshot: the mesh joins them from the start, again with
	// backoff (1s doubling to 30s, 25 attempts) while none answers, until
	// one answers or another member is alive. The outcome is logged.
	// Default: none.
	Rejoin []string
	// Multicast, when set, enables LAN discovery by multicast heartbeats on the
	// interfaces it names. Default: nil (no multicast).
	Multicast *MulticastConfig

	// Params are the protocol's timing and sizing knobs (ProbeInterval,
	// GossipInterval, SuspicionMult, MaxPacketSize, MaxMetaSize, ...), set
	// as fields of the Config: cfg.ProbeInterval = time.Second. Package
	// tuning documents each with its unit and its default in every preset.
	tuning.Params

	// PollInterval is how often strategies that poll are asked again, and how
	// often their last answer is re-joined when not alive. Default LAN and
	// WAN 5s, local 2s.
	PollInterval time.Duration
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
		BindAddr:            DefaultBindAddr,
		Cluster:             DefaultCluster,
		Params:              tuning.LAN(),
		PollInterval:        5 * time.Second,
		LeavePropagateDelay: time.Second,
		EventBuffer:         256,
	}
}

// DefaultWANConfig is tuned for members across data centres.
func DefaultWANConfig() Config {
	c := DefaultLANConfig()
	c.Params = tuning.WAN()
	c.LeavePropagateDelay = 2 * time.Second
	return c
}

// DefaultLocalConfig is tuned for members on one host (tests, demos): short
// timeouts and quick anti-entropy.
func DefaultLocalConfig() Config {
	c := DefaultLANConfig()
	c.BindAddr = "127.0.0.1:7946"
	c.Params = tuning.Local()
	c.PollInterval = 2 * time.Second
	c.LeavePropagateDelay = 500 * time.Millisecond
	return c
}

// Defaults of the fields whose zero value means "default".
const (
	DefaultBindAddr = "0.0.0.0:7946"
	DefaultCluster  = "meshd"
)

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

// Validate checks every field, as New would use it (with the defaults filled
// in), and returns the first bad one as a *FieldError.
func (c *Config) Validate() error {
	d := c.withDefaults()
	return d.validate()
}

func (c *Config) validate() error {
	if err := validName(c.Name); err != nil {
		return &FieldError{Field: "Name", Err: err}
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
	if c.Cluster == "" || len(c.Cluster) > wire.MaxNameLen {
		return fieldErr("Cluster", "must be 1 to %d bytes", wire.MaxNameLen)
	}
	if err := checkKeys(c.Keys); err != nil {
		return err
	}
	if err := c.Params.Validate(); err != nil {
		var fe *tuning.FieldError
		if errors.As(err, &fe) {
			return &FieldError{Field: fe.Field, Err: fe.Err}
		}
		return err
	}
	if err := checkMeta(c.Meta, c.Params); err != nil {
		return err
	}
	if c.PollInterval <= 0 {
		return fieldErr("PollInterval", "%v, must be positive", c.PollInterval)
	}
	if c.LeavePropagateDelay < 0 {
		return fieldErr("LeavePropagateDelay", "%v, must not be negative", c.LeavePropagateDelay)
	}
	if c.EventBuffer < 1 || c.EventBuffer > 1<<20 {
		return fieldErr("EventBuffer", "%d, must be in [1, %d]", c.EventBuffer, 1<<20)
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

// withDefaults fills the fields whose zero value means "default" (see
// Config).
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
	if c.BindAddr == "" {
		c.BindAddr = DefaultBindAddr
	}
	if c.Cluster == "" {
		c.Cluster = DefaultCluster
	}
	if c.Params == (tuning.Params{}) {
		c.Params = tuning.LAN()
	}
	if c.MaxPacketSize == 0 {
		c.MaxPacketSize = tuning.DefaultMaxPacketSize
	}
	if c.MaxMetaSize == 0 {
		c.MaxMetaSize = tuning.DefaultMaxMetaSize
	}
	if c.PollInterval == 0 {
		c.PollInterval = DefaultLANConfig().PollInterval
	}
	if c.EventBuffer == 0 {
		c.EventBuffer = DefaultLANConfig().EventBuffer
	}
	if mc := c.Multicast; mc != nil {
		cp := *mc
		if cp.Group == "" {
			cp.Group = multicast.DefaultGroup
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

// validName is the rule for member names, the same as meshd's --name: 1 to
// 128 bytes of UTF-8, no spaces or control characters (names appear in
// logs, metrics labels and the CLI's columns).
func validName(name string) error {
	if name == "" || len(name) > wire.MaxNameLen {
		return fmt.Errorf("%d bytes, want 1 to %d", len(name), wire.MaxNameLen)
	}
	if !utf8.ValidString(name) {
		return fmt.Errorf("%q is not valid UTF-8", name)
	}
	if i := strings.IndexFunc(name, func(r rune) bool { return unicode.IsSpace(r) || unicode.IsControl(r) }); i >= 0 {
		return fmt.Errorf("%q has a space or control character at byte %d; names may not", name, i)
	}
	return nil
}

// checkKeys checks a keyring's key sizes, naming the bad key as Keys[i].
func checkKeys(keys [][]byte) error {
	var ke *wire.KeyError
	if err := wire.CheckKeys(keys); errors.As(err, &ke) {
		return fieldErr(fmt.Sprintf("Keys[%d]", ke.Index), "%d bytes, want %d (AES-256)", ke.Size, wire.KeySize)
	}
	return nil
}

// checkMeta checks metadata against the limits every receiver applies and
// against MaxMetaSize.
func checkMeta(meta map[string]string, p tuning.Params) error {
	if len(meta) > wire.MaxMetaPairs {
		return fieldErr("Meta", "%d pairs, at most %d", len(meta), wire.MaxMetaPairs)
	}
	for k := range meta {
		if len(k) > wire.MaxStringLen {
			return fieldErr("Meta", "key %.16q... is %d bytes, at most %d", k, len(k), wire.MaxStringLen)
		}
	}
	if size := wire.MetaSize(meta); size > p.MaxMetaSize {
		return fieldErr("Meta", "encodes to %d bytes, more than MaxMetaSize (%d bytes; it may be raised to %d with MaxPacketSize %d)",
			size, p.MaxMetaSize, tuning.MaxMetaSizeFor(p.MaxPacketSize), p.MaxPacketSize)
	}
	return nil
}
