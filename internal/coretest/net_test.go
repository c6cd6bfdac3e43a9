package coretest

import (
	"net/netip"
	"testing"
	"time"

	"github.com/meshd/meshd/internal/vnet"
)

func twoNodes(t *testing.T) *Net {
	t.Helper()
	n := New(1, LANParams())
	a, b := n.Add(), n.Add()
	n.Join(b, a)
	if _, ok := n.RunUntil(100*time.Millisecond, 10*time.Second, n.Converged); !ok {
		t.Fatal("two nodes did not converge")
	}
	return n
}

func TestHoldDeliverRelease(t *testing.T) {
	n := twoNodes(t)
	n.HoldAll()
	delivered := n.Delivered
	n.Run(2 * time.Second)
	if n.Delivered != delivered {
		t.Fatalf("%d datagrams arrived while held", n.Delivered-delivered)
	}
	if len(n.Held) == 0 {
		t.Fatal("two nodes sent nothing in 2 s of probes")
	}
	first := n.Held[0]
	got := n.Deliver(func(d *Datagram) bool { return d == first })
	if len(got) != 1 || got[0] != first || n.Delivered != delivered+1 {
		t.Fatalf("Deliver took %d datagrams, delivered %d", len(got), n.Delivered-delivered)
	}
	if dropped := n.DropHeld(nil); len(dropped) == 0 || len(n.Held) != 0 {
		t.Fatalf("DropHeld(nil) took %d, left %d", len(dropped), len(n.Held))
	}
	n.Release()
	n.Run(2 * time.Second)
	if n.Delivered == delivered+1 {
		t.Fatal("nothing arrived after Release")
	}
}

func TestLoseAndCut(t *testing.T) {
	n := twoNodes(t)
	var lost, cut int
	n.OnSent = func(d *Datagram) {
		if d.Lost {
			lost++
		}
		if d.Drop == vnet.DropPartition {
			cut++
		}
	}
	n.OnSend = func(from *Host, _ netip.AddrPort, _ []byte) bool { return from.Index == 0 }
	n.Links.Cut(vnet.SetOf(2, 1), vnet.SetOf(2, 0))
	delivered := n.Delivered
	n.Run(3 * time.Second)
	if lost == 0 || cut == 0 || n.Delivered != delivered {
		t.Fatalf("lost %d, cut %d, delivered %d", lost, cut, n.Delivered-delivered)
	}
}

// A deadline the core returns that is already past (a suspicion that
// confirmations shortened, after a heal) is due now: the virtual clock
// never runs backwards.
func TestClockNeverRunsBackwards(t *testing.T) {
	n := New(1, LANParams())
	for i := 0; i < 5; i++ {
		n.Add()
	}
	for _, h := range n.Nodes[1:] {
		n.Join(h, n.Nodes[0])
	}
	n.RunUntil(100*time.Millisecond, time.Minute, n.Converged)
	last := n.Now
	n.OnStep = func(h *Host, d *Datagram) {
		if n.Now.Before(last) {
			t.Fatalf("clock went back from %v to %v", last.Sub(Epoch), n.Now.Sub(Epoch))
		}
		last = n.Now
	}
	n.Run(10 * time.Second)
	n.Links.Partition([]vnet.Set{vnet.SetOf(5, 0, 1), vnet.SetOf(5, 2, 3, 4)})
	n.Run(16 * time.Second)
	n.Links.Heal()
	n.Run(10 * time.Second)
}
