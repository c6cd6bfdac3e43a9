package wire

import (
	"fmt"
	"net/netip"
	"strings"
)

// KeySize is the size of a keyring key: AES-256.
const KeySize = 32

// CheckKeys checks the size of every key of a keyring; the error names the
// first bad key's index as a *KeyError.
func CheckKeys(keys [][]byte) error {
	for i, k := range keys {
		if len(k) != KeySize {
			return &KeyError{Index: i, Size: len(k)}
		}
	}
	return nil
}

// KeyError is a keyring key of the wrong size.
type KeyError struct {
	Index int // position in the keyring
	Size  int // its size in bytes
}

func (e *KeyError) Error() string {
	return fmt.Sprintf("key %d: %d bytes, want %d (AES-256)", e.Index, e.Size, KeySize)
}

// memberOverhead is the largest encoding of a message that carries one
// member's metadata (Alive, Entry, JoinReq) without the metadata itself:
// the longest name, an IPv6 address and the largest counters.
var memberOverhead = func() int {
	name := strings.Repeat("n", MaxNameLen)
	addr := netip.MustParseAddrPort("[ffff::ffff]:65535")
	const big = 1<<64 - 1
	alive := Alive{Name: name, Addr: addr, Inc: big, MetaVer: big}
	e := NewEncoder()
	most := 0
	for _, m := range []Msg{alive, JoinReq{Self: alive}, Entry{Name: name, Addr: addr, Inc: big, State: 255, MetaVer: big}} {
		most = max(most, len(e.Encode(m)))
	}
	return most - MetaSize(nil)
}()

// MetaRoom is how many bytes of encoded metadata a packet of packetSize
// bytes can carry in one member's message, sealed, whatever the member's
// name and address: the bound on any metadata limit.
func MetaRoom(packetSize int) int {
	return packetSize - SealedOverhead - memberOverhead
}
