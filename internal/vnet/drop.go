package vnet

// Drop says why a datagram never reached a node.
type Drop uint8

const (
	DropNone      Drop = iota
	DropLoss           // random loss of the link
	DropPartition      // a partition or one-way cut between the nodes
	DropMTU            // larger than the link's MTU allows
	DropDown           // the receiver was crashed, left or not started (decided by the driver)
	DropUnknown        // no node has the destination address (decided by the driver)
	NumDrops           // the number of reasons, for arrays indexed by Drop
)

var dropNames = [NumDrops]string{"", "loss", "partition", "mtu", "down", "unknown-address"}

// String is the reason's stable name, as reports and metrics show it; ""
// for DropNone.
func (d Drop) String() string {
	if d < NumDrops {
		return dropNames[d]
	}
	return "drop?"
}
