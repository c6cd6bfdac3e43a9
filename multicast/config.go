package multicast

import (
	"fmt"
	"net/netip"
)

// Defaults.
const (
	// DefaultGroup is the IPv4 group and port: libcluster's historical
	// default, so that a LAN's firewall rules written for it apply.
	DefaultGroup = "230.1.1.251:45892"
	// DefaultGroup6 is an IPv6 transient link-local group on the same port.
	DefaultGroup6 = "[ff12::230:1:1:251]:45892"
	// DefaultTTL reaches the local segment and stops at the first router.
	DefaultTTL = 1
	// MaxDatagram is the largest payload Send accepts.
	MaxDatagram = 65507
)

// Config configures Listen.
type Config struct {
	// Group is the multicast group and port, "230.1.1.251:45892" or
	// "[ff12::230:1:1:251]:45892". Default DefaultGroup. In Broadcast mode
	// only its port is used.
	Group string
	// Interfaces names the interfaces to join and send on, by name ("eth1")
	// or by one of their addresses ("10.20.0.5"). Required: there is no
	// default to all interfaces.
	Interfaces []string
	// TTL is the multicast TTL (IPv6: hop limit). 0 keeps datagrams on this
	// host; DefaultTTL (1) reaches the local segment. The zero value is the
	// one that cannot leak.
	TTL int
	// Loopback delivers our datagrams to other sockets of this host too
	// (IP_MULTICAST_LOOP); nodes sharing a host need it.
	Loopback bool
	// Bind is the IP address the socket binds, with the group's port.
	// Default: the unspecified address ("0.0.0.0" or "::"); the group
	// address means the same (Go binds it as the unspecified one). Linux
	// hands group and broadcast datagrams only to sockets bound to the
	// unspecified address or to the datagram's destination, so a unicast
	// Bind is refused; in Broadcast mode "255.255.255.255" or the broadcast
	// address of a configured interface is allowed too. Whatever the bind,
	// Receive drops datagrams not addressed to the group (or broadcast
	// address) and those arriving on other interfaces.
	Bind string
	// Broadcast sends to each interface's IPv4 directed broadcast address
	// instead of a multicast group, for networks without multicast.
	Broadcast bool
}

// DefaultConfig is the configuration for a LAN on the given interfaces:
// DefaultGroup, DefaultTTL, loopback on.
func DefaultConfig(interfaces ...string) Config {
	return Config{Group: DefaultGroup, Interfaces: interfaces, TTL: DefaultTTL, Loopback: true}
}

// parsed is a checked Config.
type parsed struct {
	Config
	group netip.AddrPort
	bind  netip.Addr // zero: the default
}

func (c Config) parse() (parsed, error) {
	p := parsed{Config: c}
	if p.Group == "" {
		p.Group = DefaultGroup
	}
	g, err := netip.ParseAddrPort(p.Group)
	if err != nil {
		return p, fmt.Errorf("multicast: Config.Group: %q is not an IP:port: %v", p.Group, err)
	}
	p.group = netip.AddrPortFrom(g.Addr().Unmap().WithZone(""), g.Port())
	switch {
	case g.Port() == 0:
		return p, fmt.Errorf("multicast: Config.Group: %q has port 0", p.Group)
	case p.Broadcast && !p.group.Addr().Is4():
		return p, fmt.Errorf("multicast: Config.Broadcast: broadcast needs an IPv4 Group, got %q", p.Group)
	case !p.Broadcast && !p.group.Addr().IsMulticast():
		return p, fmt.Errorf("multicast: Config.Group: %v is not a multicast address", p.group.Addr())
	case len(p.Interfaces) == 0:
		return p, fmt.Errorf("multicast: Config.Interfaces: name at least one interface; nothing is sent on an interface that was not named")
	case p.TTL < 0 || p.TTL > 255:
		return p, fmt.Errorf("multicast: Config.TTL: %d, must be in [0, 255]", p.TTL)
	}
	if p.Bind != "" {
		b, err := netip.ParseAddr(p.Bind)
		if err != nil {
			return p, fmt.Errorf("multicast: Config.Bind: %q is not an IP address", p.Bind)
		}
		if b.Unmap().Is4() != p.group.Addr().Is4() {
			return p, fmt.Errorf("multicast: Config.Bind: %v is not of the group's address family (%v)", b, p.group.Addr())
		}
		p.bind = b.Unmap()
	}
	return p, nil
}
