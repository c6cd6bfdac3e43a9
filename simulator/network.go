package simulator

import (
	"math/rand/v2"

	"github.com/meshd/meshd/internal/vnet"
)

// dropReason says why a datagram never reached a node; the reasons are the
// shared virtual network's.
type dropReason = vnet.Drop

const (
	dropNone       = vnet.DropNone
	dropLoss       = vnet.DropLoss
	dropPartition  = vnet.DropPartition
	dropMTU        = vnet.DropMTU
	dropDown       = vnet.DropDown
	dropUnknown    = vnet.DropUnknown
	numDropReasons = vnet.NumDrops
)

// dropNames are the reasons' names as summary.json shows them.
var dropNames = func() (names [numDropReasons]string) {
	for i := range names {
		names[i] = dropReason(i).String()
	}
	return names
}()

// network is the scenario's view of the shared virtual network (package
// vnet): it keeps the link rules as the file gave them, patches over the
// default link, so that a network event that changes the default refreshes
// every rule's link, and turns the scenario's node sets into vnet sets.
type network struct {
	*vnet.Network
	nodes int
	def   LinkParams
	rules []LinkRule
}

func newNetwork(nodes int, cfg NetConfig, rng *rand.Rand) *network {
	nw := &network{Network: vnet.New(nodes, cfg.Default, rng), nodes: nodes, def: cfg.Default}
	nw.setRules(cfg.Links)
	return nw
}

func (nw *network) setRules(rs []LinkRule) {
	nw.rules = rs
	nw.compileRules()
}

// compileRules hands the network every rule with its patch applied to the
// current default.
func (nw *network) compileRules() {
	out := make([]vnet.Rule, 0, len(nw.rules))
	for _, r := range nw.rules {
		out = append(out, vnet.Rule{
			From: vnet.Set(r.From.staticSet(nw.nodes)), To: vnet.Set(r.To.staticSet(nw.nodes)),
			Both: r.Both, Link: r.Patch.apply(nw.def),
		})
	}
	nw.SetRules(out)
}

// change applies a network event: new default link fields and, when given,
// new rules. Rules keep their own overrides on top of the new default.
func (nw *network) change(p *netPatch) {
	nw.def = p.link.apply(nw.def)
	nw.SetDefault(nw.def)
	if p.setLinks {
		nw.rules = p.links
	}
	nw.compileRules()
}

// link returns the parameters for datagrams from -> to.
func (nw *network) link(from, to int32) *LinkParams { return nw.Link(from, to) }

// reachable reports whether both directions between a and b are open, the
// test for whether a death verdict between them is a false positive.
func (nw *network) reachable(a, b int32) bool { return nw.Reachable(a, b) }

// partition replaces the current partition with these sides.
func (nw *network) partition(sides []bitset) {
	vs := make([]vnet.Set, len(sides))
	for i, s := range sides {
		vs[i] = vnet.Set(s)
	}
	nw.Partition(vs)
}

// cut stops datagrams from -> to, one way, until heal.
func (nw *network) cut(from, to bitset) { nw.Cut(vnet.Set(from), vnet.Set(to)) }

// heal removes the partition and every cut.
func (nw *network) heal() { nw.Heal() }

// transmit decides the fate of one datagram of size payload bytes from ->
// to: dropped (and why), or delivered after delay, plus, when duplicated, a
// second copy after dupDelay (dup true).
func (nw *network) transmit(from, to int32, size int) (reason dropReason, delay int64, dup bool, dupDelay int64) {
	f := nw.Transmit(from, to, size)
	return f.Drop, int64(f.Delay), f.Dup, int64(f.DupDelay)
}
