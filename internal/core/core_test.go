package core_test

import (
	"fmt"
	"math/rand"
	"net/netip"
	"testing"
	"time"

	"github.com/meshd/meshd/internal/core"
	"github.com/meshd/meshd/internal/wire"

	"github.com/meshd/meshd/internal/coretest"
	"github.com/meshd/meshd/internal/membership"
)

func newCluster(t *testing.T, seed int64, n int) *coretest.Net {
	t.Helper()
	net := coretest.New(seed, coretest.LANParams())
	for i := 0; i < n; i++ {
		net.Add()
	}
	for _, h := range net.Nodes[1:] {
		net.Join(h, net.Nodes[0])
	}
	if d, ok := net.RunUntil(100*time.Millisecond, 2*time.Minute, net.Converged); !ok {
		t.Fatalf("%d nodes did not converge in %v", n, d)
	}
	return net
}

func TestJoinAndDetect(t *testing.T) {
	net := newCluster(t, 1, 5)
	victim := net.Nodes[3]
	net.Crash(victim)
	dead := func() bool {
		for _, h := range net.Live() {
			if s, _ := coretest.StateOf(h, victim.Name); s != membership.StateDead {
				return false
			}
		}
		return true
	}
	if d, ok := net.RunUntil(100*time.Millisecond, time.Minute, dead); !ok {
		t.Fatalf("crash not detected by all within %v", d)
	} else {
		t.Logf("detected by all in %v", d)
	}
}

// A node that joins a settled cluster and crashes soon after is detected as
// fast as any other: members put a newcomer into their current probe round
// instead of waiting for the round (N probe intervals) to end.
func TestLateJoinerCrashIsDetected(t *testing.T) {
	net := newCluster(t, 3, 100)
	net.Run(40 * time.Second) // every node is in the middle of a round
	late := net.Add()
	net.Join(late, net.Nodes[0])
	if d, ok := net.RunUntil(100*time.Millisecond, time.Minute, net.Converged); !ok {
		t.Fatalf("the late joiner did not converge in %v", d)
	}
	net.Crash(late)
	dead := func() bool {
		for _, h := range net.Live() {
			if s, _ := coretest.StateOf(h, late.Name); s != membership.StateDead {
				return false
			}
		}
		return true
	}
	// The suspicion timeout at N=100 is 8 s at least; a newcomer probed only
	// after the rounds end takes about twice as long here.
	d, ok := net.RunUntil(100*time.Millisecond, 14*time.Second, dead)
	if !ok {
		t.Fatalf("the late joiner's crash was not known to all within %v", d)
	}
	t.Logf("known dead by all after %v", d)
}

// An anti-entropy answer is capped, however much the tables differ: a peer
// whose every bucket differs from a 2,000-member table gets a few packets of
// the newest entries, not the whole table (a join storm of thousands would
// otherwise ship O(N) bytes at every hurried exchange). A join transfer is
// not capped: the joiner needs everything.
func TestAntiEntropyAnswerIsCapped(t *testing.T) {
	now := coretest.Epoch
	n, codec := newLoneNode(t), loneCodec()
	step := stepper(t, n, codec)
	seed := netip.MustParseAddrPort("10.9.0.1:7946")
	const members = 2000
	for i := 0; i < members; i += 20 {
		var batch []wire.Msg
		for j := i; j < i+20; j++ {
			batch = append(batch, wire.Entry{Name: fmt.Sprintf("m%04d", j),
				Addr: netip.AddrPortFrom(netip.AddrFrom4([4]byte{10, 1, byte(j >> 8), byte(j)}), 7946), Inc: 1})
		}
		step(seed, batch...)
	}
	if got := len(n.Members()); got != members+1 {
		t.Fatalf("table holds %d members, want %d", got, members+1)
	}
	n.Ready()
	count := func(to netip.AddrPort) (pkts, entries int) {
		dec := wire.NewDecoder()
		for _, p := range n.Ready().Packets {
			if p.Addr != to {
				continue
			}
			pkts++
			payload, err := codec.Open(p.Data, now)
			if err != nil {
				t.Fatal(err)
			}
			dec.DecodeAll(payload, func(m wire.Msg) {
				if _, ok := m.(wire.Entry); ok {
					entries++
				}
			})
		}
		return pkts, entries
	}
	peer := netip.MustParseAddrPort("10.9.0.2:7946")
	step(peer, wire.Buckets{Hashes: make([]uint64, 128)})
	pkts, entries := count(peer)
	if pkts > 9 || entries == 0 || entries >= members/2 {
		t.Errorf("anti-entropy answer: %d packets with %d entries, want at most 8 packets of entries and a sync request", pkts, entries)
	}
	joiner := netip.MustParseAddrPort("10.9.0.3:7946")
	step(joiner, wire.JoinReq{Self: wire.Alive{Name: "j", Addr: joiner, Inc: 1}})
	if _, entries := count(joiner); entries != members+2 {
		t.Errorf("join transfer carried %d entries, want all %d", entries, members+2)
	}
}

// A dead verdict from a member this node holds alive is an ordinary failure
// and is taken at its word; one from a declarer held dead or unknown (made
// across a partition that has healed) only raises a suspicion here.
func TestDeadVerdictDependsOnDeclarer(t *testing.T) {
	n := newLoneNode(t)
	peer := stepper(t, n, loneCodec())
	from := netip.MustParseAddrPort("10.0.0.9:7946")
	step := func(msgs ...wire.Msg) { peer(from, msgs...) }
	for i, name := range []string{"b", "c", "d", "x"} {
		step(wire.Entry{Name: name, Addr: netip.AddrPortFrom(netip.AddrFrom4([4]byte{10, 0, 1, byte(i + 1)}), 7946), Inc: 1})
	}
	step(wire.Dead{Name: "x", Inc: 1, From: "b"}) // x is dead here now, so it declares across a partition
	step(wire.Dead{Name: "c", Inc: 1, From: "b"}, wire.Dead{Name: "d", Inc: 1, From: "x"})
	state := func(name string) membership.State {
		for _, m := range n.Members() {
			if m.Name == name {
				return m.State
			}
		}
		t.Fatalf("%s unknown", name)
		return 0
	}
	if s := state("c"); s != membership.StateDead {
		t.Errorf("c declared dead by b (held alive) is %v here, want dead", s)
	}
	if s := state("d"); s != membership.StateSuspect {
		t.Errorf("d declared dead by x (held dead) is %v here, want suspect", s)
	}
}

// loneCodec frames packets for cluster "f", the cluster of newLoneNode.
func loneCodec() *wire.Codec {
	c, _ := wire.NewCodec("f", nil, nil)
	return c
}

// newLoneNode is node "a" of cluster "f" at 10.0.0.1 with LAN timings,
// for tests that feed one node hand-made packets.
func newLoneNode(tb testing.TB) *core.Node {
	tb.Helper()
	n, err := core.New(core.Config{Name: "a", Addr: netip.MustParseAddrPort("10.0.0.1:7946"), Cluster: "f",
		Params: coretest.LANParams(), Rand: rand.New(rand.NewSource(1))}, coretest.Epoch)
	if err != nil {
		tb.Fatal(err)
	}
	return n
}

// stepper returns a function that frames msgs as one packet from an address
// and hands it to n at the epoch.
func stepper(tb testing.TB, n *core.Node, codec *wire.Codec) func(from netip.AddrPort, msgs ...wire.Msg) {
	enc := wire.NewEncoder()
	return func(from netip.AddrPort, msgs ...wire.Msg) {
		tb.Helper()
		var payload []byte
		for _, m := range msgs {
			payload = enc.Append(payload, m)
		}
		pkt, err := codec.Frame(nil, payload, coretest.Epoch)
		if err != nil {
			tb.Fatal(err)
		}
		n.Step(coretest.Epoch, from, pkt)
	}
}
