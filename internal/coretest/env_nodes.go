package coretest

import (
	"strconv"
	"strings"
	"testing"

	"github.com/cockroachdb/datadriven"
)

// add-nodes N [seed=S]: adds N nodes (n0, n1, ...); the first call creates
// the network, seeded with S (default 1).
func (e *Env) handleAddNodes(t testing.TB, d *datadriven.TestData) {
	p := positional(d)
	if len(p) != 1 {
		d.Fatalf(t, "add-nodes wants a count")
	}
	count, err := strconv.Atoi(p[0])
	if err != nil || count <= 0 {
		d.Fatalf(t, "add-nodes: bad count %q", p[0])
	}
	if e.Net == nil {
		seed := int64(1)
		d.MaybeScanArgs(t, "seed", &seed)
		e.newNet(seed)
	}
	var names []string
	for i := 0; i < count; i++ {
		names = append(names, e.Net.Add().Name)
	}
	e.println("added " + strings.Join(names, " "))
}

// join via=(n0) [n1 n2 ...]: the named nodes (default: every node but the
// seeds) join through the seeds.
func (e *Env) handleJoin(t testing.TB, d *datadriven.TestData) {
	seeds := e.hostsArg(t, d, "via")
	if len(seeds) == 0 {
		d.Fatalf(t, "join wants via=(seed,...)")
	}
	joiners := e.hosts(t, d, positional(d))
	if len(joiners) == 0 {
		for _, h := range e.Net.Nodes {
			if !contains(seeds, h) {
				joiners = append(joiners, h)
			}
		}
	}
	for _, h := range joiners {
		e.step("%s joins", h.Name)
		e.Net.Join(h, seeds...)
	}
}

func contains(hs []*Host, h *Host) bool {
	for _, x := range hs {
		if x == h {
			return true
		}
	}
	return false
}

// crash N: the node stops; it neither sends nor receives.
func (e *Env) handleCrash(t testing.TB, d *datadriven.TestData) { e.Net.Crash(e.onlyHost(t, d)) }

// restart N: the node comes back as a fresh node (state lost), same name
// and address; it does not join by itself.
func (e *Env) handleRestart(t testing.TB, d *datadriven.TestData) {
	h := e.onlyHost(t, d)
	e.step("%s restarts", h.Name)
	e.Net.Restart(h)
}

// leave N: the node leaves gracefully.
func (e *Env) handleLeave(t testing.TB, d *datadriven.TestData) {
	h := e.onlyHost(t, d)
	e.step("%s leaves", h.Name)
	e.Net.Leave(h)
}

// set-meta N k=v ...: replaces the node's metadata.
func (e *Env) handleSetMeta(t testing.TB, d *datadriven.TestData) {
	h := e.onlyHost(t, d)
	meta := map[string]string{}
	for _, a := range d.CmdArgs {
		if len(a.Vals) == 1 {
			meta[a.Key] = a.Vals[0]
		}
	}
	e.step("%s sets meta %s", h.Name, FormatMeta(meta))
	if err := e.Net.SetMeta(h, meta); err != nil {
		e.println("error: " + err.Error())
	}
}
