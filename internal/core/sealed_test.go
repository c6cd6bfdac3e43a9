package core_test

import (
	"fmt"
	"net/netip"
	"testing"

	"github.com/meshd/meshd/internal/coretest"
	"github.com/meshd/meshd/internal/wire"
)

// In an encrypted cluster the node answers a message (here a join request,
// with its whole table) while the rest of the same packet is still to be
// decoded; the answer must not overwrite it. Before the codec kept its
// sealing and opening buffers apart, the Alive after the JoinReq was
// corrupted and the packet counted malformed.
func TestAnswersDoNotCorruptTheRestOfASealedPacket(t *testing.T) {
	keys := [][]byte{dropKey(1)}
	n := dropNode(t, keys)
	b := netip.MustParseAddrPort("10.0.0.2:7946")
	// One big packet first (news about members it does not know, which it
	// ignores), so that its buffers have grown, as on any node that has been
	// running a while.
	var big []wire.Msg
	for i := 0; i < 50; i++ {
		big = append(big, wire.Suspect{Name: fmt.Sprintf("unknown-member-%02d", i), Inc: 1, From: "x"})
	}
	n.Step(coretest.Epoch, b, frame(t, dropCluster, keys, coretest.Epoch, big...))
	n.Ready()
	n.Step(coretest.Epoch, b, frame(t, dropCluster, keys, coretest.Epoch,
		wire.JoinReq{Self: wire.Alive{Name: "b", Addr: b, Inc: 1}},
		wire.Alive{Name: "c", Addr: netip.MustParseAddrPort("10.0.0.3:7946"), Inc: 4}))
	if d := n.Ready().Drops; len(d) != 0 {
		t.Fatalf("dropped %+v", d)
	}
	found := false
	for _, m := range n.Members() {
		if m.Name == "c" && m.Incarnation == 4 {
			found = true
		}
	}
	if !found {
		t.Fatalf("the Alive after the JoinReq was not applied: %v", n.Members())
	}
}
