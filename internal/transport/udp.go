package transport

import (
	"errors"
	"fmt"
	"net"
	"net/netip"

	"golang.org/x/net/ipv4"
	"golang.org/x/net/ipv6"
)

// batcher is what x/net's ipv4 and ipv6 PacketConns have in common:
// recvmmsg/sendmmsg on Linux, one datagram per call elsewhere.
type batcher interface {
	ReadBatch(ms []ipv4.Message, flags int) (int, error)
	WriteBatch(ms []ipv4.Message, flags int) (int, error)
}

// UDP is a PacketConn on a real UDP socket, IPv4 or IPv6, reading and
// writing in batches.
type UDP struct {
	conn  *net.UDPConn
	b     batcher
	local netip.AddrPort
	rmsgs []ipv4.Message
	wmsgs []ipv4.Message
	waddr []net.UDPAddr
}

// SocketBuffer is the kernel receive and send buffer size asked for, so a
// burst (a join storm, a state transfer) is not dropped by the kernel.
const SocketBuffer = 4 << 20

// ListenUDP binds host:port (an IP literal; port 0 picks one).
func ListenUDP(bind string) (*UDP, error) {
	ap, err := netip.ParseAddrPort(bind)
	if err != nil {
		return nil, fmt.Errorf("transport: bind address %q: want IP:port", bind)
	}
	network := "udp4"
	if ap.Addr().Is6() && !ap.Addr().Is4In6() {
		network = "udp6"
	}
	conn, err := net.ListenUDP(network, net.UDPAddrFromAddrPort(ap))
	if err != nil {
		return nil, fmt.Errorf("transport: listen on %s: %w", bind, err)
	}
	_ = conn.SetReadBuffer(SocketBuffer)
	_ = conn.SetWriteBuffer(SocketBuffer)
	u := &UDP{conn: conn, local: conn.LocalAddr().(*net.UDPAddr).AddrPort()}
	if network == "udp4" {
		u.b = ipv4.NewPacketConn(conn)
	} else {
		u.b = ipv6.NewPacketConn(conn)
	}
	return u, nil
}

// LocalAddr is the bound address.
func (u *UDP) LocalAddr() netip.AddrPort { return u.local }

// ReadPackets reads up to len(ps) datagrams with one system call.
func (u *UDP) ReadPackets(ps []Packet) (int, error) {
	if cap(u.rmsgs) < len(ps) {
		u.rmsgs = make([]ipv4.Message, len(ps))
		for i := range u.rmsgs {
			u.rmsgs[i].Buffers = make([][]byte, 1)
		}
	}
	ms := u.rmsgs[:len(ps)]
	for i := range ms {
		ms[i].Buffers[0] = ps[i].Data[:cap(ps[i].Data)]
	}
	n, err := u.b.ReadBatch(ms, 0)
	if err != nil {
		if errors.Is(err, net.ErrClosed) {
			return 0, ErrClosed
		}
		return 0, err
	}
	for i := 0; i < n; i++ {
		ps[i].Data = ms[i].Buffers[0][:ms[i].N]
		if a, ok := ms[i].Addr.(*net.UDPAddr); ok {
			ap := a.AddrPort()
			ps[i].Addr = netip.AddrPortFrom(ap.Addr().Unmap(), ap.Port())
		} else {
			ps[i].Addr = netip.AddrPort{}
		}
	}
	return n, nil
}

// WritePackets sends every packet, batching system calls.
func (u *UDP) WritePackets(ps []Packet) error {
	if cap(u.wmsgs) < len(ps) {
		u.wmsgs = make([]ipv4.Message, len(ps))
		u.waddr = make([]net.UDPAddr, len(ps))
		for i := range u.wmsgs {
			u.wmsgs[i].Buffers = make([][]byte, 1)
		}
	}
	ms := u.wmsgs[:len(ps)]
	for i, p := range ps {
		u.waddr[i] = net.UDPAddr{IP: p.Addr.Addr().AsSlice(), Port: int(p.Addr.Port())}
		ms[i].Buffers[0] = p.Data
		ms[i].Addr = &u.waddr[i]
	}
	var firstErr error
	for len(ms) > 0 {
		n, err := u.b.WriteBatch(ms, 0)
		if err != nil {
			if errors.Is(err, net.ErrClosed) {
				return ErrClosed
			}
			// One bad destination must not hold back the rest: skip it.
			if firstErr == nil {
				firstErr = err
			}
			n++
		}
		ms = ms[min(n, len(ms)):]
	}
	return firstErr
}

// Close closes the socket.
func (u *UDP) Close() error { return u.conn.Close() }
