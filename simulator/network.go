package simulator

import "math/rand/v2"

// dropReason says why a datagram never reached a node.
type dropReason uint8

const (
	dropNone      dropReason = iota
	dropLoss                 // random loss of the link
	dropPartition            // a partition or one-way cut between the nodes
	dropMTU                  // larger than the link's MTU allows
	dropDown                 // the receiver was crashed, left or not started
	dropUnknown              // no node has the destination address
	numDropReasons
)

var dropNames = [numDropReasons]string{"", "loss", "partition", "mtu", "down", "unknown-address"}

// network is the virtual network between node indices: link properties,
// partitions and one-way cuts. All randomness comes from one seeded stream
// drawn in event order, so it is reproducible.
type network struct {
	nodes int
	def   LinkParams
	rules []rule
	// side[i] is node i's side of the current partition; 0 means the node
	// is on no side and reaches everyone.
	side []uint16
	cuts []cut
	rng  *rand.Rand
}

type rule struct {
	from, to bitset
	both     bool
	patch    linkPatch
	params   LinkParams // def with patch applied, refreshed when def changes
}

type cut struct{ from, to bitset }

func newNetwork(nodes int, cfg NetConfig, rng *rand.Rand) *network {
	nw := &network{nodes: nodes, def: cfg.Default, side: make([]uint16, nodes), rng: rng}
	nw.setRules(cfg.Links)
	return nw
}

func (nw *network) setRules(rs []LinkRule) {
	nw.rules = nw.rules[:0]
	for _, r := range rs {
		nw.rules = append(nw.rules, rule{
			from: r.From.staticSet(nw.nodes), to: r.To.staticSet(nw.nodes),
			both: r.Both, patch: r.Patch, params: r.Patch.apply(nw.def),
		})
	}
}

// change applies a network event: new default link fields and, when given,
// new rules. Rules keep their own overrides on top of the new default.
func (nw *network) change(p *netPatch) {
	nw.def = p.link.apply(nw.def)
	if p.setLinks {
		nw.setRules(p.links)
		return
	}
	for i := range nw.rules {
		nw.rules[i].params = nw.rules[i].patch.apply(nw.def)
	}
}

// link returns the parameters for datagrams from -> to: the first matching
// rule, else the default.
func (nw *network) link(from, to int32) *LinkParams {
	for i := range nw.rules {
		r := &nw.rules[i]
		if (r.from.has(from) && r.to.has(to)) || (r.both && r.from.has(to) && r.to.has(from)) {
			return &r.params
		}
	}
	return &nw.def
}

// blocked reports whether a partition or cut stops datagrams from -> to.
func (nw *network) blocked(from, to int32) bool {
	if a, b := nw.side[from], nw.side[to]; a != 0 && b != 0 && a != b {
		return true
	}
	for i := range nw.cuts {
		if nw.cuts[i].from.has(from) && nw.cuts[i].to.has(to) {
			return true
		}
	}
	return false
}

// reachable reports whether both directions between a and b are open, the
// test for whether a death verdict between them is a false positive.
func (nw *network) reachable(a, b int32) bool { return !nw.blocked(a, b) && !nw.blocked(b, a) }

// partition replaces the current partition with these sides.
func (nw *network) partition(sides []bitset) {
	for i := range nw.side {
		nw.side[i] = 0
	}
	for s, set := range sides {
		for i := int32(0); int(i) < nw.nodes; i++ {
			if set.has(i) {
				nw.side[i] = uint16(s + 1)
			}
		}
	}
}

func (nw *network) cut(from, to bitset) { nw.cuts = append(nw.cuts, cut{from, to}) }

// heal removes the partition and every cut.
func (nw *network) heal() {
	for i := range nw.side {
		nw.side[i] = 0
	}
	nw.cuts = nw.cuts[:0]
}

// transmit decides the fate of one datagram of size payload bytes from ->
// to: dropped (and why), or delivered after delay, plus, when duplicated, a
// second copy after dupDelay (dup true).
func (nw *network) transmit(from, to int32, size int) (reason dropReason, delay int64, dup bool, dupDelay int64) {
	if nw.blocked(from, to) {
		return dropPartition, 0, false, 0
	}
	l := nw.link(from, to)
	if size+udpIPv4Overhead > l.MTU {
		return dropMTU, 0, false, 0
	}
	if l.Loss > 0 && nw.rng.Float64() < l.Loss {
		return dropLoss, 0, false, 0
	}
	delay = nw.delay(l)
	if l.Duplicate > 0 && nw.rng.Float64() < l.Duplicate {
		dup, dupDelay = true, nw.delay(l)
	}
	return dropNone, delay, dup, dupDelay
}

func (nw *network) delay(l *LinkParams) int64 {
	d := l.Latency.sample(nw.rng)
	if l.Reorder > 0 && l.ReorderDelay > 0 && nw.rng.Float64() < l.Reorder {
		d += nw.rng.Int64N(int64(l.ReorderDelay))
	}
	return d
}
