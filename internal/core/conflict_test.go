package core_test

import (
	"net/netip"
	"testing"
	"time"

	"github.com/meshd/meshd/internal/coretest"
	"github.com/meshd/meshd/internal/membership"
	"github.com/meshd/meshd/internal/wire"
)

// addrOf returns the address and state host h holds for member name.
func addrOf(h *coretest.Host, name string) (netip.AddrPort, membership.State, bool) {
	for _, m := range h.Node.Members() {
		if m.Name == name {
			return m.Addr, m.State, true
		}
	}
	return netip.AddrPort{}, 0, false
}

// everyoneSees reports whether every live host other than the owner holds
// name alive at addr.
func everyoneSees(net *coretest.Net, owner *coretest.Host, name string, addr netip.AddrPort) func() bool {
	return func() bool {
		for _, h := range net.Live() {
			if h == owner {
				continue
			}
			if a, s, _ := addrOf(h, name); a != addr || s != membership.StateAlive {
				return false
			}
		}
		return true
	}
}

// checkVerdict checks that loser reported one conflict with winner and
// stopped, and that winner reported one with loser and kept running.
func checkVerdict(t *testing.T, winner, loser *coretest.Host) {
	t.Helper()
	if len(loser.Conflicts) != 1 || !loser.Conflicts[0].Stop || loser.Conflicts[0].Other != winner.Addr {
		t.Fatalf("the later node reported %+v, want one conflict with %v and Stop", loser.Conflicts, winner.Addr)
	}
	if !loser.Node.Stopped() || !loser.Down {
		t.Fatal("the later node did not stop")
	}
	if len(winner.Conflicts) != 1 || winner.Conflicts[0].Stop || winner.Conflicts[0].Other != loser.Addr {
		t.Fatalf("the earlier node reported %+v, want one conflict with %v, without Stop", winner.Conflicts, loser.Addr)
	}
	if winner.Node.Stopped() || winner.Down {
		t.Fatal("the earlier node stopped")
	}
	if got := winner.Node.Stats().NameConflicts; got != 1 {
		t.Errorf("the earlier node counted %d conflicts, want 1", got)
	}
}

// A second node started under a taken name, at another address, is told
// to stop; the first keeps its name, and every other member converges on
// the first one's address.
func TestSecondOwnerOfANameStops(t *testing.T) {
	net := newCluster(t, 7, 6)
	net.Run(10 * time.Second)
	first := net.Nodes[3]
	second := net.AddNamed(first.Name) // started now, long after the first
	net.Join(second, net.Nodes[0])
	if d, ok := net.RunUntil(100*time.Millisecond, 10*time.Second, func() bool { return second.Down }); !ok {
		t.Fatalf("the second %s did not stop within %v (conflicts: %+v)", first.Name, d, second.Conflicts)
	} else {
		t.Logf("stopped after %v", d)
	}
	checkVerdict(t, first, second)
	if d, ok := net.RunUntil(100*time.Millisecond, 10*time.Second, everyoneSees(net, first, first.Name, first.Addr)); !ok {
		t.Fatalf("members did not converge on the first %s's address within %v", first.Name, d)
	}
	net.Run(30 * time.Second) // and it stays that way: no fight, no failure
	if !everyoneSees(net, first, first.Name, first.Addr)() || !net.Converged() {
		t.Fatal("members moved off the first node's address")
	}
	for _, h := range net.Live() {
		for _, ev := range h.Events {
			if ev.Member.Name == first.Name && ev.Type == membership.EventFail {
				t.Errorf("%s saw %s fail", h.Name, first.Name)
			}
		}
	}
}

// The rule is the start time, not the order of joining: a node started
// earlier that joins a cluster already holding its name at a newer
// node's address takes the name, and the newer node stops.
func TestEarlierStartKeepsTheName(t *testing.T) {
	net := coretest.New(11, coretest.LANParams())
	early := net.AddNamed("x")
	net.Run(5 * time.Second) // alone, joined to nobody
	var hosts []*coretest.Host
	for range 4 {
		hosts = append(hosts, net.Add())
	}
	late := net.AddNamed("x")
	for _, h := range append(hosts[1:], late) {
		net.Join(h, hosts[0])
	}
	formed := func() bool {
		for _, h := range hosts {
			if a, s, _ := addrOf(h, "x"); a != late.Addr || s != membership.StateAlive {
				return false
			}
		}
		return true
	}
	if d, ok := net.RunUntil(100*time.Millisecond, time.Minute, formed); !ok {
		t.Fatalf("the cluster did not form within %v", d)
	}
	net.Join(early, hosts[0])
	if d, ok := net.RunUntil(100*time.Millisecond, 10*time.Second, func() bool { return late.Down }); !ok {
		t.Fatalf("the later x did not stop within %v", d)
	}
	checkVerdict(t, early, late)
	if d, ok := net.RunUntil(100*time.Millisecond, 10*time.Second, everyoneSees(net, early, "x", early.Addr)); !ok {
		t.Fatalf("members did not move to the earlier x's address within %v", d)
	}
}

// A node restarted at a new address while its old entry is still alive
// (its crash not yet detected) is no conflict: the old address does not
// answer, and the new process takes the name over without waiting for the
// old entry to fail.
func TestRestartAtNewAddressTakesTheNameOver(t *testing.T) {
	net := newCluster(t, 5, 6)
	old := net.Nodes[2]
	net.Crash(old)
	restarted := net.AddNamed(old.Name)
	net.Join(restarted, net.Nodes[0])
	// Far less than a suspicion timeout (4 s at least here): the old entry
	// is still alive or suspect everywhere when the name moves.
	d, ok := net.RunUntil(100*time.Millisecond, 3*time.Second, everyoneSees(net, restarted, old.Name, restarted.Addr))
	if !ok {
		t.Fatalf("the restarted %s did not take its name over within %v", old.Name, d)
	}
	t.Logf("taken over after %v", d)
	net.Run(20 * time.Second)
	if len(restarted.Conflicts) != 0 || restarted.Down {
		t.Fatalf("the restart was taken for a conflict: %+v", restarted.Conflicts)
	}
	if !everyoneSees(net, restarted, old.Name, restarted.Addr)() || !net.Converged() {
		t.Fatal("the name did not stay at the new address")
	}
	for _, h := range net.Live() {
		for _, ev := range h.Events {
			if ev.Member.Name == old.Name && ev.Type == membership.EventFail {
				t.Errorf("%s saw %s fail", h.Name, old.Name)
			}
		}
	}
}

// A probe claiming this node's name with an earlier start does not stop
// it by itself: the node decides only on the answer to its own probe of
// the claimed address, which a blind forger cannot give.
func TestForgedNameProbeDoesNotStop(t *testing.T) {
	n := newLoneNode(t)
	step := stepper(t, n, loneCodec())
	forger := netip.MustParseAddrPort("10.0.0.66:7946")
	claimed := netip.MustParseAddrPort("10.0.0.77:7946")
	step(forger, wire.NameProbe{Seq: 1, Claim: wire.NameClaim{Name: "a", Addr: claimed, Started: 1}})
	rd := n.Ready()
	var answered, probed bool
	dec := wire.NewDecoder()
	for _, p := range rd.Packets {
		payload, err := loneCodec().Open(p.Data, coretest.Epoch)
		if err != nil {
			t.Fatal(err)
		}
		dec.DecodeAll(payload, func(m wire.Msg) {
			switch m := m.(type) {
			case wire.NameHeld:
				answered = p.Addr == forger && m.Seq == 1 && m.Claim.Name == "a"
			case wire.NameProbe:
				probed = p.Addr == claimed
			}
		})
	}
	if !answered || !probed {
		t.Fatalf("answered %v, probed the claimed address %v; want both", answered, probed)
	}
	// A guessed answer from the claimed address does not count.
	step(claimed, wire.NameHeld{Seq: 12345, Claim: wire.NameClaim{Name: "a", Addr: claimed, Started: 1}})
	n.Tick(coretest.Epoch.Add(time.Second))
	if rd := n.Ready(); len(rd.NameConflicts) != 0 || n.Stopped() {
		t.Fatalf("stopped on a forged claim: %+v", rd.NameConflicts)
	}
}
