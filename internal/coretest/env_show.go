package coretest

import (
	"sort"
	"testing"

	"github.com/cockroachdb/datadriven"
)

// members N: the node's table, one member a line in name order.
func (e *Env) handleMembers(t testing.TB, d *datadriven.TestData) {
	ms := e.onlyHost(t, d).Node.Members()
	sort.Slice(ms, func(i, j int) bool { return ms[i].Name < ms[j].Name })
	for _, m := range ms {
		e.println(FormatMember(m))
	}
}
