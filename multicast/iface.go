package multicast

import (
	"errors"
	"fmt"
	"net"
	"net/netip"
)

// iface is a resolved entry of Config.Interfaces.
type iface struct {
	spec  string // as the caller wrote it, for errors
	ifi   net.Interface
	addr4 netip.Addr // an IPv4 address of it (the one named, if named by address); may be zero
	bcast netip.Addr // directed broadcast of addr4's subnet, Broadcast mode only
}

// JoinError says which interface could not be used for which group.
type JoinError struct {
	Group     netip.Addr
	Interface string // as given in Config.Interfaces
	Err       error
}

func (e *JoinError) Error() string {
	return fmt.Sprintf("multicast: join %v on interface %q: %v", e.Group, e.Interface, e.Err)
}

func (e *JoinError) Unwrap() error { return e.Err }

// Errors wrapped by JoinError.
var (
	ErrNoInterface  = errors.New("no such interface")
	ErrDown         = errors.New("interface is down")
	ErrNoMulticast  = errors.New("interface does not support multicast (set Broadcast for networks without multicast)")
	ErrNoIPv4       = errors.New("interface has no IPv4 address to broadcast from")
	ErrLoopbackIPv6 = errors.New("Linux does not deliver IPv6 multicast over a loopback interface; use an IPv4 group or a real or veth interface")
)

// interfaceSource is what resolve needs of the host; tests fake it.
type interfaceSource interface {
	Interfaces() ([]net.Interface, error)
	Addrs(ifi *net.Interface) ([]net.Addr, error)
}

type hostInterfaces struct{}

func (hostInterfaces) Interfaces() ([]net.Interface, error)         { return net.Interfaces() }
func (hostInterfaces) Addrs(ifi *net.Interface) ([]net.Addr, error) { return ifi.Addrs() }

// resolve finds each named interface, checks it can carry what p asks for,
// and drops duplicates (an interface named twice, by name and address).
func resolve(src interfaceSource, p parsed) ([]iface, error) {
	all, err := src.Interfaces()
	if err != nil {
		return nil, fmt.Errorf("multicast: listing interfaces: %w", err)
	}
	var out []iface
	seen := map[int]bool{}
	for _, spec := range p.Interfaces {
		fail := func(err error) error { return &JoinError{Group: p.group.Addr(), Interface: spec, Err: err} }
		ifc, err := find(src, all, spec)
		if err != nil {
			return nil, fail(err)
		}
		f := ifc.ifi.Flags
		switch {
		case f&net.FlagUp == 0:
			return nil, fail(ErrDown)
		case !p.Broadcast && f&net.FlagMulticast == 0 && f&net.FlagLoopback != 0 && !p.group.Addr().Is4():
			// Linux's lo lacks the MULTICAST flag: IPv4 multicast over it
			// works all the same, IPv6 multicast does not.
			return nil, fail(ErrLoopbackIPv6)
		case !p.Broadcast && f&net.FlagMulticast == 0 && f&net.FlagLoopback == 0:
			return nil, fail(ErrNoMulticast)
		case p.Broadcast && !ifc.bcast.IsValid():
			return nil, fail(ErrNoIPv4)
		}
		if seen[ifc.ifi.Index] {
			continue
		}
		seen[ifc.ifi.Index] = true
		out = append(out, ifc)
	}
	return out, nil
}

// find looks spec up as an interface address if it parses as one, else as
// an interface name.
func find(src interfaceSource, all []net.Interface, spec string) (iface, error) {
	want, err := netip.ParseAddr(spec)
	isAddr := err == nil
	want = want.Unmap().WithZone("")
	for i := range all {
		ifi := all[i]
		if !isAddr && ifi.Name != spec {
			continue
		}
		addrs, err := src.Addrs(&ifi)
		if err != nil {
			if !isAddr {
				return iface{}, fmt.Errorf("reading its addresses: %w", err)
			}
			continue
		}
		ifc := iface{spec: spec, ifi: ifi}
		match := !isAddr
		for _, a := range addrs {
			pfx, ok := prefixOf(a)
			if !ok {
				continue
			}
			ip := pfx.Addr()
			// The first IPv4 address is the source, unless the interface was
			// named by another of its IPv4 addresses.
			if ip.Is4() && (!ifc.addr4.IsValid() || (isAddr && ip == want)) {
				ifc.addr4, ifc.bcast = ip, broadcastOf(pfx)
			}
			if isAddr && ip == want {
				match = true
			}
		}
		if match {
			return ifc, nil
		}
	}
	if isAddr {
		return iface{}, fmt.Errorf("no interface has address %v", want)
	}
	return iface{}, ErrNoInterface
}

func prefixOf(a net.Addr) (netip.Prefix, bool) {
	ipn, ok := a.(*net.IPNet)
	if !ok {
		return netip.Prefix{}, false
	}
	ip, ok := netip.AddrFromSlice(ipn.IP)
	if !ok {
		return netip.Prefix{}, false
	}
	ones, _ := ipn.Mask.Size()
	ip = ip.Unmap()
	if ip.Is4() && ones > 32 {
		ones -= 96
	}
	return netip.PrefixFrom(ip, ones), true
}

// broadcastOf is the directed broadcast address of an IPv4 prefix; a /31 or
// /32 has none.
func broadcastOf(p netip.Prefix) netip.Addr {
	if !p.Addr().Is4() || p.Bits() > 30 || p.Bits() < 0 {
		return netip.Addr{}
	}
	a := p.Addr().As4()
	host := uint32(1)<<(32-p.Bits()) - 1
	v := (uint32(a[0])<<24 | uint32(a[1])<<16 | uint32(a[2])<<8 | uint32(a[3])) | host
	return netip.AddrFrom4([4]byte{byte(v >> 24), byte(v >> 16), byte(v >> 8), byte(v)})
}

// checkBind refuses a bind address that would never receive the group's
// datagrams.
func checkBind(bind netip.Addr, p parsed, ifaces []iface) error {
	if bind.IsUnspecified() {
		return nil
	}
	if p.Broadcast {
		if bind == netip.AddrFrom4([4]byte{255, 255, 255, 255}) {
			return nil
		}
		for _, ifc := range ifaces {
			if bind == ifc.bcast {
				return nil
			}
		}
		return fmt.Errorf("multicast: Config.Bind: %v is neither unspecified nor a broadcast address of the configured interfaces: no broadcast would arrive", bind)
	}
	return fmt.Errorf("multicast: Config.Bind: %v is a unicast address: no group datagram would arrive; leave it empty", bind)
}
