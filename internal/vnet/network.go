package vnet

import (
	"math/rand/v2"
	"time"
)

// Network is the virtual network between node indices 0..Size()-1. It is
// not safe for concurrent use; a driver owns it on its one goroutine.
type Network struct {
	def   Link
	rules []Rule
	// side[i] is node i's side of the current partition; 0 means the node
	// is on no side and reaches everyone.
	side []uint16
	cuts []cut
	rng  *rand.Rand
}

// Rule overrides the default link for datagrams from a node of From to a
// node of To, and back when Both. The first matching rule wins.
type Rule struct {
	From, To Set
	Both     bool
	Link     Link
}

type cut struct{ from, to Set }

// Fate is what the network does with one datagram: drop it (Drop is not
// DropNone), or deliver it after Delay and, when Dup, a second copy after
// DupDelay.
type Fate struct {
	Drop     Drop
	Delay    time.Duration
	Dup      bool
	DupDelay time.Duration
}

// New returns a network of n nodes whose links are def, drawing every
// random choice from rng.
func New(n int, def Link, rng *rand.Rand) *Network {
	return &Network{def: def, side: make([]uint16, n), rng: rng}
}

// Size is the number of nodes.
func (nw *Network) Size() int { return len(nw.side) }

// Grow adds nodes up to n in all; a new node is on no side of the current
// partition, in no cut and no rule.
func (nw *Network) Grow(n int) {
	for len(nw.side) < n {
		nw.side = append(nw.side, 0)
	}
}

// Default is the link of every pair no rule matches.
func (nw *Network) Default() Link { return nw.def }

// SetDefault replaces the default link. Rules keep the links they were given.
func (nw *Network) SetDefault(l Link) { nw.def = l }

// SetRules replaces the link rules.
func (nw *Network) SetRules(rs []Rule) { nw.rules = append(nw.rules[:0], rs...) }

// Link returns the parameters for datagrams from -> to: the first matching
// rule, else the default.
func (nw *Network) Link(from, to int32) *Link {
	for i := range nw.rules {
		r := &nw.rules[i]
		if (r.From.Has(from) && r.To.Has(to)) || (r.Both && r.From.Has(to) && r.To.Has(from)) {
			return &r.Link
		}
	}
	return &nw.def
}

// Blocked reports whether a partition or cut stops datagrams from -> to.
func (nw *Network) Blocked(from, to int32) bool {
	if a, b := nw.side[from], nw.side[to]; a != 0 && b != 0 && a != b {
		return true
	}
	for i := range nw.cuts {
		if nw.cuts[i].from.Has(from) && nw.cuts[i].to.Has(to) {
			return true
		}
	}
	return false
}

// Reachable reports whether both directions between a and b are open: a
// death verdict between them is then a false positive.
func (nw *Network) Reachable(a, b int32) bool { return !nw.Blocked(a, b) && !nw.Blocked(b, a) }

// Partition replaces the current partition with these sides: nodes on
// different sides cannot reach each other; a node on no side reaches all.
func (nw *Network) Partition(sides []Set) {
	for i := range nw.side {
		nw.side[i] = 0
	}
	for s, set := range sides {
		for i := range nw.side {
			if set.Has(int32(i)) {
				nw.side[i] = uint16(s + 1)
			}
		}
	}
}

// Cut stops datagrams from any node of from to any node of to, in that
// direction only, until Heal.
func (nw *Network) Cut(from, to Set) { nw.cuts = append(nw.cuts, cut{from, to}) }

// Heal removes the partition and every cut.
func (nw *Network) Heal() {
	for i := range nw.side {
		nw.side[i] = 0
	}
	nw.cuts = nw.cuts[:0]
}

// Transmit decides the fate of one datagram of size payload bytes from ->
// to. The order of its checks and draws is part of the network's
// definition: changing it changes every seeded run.
func (nw *Network) Transmit(from, to int32, size int) Fate {
	if nw.Blocked(from, to) {
		return Fate{Drop: DropPartition}
	}
	l := nw.Link(from, to)
	if size+UDPIPv4Overhead > l.MTU {
		return Fate{Drop: DropMTU}
	}
	if l.Loss > 0 && nw.rng.Float64() < l.Loss {
		return Fate{Drop: DropLoss}
	}
	f := Fate{Delay: nw.delay(l)}
	if l.Duplicate > 0 && nw.rng.Float64() < l.Duplicate {
		f.Dup, f.DupDelay = true, nw.delay(l)
	}
	return f
}

func (nw *Network) delay(l *Link) time.Duration {
	d := l.Latency.Sample(nw.rng)
	if l.Reorder > 0 && l.ReorderDelay > 0 && nw.rng.Float64() < l.Reorder {
		d += time.Duration(nw.rng.Int64N(int64(l.ReorderDelay)))
	}
	return d
}
