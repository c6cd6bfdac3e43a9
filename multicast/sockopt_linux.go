package multicast

import (
	"errors"
	"syscall"

	"golang.org/x/sys/unix"
)

// control runs on the socket before bind: share the port with every other
// node of the host, hear only our own memberships, and allow broadcast.
//
// On Linux SO_REUSEADDR alone lets any number of UDP sockets share a port,
// and multicast and broadcast datagrams reach every one of them. SO_REUSEPORT
// is deliberately not set: it puts the sockets into one reuseport group, and
// Linux (seen on 6.x) then hands a group datagram that only one socket of the
// host wants (one joined on eth0, another on eth1) to a socket of the group
// picked by hash, which drops it. TestLabOtherInterfacesAreNotHeard shows it.
// SO_REUSEADDR is also what libcluster and Go's ListenMulticastUDP set, so
// they share the port with us.
func control(v6, broadcast bool) func(network, address string, c syscall.RawConn) error {
	return func(network, address string, c syscall.RawConn) error {
		var err error
		cerr := c.Control(func(fd uintptr) {
			s := int(fd)
			if err = unix.SetsockoptInt(s, unix.SOL_SOCKET, unix.SO_REUSEADDR, 1); err != nil {
				err = errors.Join(errors.New("SO_REUSEADDR"), err)
				return
			}
			// By default Linux hands a socket bound to the wildcard every
			// group any socket of the host joined, on any interface.
			// Kernels before 4.20 lack the IPv6 option; binding the group
			// address covers IPv4 there anyway.
			if v6 {
				_ = unix.SetsockoptInt(s, unix.IPPROTO_IPV6, unix.IPV6_MULTICAST_ALL, 0)
			} else {
				_ = unix.SetsockoptInt(s, unix.IPPROTO_IP, unix.IP_MULTICAST_ALL, 0)
			}
			if broadcast {
				if err = unix.SetsockoptInt(s, unix.SOL_SOCKET, unix.SO_BROADCAST, 1); err != nil {
					err = errors.Join(errors.New("SO_BROADCAST"), err)
				}
			}
		})
		if cerr != nil {
			return cerr
		}
		return err
	}
}

// setMulticastIF4 selects the interface of the next IPv4 multicast send.
// x/net sets only the interface index, and Linux then picks the source
// address by scope, which for lo is another interface's address; passing
// the interface's own address keeps the source on it.
func setMulticastIF4(c syscall.RawConn, ifc iface) error {
	mreq := &unix.IPMreqn{Ifindex: int32(ifc.ifi.Index)}
	if ifc.addr4.IsValid() {
		mreq.Address = ifc.addr4.As4()
	}
	var err error
	cerr := c.Control(func(fd uintptr) {
		err = unix.SetsockoptIPMreqn(int(fd), unix.IPPROTO_IP, unix.IP_MULTICAST_IF, mreq)
	})
	if cerr != nil {
		return cerr
	}
	return err
}

// msgTrunc flags a datagram longer than the read buffer.
const msgTrunc = unix.MSG_TRUNC
