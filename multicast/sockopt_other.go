//go:build !(linux || darwin || dragonfly || freebsd || netbsd || openbsd)

package multicast

import (
	"errors"
	"runtime"
	"syscall"
)

var errUnsupported = errors.New("multicast: not supported on " + runtime.GOOS)

func control(v6, broadcast bool) func(network, address string, c syscall.RawConn) error {
	return func(string, string, syscall.RawConn) error { return errUnsupported }
}

func setMulticastIF4(c syscall.RawConn, ifc iface) error { return errUnsupported }

const msgTrunc = 0
