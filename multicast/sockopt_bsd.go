//go:build darwin || dragonfly || freebsd || netbsd || openbsd

package multicast

import (
	"errors"
	"syscall"

	"golang.org/x/sys/unix"
)

// control sets SO_REUSEADDR and SO_REUSEPORT (the BSDs need the latter for
// several sockets to share a port) and SO_BROADCAST in Broadcast mode.
func control(v6, broadcast bool) func(network, address string, c syscall.RawConn) error {
	return func(network, address string, c syscall.RawConn) error {
		var err error
		cerr := c.Control(func(fd uintptr) {
			s := int(fd)
			if err = unix.SetsockoptInt(s, unix.SOL_SOCKET, unix.SO_REUSEADDR, 1); err != nil {
				err = errors.Join(errors.New("SO_REUSEADDR"), err)
				return
			}
			if err = unix.SetsockoptInt(s, unix.SOL_SOCKET, unix.SO_REUSEPORT, 1); err != nil {
				err = errors.Join(errors.New("SO_REUSEPORT"), err)
				return
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

// setMulticastIF4 selects the interface by its address, the BSD way.
func setMulticastIF4(c syscall.RawConn, ifc iface) error {
	if !ifc.addr4.IsValid() {
		return errors.New("interface has no IPv4 address to send IPv4 multicast from")
	}
	var err error
	cerr := c.Control(func(fd uintptr) {
		err = unix.SetsockoptInet4Addr(int(fd), unix.IPPROTO_IP, unix.IP_MULTICAST_IF, ifc.addr4.As4())
	})
	if cerr != nil {
		return cerr
	}
	return err
}

// msgTrunc flags a datagram longer than the read buffer.
const msgTrunc = unix.MSG_TRUNC
