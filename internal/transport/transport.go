// Package transport is the engine's narrow packet seam: datagrams in and out
// as bytes with addresses. The UDP socket, the simulator's virtual network and
// the fault-injecting wrapper all implement PacketConn.
package transport

import (
	"errors"
	"github.com/meshd/meshd/internal/core"
	"net/netip"
)

// Packet is one datagram and its peer address (source when read,
// destination when written). It is the core's own type, so the packets of
// core.Ready go to WritePackets as they are.
type Packet = core.Packet

// PacketConn moves datagrams. ReadPackets is called from one goroutine and
// WritePackets from one (possibly other) goroutine; Close may be called from
// any goroutine and makes a blocked ReadPackets return ErrClosed.
type PacketConn interface {
	// ReadPackets blocks until at least one datagram arrived, fills ps[i].Addr
	// and ps[i].Data (reusing ps[i].Data's capacity, which must be at least
	// the largest datagram wanted; longer ones are truncated and should be
	// dropped by the caller) and returns how many it filled.
	ReadPackets(ps []Packet) (int, error)
	// WritePackets sends every packet; an error concerns the first packet that
	// failed, the rest may still have gone out.
	WritePackets(ps []Packet) error
	// LocalAddr is the bound address.
	LocalAddr() netip.AddrPort
	Close() error
}

// ErrClosed is returned by ReadPackets after Close.
var ErrClosed = errors.New("transport: closed")
