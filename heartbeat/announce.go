package heartbeat

import (
	"fmt"
	"net/netip"
)

// Announce is what a heartbeat says about its sender.
type Announce struct {
	Cluster string
	Name    string
	// Addr is the sender's advertised gossip address: the one to join. It is
	// not the datagram's source, which is the multicast socket's.
	Addr netip.AddrPort
	// Incarnation is the sender's current incarnation.
	Incarnation uint64
	// Digest is the sender's anti-entropy digest of its member table.
	Digest uint64
	// Count is how many members the sender's table holds.
	Count uint32
}

// checkAddr accepts only an address another member can send to: a unicast IP
// without zone (a zone names an interface of the sender, meaningless to the
// receiver) and a non-zero port.
func checkAddr(ap netip.AddrPort) error {
	a := ap.Addr()
	switch {
	case !a.IsValid():
		return fmt.Errorf("address is missing")
	case a.IsUnspecified() || a.IsMulticast():
		return fmt.Errorf("address %v is not a unicast address", a)
	case a.Zone() != "":
		return fmt.Errorf("address %v has a zone", a)
	case ap.Port() == 0:
		return fmt.Errorf("address %v has port 0", ap)
	}
	return nil
}
