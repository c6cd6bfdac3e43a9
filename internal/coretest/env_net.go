package coretest

import (
	"testing"

	"github.com/cockroachdb/datadriven"
	"github.com/meshd/meshd/internal/vnet"
)

// set returns the network's set of these hosts.
func (e *Env) set(hs []*Host) vnet.Set {
	s := vnet.NewSet(len(e.Net.Nodes))
	for _, h := range hs {
		s.Add(int32(h.Index))
	}
	return s
}

// partition (n0,n1) (n2,n3,n4): nodes on different sides cannot reach each
// other; a node on no side reaches everyone. Replaces any partition.
func (e *Env) handlePartition(t testing.TB, d *datadriven.TestData) {
	var sides []vnet.Set
	for _, side := range positional(d) {
		sides = append(sides, e.set(e.hosts(t, d, []string{side})))
	}
	if len(sides) < 2 {
		d.Fatalf(t, "partition wants two sides or more")
	}
	e.Net.Links.Partition(sides)
}

// cut from=(..) [to=(..)]: datagrams from -> to (default: to every node)
// are lost, one way only, until heal.
func (e *Env) handleCut(t testing.TB, d *datadriven.TestData) {
	from := e.hostsArg(t, d, "from")
	if len(from) == 0 {
		d.Fatalf(t, "cut wants from=(..)")
	}
	to := e.hostsArg(t, d, "to")
	if to == nil {
		to = e.Net.Nodes
	}
	e.Net.Links.Cut(e.set(from), e.set(to))
}

// heal: removes the partition, every cut and every lose rule.
func (e *Env) handleHeal(t testing.TB, d *datadriven.TestData) {
	e.Net.Links.Heal()
	e.lose = nil
}
