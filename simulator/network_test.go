package simulator

import (
	"math"
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

func TestNetworkLossDuplicateMTU(t *testing.T) {
	nw := testNet(t, `
nodes: 4
duration: 1s
network:
  latency: {base: 1ms, jitter: 1ms}
  loss: 20%
  duplicate: 10%
  mtu: 1000
`)
	const n = 20000
	lost, dups := 0, 0
	for i := 0; i < n; i++ {
		r, d, dup, dd := nw.transmit(0, 1, 100)
		if r == dropLoss {
			lost++
			continue
		}
		if r != dropNone || d < int64(time.Millisecond) || d >= int64(2*time.Millisecond) {
			t.Fatalf("delivery %v after %v", r, time.Duration(d))
		}
		if dup {
			dups++
			if dd < int64(time.Millisecond) {
				t.Fatalf("duplicate after %v", time.Duration(dd))
			}
		}
	}
	if f := float64(lost) / n; math.Abs(f-0.2) > 0.02 {
		t.Errorf("loss rate %.3f, want about 0.2", f)
	}
	if f := float64(dups) / float64(n-lost); math.Abs(f-0.1) > 0.02 {
		t.Errorf("duplicate rate %.3f, want about 0.1", f)
	}
	// 972 payload bytes fit an MTU of 1000 (28 for IPv4 and UDP); 973 do not.
	nw.def.Loss = 0
	if r, _, _, _ := nw.transmit(0, 1, 972); r != dropNone {
		t.Errorf("972 bytes: %v", r)
	}
	if r, _, _, _ := nw.transmit(0, 1, 973); r != dropMTU {
		t.Errorf("973 bytes: %v, want an MTU drop", r)
	}
}

func TestNetworkPartitionCutHeal(t *testing.T) {
	nw := testNet(t, "nodes: 6\nduration: 1s\n")
	set := func(ids ...int32) bitset {
		b := newBitset(6)
		for _, i := range ids {
			b.set(i)
		}
		return b
	}
	nw.partition([]bitset{set(0, 1), set(2, 3)})
	for _, c := range []struct {
		from, to int32
		blocked  bool
	}{{0, 1, false}, {0, 2, true}, {3, 1, true}, {2, 3, false}, {4, 0, false}, {5, 3, false}} {
		if got := nw.blocked(c.from, c.to); got != c.blocked {
			t.Errorf("partition: %d->%d blocked %v, want %v", c.from, c.to, got, c.blocked)
		}
	}
	if r, _, _, _ := nw.transmit(0, 2, 10); r != dropPartition {
		t.Errorf("transmit across the partition: %v", r)
	}
	nw.heal()
	nw.cut(set(4), set(5))
	if !nw.blocked(4, 5) || nw.blocked(5, 4) || nw.reachable(4, 5) || !nw.reachable(0, 2) {
		t.Error("one-way cut wrong")
	}
	nw.heal()
	if nw.blocked(4, 5) || nw.blocked(0, 2) {
		t.Error("heal left something blocked")
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

func TestLatencyDistributions(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	ms := float64(time.Millisecond)
	for _, c := range []struct {
		l          Latency
		mean, tol  float64
		minAllowed float64
	}{
		{Latency{Dist: distFixed, Base: 2 * time.Millisecond}, 2 * ms, 0, 2 * ms},
		{Latency{Dist: distFixed, Base: time.Millisecond, Jitter: 2 * time.Millisecond}, 2 * ms, 0.05 * ms, ms},
		{Latency{Dist: distNormal, Base: time.Millisecond, Mean: 10 * time.Millisecond, Stddev: 2 * time.Millisecond}, 11 * ms, 0.1 * ms, ms},
		{Latency{Dist: distLognormal, Mean: 5 * time.Millisecond, Stddev: 3 * time.Millisecond}, 5 * ms, 0.2 * ms, 0},
		{Latency{Dist: distExponential, Base: time.Millisecond, Mean: 4 * time.Millisecond}, 5 * ms, 0.2 * ms, ms},
	} {
		const n = 40000
		sum := 0.0
		for i := 0; i < n; i++ {
			d := float64(c.l.sample(rng))
			if d < c.minAllowed || d > float64(maxLatency) {
				t.Fatalf("%+v drew %v", c.l, time.Duration(d))
			}
			sum += d
		}
		if m := sum / n; math.Abs(m-c.mean) > c.tol {
			t.Errorf("%+v: mean %v, want %v", c.l, time.Duration(m), time.Duration(c.mean))
		}
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
