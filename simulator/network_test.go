package simulator

import (
	"math/rand/v2"
	"slices"
	"testing"
	"time"
)

func testNet(t *testing.T, src string) *network {
	t.Helper()
	sc := mustParse(t, src)
	return newNetwork(sc.Nodes, sc.Network, rand.New(rand.NewPCG(1, 2)))
}

// The network's own behaviour (loss, duplicates, MTU, partitions, cuts,
// latency draws) is tested in internal/vnet; these test the scenario's side.

func TestNetworkPartitionSets(t *testing.T) {
	nw := testNet(t, "nodes: 6\nduration: 1s\n")
	set := func(ids ...int32) bitset {
		b := newBitset(6)
		for _, i := range ids {
			b.set(i)
		}
		return b
	}
	nw.partition([]bitset{set(0, 1), set(2, 3)})
	if nw.reachable(0, 2) || !nw.reachable(0, 1) || !nw.reachable(4, 2) {
		t.Error("partition sets not handed to the network")
	}
	if r, _, _, _ := nw.transmit(0, 2, 10); r != dropPartition {
		t.Errorf("transmit across the partition: %v", r)
	}
	nw.heal()
	nw.cut(set(4), set(5))
	if nw.reachable(4, 5) || !nw.reachable(0, 2) {
		t.Error("cut sets not handed to the network")
	}
}

func TestNetworkLinkRules(t *testing.T) {
	nw := testNet(t, `
nodes: 6
duration: 1s
network:
  latency: 1ms
  links:
    - between: [0-2, 3-5]
      latency: 40ms
    - from: 0
      to: 1
      latency: 7ms
      loss: 100%
`)
	lat := func(a, b int32) time.Duration { return nw.link(a, b).Latency.Base }
	if lat(0, 4) != 40*time.Millisecond || lat(4, 0) != 40*time.Millisecond {
		t.Errorf("between rule not both ways: %v %v", lat(0, 4), lat(4, 0))
	}
	if lat(0, 1) != 7*time.Millisecond || lat(1, 0) != time.Millisecond {
		t.Errorf("from/to rule: %v, reverse %v", lat(0, 1), lat(1, 0))
	}
	// A network event changes the default; rules keep their own fields.
	loss := 0.5
	nw.change(&netPatch{link: linkPatch{loss: &loss}})
	if nw.link(3, 4).Loss != 0.5 || nw.link(0, 4).Loss != 0.5 || nw.link(0, 1).Loss != 1 {
		t.Errorf("after change: default %v, rule without loss %v, rule with loss %v", nw.link(3, 4).Loss, nw.link(0, 4).Loss, nw.link(0, 1).Loss)
	}
	nw.change(&netPatch{setLinks: true})
	if lat(0, 4) != time.Millisecond {
		t.Errorf("links: [] did not remove the rules")
	}
}

func TestEventQueueOrder(t *testing.T) {
	var q eventQueue
	rng := rand.New(rand.NewPCG(5, 6))
	type key struct {
		at  int64
		seq int
	}
	var want []key
	for i := 0; i < 5000; i++ {
		at := rng.Int64N(100) // many ties: order among them is push order
		q.push(event{at: at, to: int32(i)})
		want = append(want, key{at, i})
	}
	slices.SortStableFunc(want, func(a, b key) int { return int(a.at - b.at) })
	for i, w := range want {
		e := q.pop()
		if e.at != w.at || int(e.to) != w.seq {
			t.Fatalf("pop %d: (%d, %d), want (%d, %d)", i, e.at, e.to, w.at, w.seq)
		}
	}
	if q.len() != 0 {
		t.Fatalf("%d left", q.len())
	}
}

func TestAddresses(t *testing.T) {
	for _, k := range []int32{0, 1, 255, 256, 9999, maxAddrs - 1} {
		a := addrOf(k)
		got, ok := addrNumber(a)
		if !ok || got != k {
			t.Fatalf("address %d -> %v -> %d %v", k, a, got, ok)
		}
	}
	if a := addrOf(0).String(); a != "10.0.0.1:7946" {
		t.Fatalf("first address %s", a)
	}
}

func TestBitsetRange(t *testing.T) {
	for _, c := range [][2]int{{0, 0}, {0, 63}, {0, 64}, {5, 70}, {63, 64}, {64, 127}, {3, 199}, {130, 130}} {
		b := newBitset(200)
		b.setRange(c[0], c[1])
		for i := 0; i < 200; i++ {
			if b.has(int32(i)) != (i >= c[0] && i <= c[1]) {
				t.Fatalf("setRange(%d, %d): bit %d wrong", c[0], c[1], i)
			}
		}
		if b.count() != c[1]-c[0]+1 {
			t.Fatalf("setRange(%d, %d): count %d", c[0], c[1], b.count())
		}
	}
}
