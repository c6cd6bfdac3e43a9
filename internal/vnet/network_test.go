package vnet

import (
	"math"
	"math/rand/v2"
	"testing"
	"time"
)

func TestLossDuplicateMTU(t *testing.T) {
	nw := New(4, Link{Latency: Latency{Base: time.Millisecond, Jitter: time.Millisecond},
		Loss: 0.2, Duplicate: 0.1, MTU: 1000}, rand.New(rand.NewPCG(1, 2)))
	const n = 20000
	lost, dups := 0, 0
	for i := 0; i < n; i++ {
		f := nw.Transmit(0, 1, 100)
		if f.Drop == DropLoss {
			lost++
			continue
		}
		if f.Drop != DropNone || f.Delay < time.Millisecond || f.Delay >= 2*time.Millisecond {
			t.Fatalf("delivery %v after %v", f.Drop, f.Delay)
		}
		if f.Dup {
			dups++
			if f.DupDelay < time.Millisecond {
				t.Fatalf("duplicate after %v", f.DupDelay)
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
	l := nw.Default()
	l.Loss = 0
	nw.SetDefault(l)
	if f := nw.Transmit(0, 1, 972); f.Drop != DropNone {
		t.Errorf("972 bytes: %v", f.Drop)
	}
	if f := nw.Transmit(0, 1, 973); f.Drop != DropMTU {
		t.Errorf("973 bytes: %v, want an MTU drop", f.Drop)
	}
}

func TestPartitionCutHeal(t *testing.T) {
	nw := New(6, Link{MTU: 1500}, rand.New(rand.NewPCG(1, 2)))
	nw.Partition([]Set{SetOf(6, 0, 1), SetOf(6, 2, 3)})
	for _, c := range []struct {
		from, to int32
		blocked  bool
	}{{0, 1, false}, {0, 2, true}, {3, 1, true}, {2, 3, false}, {4, 0, false}, {5, 3, false}} {
		if got := nw.Blocked(c.from, c.to); got != c.blocked {
			t.Errorf("partition: %d->%d blocked %v, want %v", c.from, c.to, got, c.blocked)
		}
	}
	if f := nw.Transmit(0, 2, 10); f.Drop != DropPartition {
		t.Errorf("transmit across the partition: %v", f.Drop)
	}
	nw.Heal()
	nw.Cut(SetOf(6, 4), SetOf(6, 5))
	if !nw.Blocked(4, 5) || nw.Blocked(5, 4) || nw.Reachable(4, 5) || !nw.Reachable(0, 2) {
		t.Error("one-way cut wrong")
	}
	nw.Heal()
	if nw.Blocked(4, 5) || nw.Blocked(0, 2) {
		t.Error("heal left something blocked")
	}
}

func TestGrowAndRules(t *testing.T) {
	nw := New(2, Link{Latency: Latency{Base: time.Millisecond}, MTU: 1500}, rand.New(rand.NewPCG(1, 2)))
	nw.SetRules([]Rule{{From: SetOf(2, 0), To: SetOf(2, 1), Both: true, Link: Link{Latency: Latency{Base: 40 * time.Millisecond}, MTU: 1500}}})
	nw.Cut(SetOf(2, 0), SetOf(2, 1))
	nw.Grow(3)
	// Node 2 came after the sets were made: it is in none of them.
	if nw.Size() != 3 || nw.Blocked(0, 2) || nw.Link(0, 2).Latency.Base != time.Millisecond {
		t.Errorf("grown node: size %d, blocked %v, link %v", nw.Size(), nw.Blocked(0, 2), nw.Link(0, 2).Latency.Base)
	}
	if nw.Link(1, 0).Latency.Base != 40*time.Millisecond || !nw.Blocked(0, 1) {
		t.Error("rule or cut lost by Grow")
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
		{Latency{Dist: DistFixed, Base: 2 * time.Millisecond}, 2 * ms, 0, 2 * ms},
		{Latency{Dist: DistFixed, Base: time.Millisecond, Jitter: 2 * time.Millisecond}, 2 * ms, 0.05 * ms, ms},
		{Latency{Dist: DistNormal, Base: time.Millisecond, Mean: 10 * time.Millisecond, Stddev: 2 * time.Millisecond}, 11 * ms, 0.1 * ms, ms},
		{Latency{Dist: DistLognormal, Mean: 5 * time.Millisecond, Stddev: 3 * time.Millisecond}, 5 * ms, 0.2 * ms, 0},
		{Latency{Dist: DistExponential, Base: time.Millisecond, Mean: 4 * time.Millisecond}, 5 * ms, 0.2 * ms, ms},
	} {
		const n = 40000
		sum := 0.0
		for i := 0; i < n; i++ {
			d := float64(c.l.Sample(rng))
			if d < c.minAllowed || d > float64(MaxLatency) {
				t.Fatalf("%+v drew %v", c.l, time.Duration(d))
			}
			sum += d
		}
		if m := sum / n; math.Abs(m-c.mean) > c.tol {
			t.Errorf("%+v: mean %v, want %v", c.l, time.Duration(m), time.Duration(c.mean))
		}
	}
}

func TestDropNames(t *testing.T) {
	for d := Drop(1); d < NumDrops; d++ {
		if d.String() == "" {
			t.Errorf("drop %d has no name", d)
		}
	}
	if DropNone.String() != "" {
		t.Error("DropNone has a name")
	}
}
