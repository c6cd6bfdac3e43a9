package multicast

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/netip"
	"strconv"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"golang.org/x/net/ipv4"
	"golang.org/x/net/ipv6"
)

// Receive drop reasons, the keys of Stats.Dropped.
const (
	DropTruncated      = "truncated"       // longer than Receive's buffer
	DropOtherInterface = "other-interface" // arrived on an interface not in Config.Interfaces
	DropNotGroup       = "not-group"       // addressed to something other than the group (or broadcast address)
)

// Stats are a Conn's counters since Listen.
type Stats struct {
	Sent       uint64            // datagrams sent, one per interface per Send
	SendErrors uint64            // sends that failed, one per interface
	Received   uint64            // datagrams returned by Receive
	Dropped    map[string]uint64 // datagrams Receive skipped, by reason; a fresh copy
}

// Conn is a socket joined to a multicast group (or listening for broadcasts)
// on the configured interfaces.
type Conn struct {
	cfg    parsed
	ifaces []iface
	byIdx  map[int]iface
	uc     *net.UDPConn
	raw    syscall.RawConn
	p4     *ipv4.PacketConn // IPv4 only
	p6     *ipv6.PacketConn // IPv6 only

	sendMu sync.Mutex // the multicast interface is socket state: one Send at a time
	oob    []byte     // Receive's control-message buffer (one receiving goroutine)

	sent, sendErrs, received      atomic.Uint64
	truncated, otherIface, notGrp atomic.Uint64
}

// Listen opens the socket, joins the group on every configured interface and
// sets TTL and loopback. Errors name the bad field, or the interface and group.
func Listen(cfg Config) (*Conn, error) {
	p, err := cfg.parse()
	if err != nil {
		return nil, err
	}
	ifaces, err := resolve(hostInterfaces{}, p)
	if err != nil {
		return nil, err
	}
	v6 := !p.group.Addr().Is4()
	// Go's net package binds a multicast address as the wildcard anyway;
	// Receive filters by destination and arrival interface instead.
	bind := p.bind
	if !bind.IsValid() || bind.IsMulticast() {
		bind = netip.IPv4Unspecified()
		if v6 {
			bind = netip.IPv6Unspecified()
		}
	}
	if err := checkBind(bind, p, ifaces); err != nil {
		return nil, err
	}
	network := "udp4"
	if v6 {
		network = "udp6"
	}
	laddr := netip.AddrPortFrom(bind, p.group.Port())
	lc := net.ListenConfig{Control: control(v6, p.Broadcast)}
	pc, err := lc.ListenPacket(context.Background(), network, laddr.String())
	if err != nil {
		return nil, fmt.Errorf("multicast: bind %v: %w", laddr, err)
	}
	c := &Conn{cfg: p, ifaces: ifaces, byIdx: map[int]iface{}, uc: pc.(*net.UDPConn)}
	for _, ifc := range ifaces {
		c.byIdx[ifc.ifi.Index] = ifc
	}
	if err := c.setup(); err != nil {
		c.uc.Close()
		return nil, err
	}
	return c, nil
}

func (c *Conn) setup() error {
	raw, err := c.uc.SyscallConn()
	if err != nil {
		return fmt.Errorf("multicast: %w", err)
	}
	c.raw = raw
	group := &net.UDPAddr{IP: c.cfg.group.Addr().AsSlice()}
	if c.cfg.group.Addr().Is4() {
		c.p4 = ipv4.NewPacketConn(c.uc)
		if !c.cfg.Broadcast {
			for _, ifc := range c.ifaces {
				if err := c.p4.JoinGroup(&ifc.ifi, group); err != nil {
					return &JoinError{Group: c.cfg.group.Addr(), Interface: ifc.spec, Err: err}
				}
			}
			if err := c.p4.SetMulticastTTL(c.cfg.TTL); err != nil {
				return fmt.Errorf("multicast: set TTL %d: %w", c.cfg.TTL, err)
			}
			if err := c.p4.SetMulticastLoopback(c.cfg.Loopback); err != nil {
				return fmt.Errorf("multicast: set loopback: %w", err)
			}
		}
		flags := ipv4.FlagInterface | ipv4.FlagDst
		if err := c.p4.SetControlMessage(flags, true); err != nil {
			return fmt.Errorf("multicast: ask for the arrival interface: %w", err)
		}
		c.oob = ipv4.NewControlMessage(flags)
		return nil
	}
	c.p6 = ipv6.NewPacketConn(c.uc)
	for _, ifc := range c.ifaces {
		if err := c.p6.JoinGroup(&ifc.ifi, group); err != nil {
			return &JoinError{Group: c.cfg.group.Addr(), Interface: ifc.spec, Err: err}
		}
	}
	if err := c.p6.SetMulticastHopLimit(c.cfg.TTL); err != nil {
		return fmt.Errorf("multicast: set hop limit %d: %w", c.cfg.TTL, err)
	}
	if err := c.p6.SetMulticastLoopback(c.cfg.Loopback); err != nil {
		return fmt.Errorf("multicast: set loopback: %w", err)
	}
	flags := ipv6.FlagInterface | ipv6.FlagDst
	if err := c.p6.SetControlMessage(flags, true); err != nil {
		return fmt.Errorf("multicast: ask for the arrival interface: %w", err)
	}
	c.oob = ipv6.NewControlMessage(flags)
	return nil
}

// Send sends b to the group (or broadcast address) once on every configured
// interface. It tries every interface; the error names each that failed.
func (c *Conn) Send(b []byte) error {
	if len(b) > MaxDatagram {
		return fmt.Errorf("multicast: send: %d bytes, at most %d", len(b), MaxDatagram)
	}
	c.sendMu.Lock()
	defer c.sendMu.Unlock()
	var errs []error
	for _, ifc := range c.ifaces {
		if err := c.sendOn(ifc, b); err != nil {
			c.sendErrs.Add(1)
			errs = append(errs, fmt.Errorf("multicast: send to %v on interface %q: %w", c.cfg.group, ifc.spec, err))
			continue
		}
		c.sent.Add(1)
	}
	return errors.Join(errs...)
}

func (c *Conn) sendOn(ifc iface, b []byte) error {
	port := c.cfg.group.Port()
	switch {
	case c.cfg.Broadcast:
		_, err := c.uc.WriteToUDPAddrPort(b, netip.AddrPortFrom(ifc.bcast, port))
		return err
	case c.p4 != nil:
		if err := setMulticastIF4(c.raw, ifc); err != nil {
			return err
		}
		_, err := c.uc.WriteToUDPAddrPort(b, c.cfg.group)
		return err
	default:
		if err := c.p6.SetMulticastInterface(&ifc.ifi); err != nil {
			return err
		}
		// The zone pins the interface for link-local groups too.
		dst := netip.AddrPortFrom(c.cfg.group.Addr().WithZone(strconv.Itoa(ifc.ifi.Index)), port)
		_, err := c.uc.WriteToUDPAddrPort(b, dst)
		return err
	}
}

// Receive reads the next datagram for the group into buf and returns its
// length and source. Datagrams longer than buf, arriving on an interface not
// configured, or not addressed to the group are skipped and counted in
// Stats. Call it from one goroutine at a time.
func (c *Conn) Receive(buf []byte) (int, netip.AddrPort, error) {
	for {
		n, oobn, flags, from, err := c.uc.ReadMsgUDPAddrPort(buf, c.oob)
		if err != nil {
			return 0, netip.AddrPort{}, err
		}
		if flags&msgTrunc != 0 {
			c.truncated.Add(1)
			continue
		}
		if reason := c.filter(c.oob[:oobn]); reason != "" {
			if reason == DropOtherInterface {
				c.otherIface.Add(1)
			} else {
				c.notGrp.Add(1)
			}
			continue
		}
		c.received.Add(1)
		return n, netip.AddrPortFrom(from.Addr().Unmap(), from.Port()), nil
	}
}

// filter checks the arrival interface and destination of a datagram. A
// missing control message (a platform that does not report it) passes.
func (c *Conn) filter(oob []byte) string {
	var idx int
	var dst netip.Addr
	if c.p4 != nil {
		var cm ipv4.ControlMessage
		if len(oob) == 0 || cm.Parse(oob) != nil {
			return ""
		}
		idx = cm.IfIndex
		dst, _ = netip.AddrFromSlice(cm.Dst)
	} else {
		var cm ipv6.ControlMessage
		if len(oob) == 0 || cm.Parse(oob) != nil {
			return ""
		}
		idx = cm.IfIndex
		dst, _ = netip.AddrFromSlice(cm.Dst)
	}
	ifc, ok := c.byIdx[idx]
	if idx != 0 && !ok {
		return DropOtherInterface
	}
	dst = dst.Unmap()
	switch {
	case !dst.IsValid():
		return ""
	case c.cfg.Broadcast:
		if dst == netip.AddrFrom4([4]byte{255, 255, 255, 255}) || (ok && dst == ifc.bcast) {
			return ""
		}
		return DropNotGroup
	case dst != c.cfg.group.Addr():
		return DropNotGroup
	}
	return ""
}

// SetReadDeadline makes a blocked or later Receive return an error after t.
func (c *Conn) SetReadDeadline(t time.Time) error { return c.uc.SetReadDeadline(t) }

// LocalAddr is the bound address.
func (c *Conn) LocalAddr() netip.AddrPort { return c.uc.LocalAddr().(*net.UDPAddr).AddrPort() }

// Group is the group (or, in Broadcast mode, the address whose port is used).
func (c *Conn) Group() netip.AddrPort { return c.cfg.group }

// Interfaces are the names of the interfaces in use, duplicates removed.
func (c *Conn) Interfaces() []string {
	out := make([]string, len(c.ifaces))
	for i, ifc := range c.ifaces {
		out[i] = ifc.ifi.Name
	}
	return out
}

// Stats returns the counters.
func (c *Conn) Stats() Stats {
	s := Stats{
		Sent:       c.sent.Load(),
		SendErrors: c.sendErrs.Load(),
		Received:   c.received.Load(),
		Dropped:    map[string]uint64{},
	}
	for reason, v := range map[string]*atomic.Uint64{DropTruncated: &c.truncated, DropOtherInterface: &c.otherIface, DropNotGroup: &c.notGrp} {
		if n := v.Load(); n > 0 {
			s.Dropped[reason] = n
		}
	}
	return s
}

// Close closes the socket, which leaves the group; a blocked Receive returns
// net.ErrClosed.
func (c *Conn) Close() error { return c.uc.Close() }
