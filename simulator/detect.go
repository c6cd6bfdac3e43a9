package simulator

import "github.com/meshd/meshd/internal/membership"

// detection follows one crash (or graceful leave) through the cluster: when
// some node first suspected it, first declared it dead, and when every node
// that was live at the crash and still is knew.
type detection struct {
	node  int32
	leave bool
	at    int64
	// -1 until it happens
	firstSuspect, firstDead, allKnow int64
	// witnesses are the nodes live at the crash; pending counts those still
	// live that do not know yet.
	witness, knows bitset
	pending        int
	// interrupted: the node came back before every witness knew.
	interrupted bool
	// cands are nodes that sent to the crashed node: one of them, its
	// prober, is the first to suspect it. The list is not capped: gossip
	// reaches a crashed node too (some GossipNodes/GossipInterval sends a
	// second in all), and a capped list filled by gossipers would miss the
	// prober and time the suspicion late.
	cands  []int32
	isCand bitset
}

type detector struct {
	recs   []*detection
	openBy []int32 // node -> index of the open record about it, -1
	active []int32 // records with pending > 0
}

func newDetector(n int) *detector {
	d := &detector{openBy: make([]int32, n)}
	for i := range d.openBy {
		d.openBy[i] = -1
	}
	return d
}

// open starts following node x, which just crashed (or began leaving).
func (d *detector) open(e *engine, x int32, leave bool) {
	r := &detection{node: x, leave: leave, at: e.now, firstSuspect: -1, firstDead: -1, allKnow: -1,
		witness: newBitset(len(e.nodes)), knows: newBitset(len(e.nodes))}
	for i := range e.nodes {
		if e.nodes[i].status == statusLive {
			r.witness.set(int32(i))
			r.pending++
		}
	}
	idx := int32(len(d.recs))
	d.recs = append(d.recs, r)
	d.openBy[x] = idx
	if r.pending == 0 {
		r.allKnow = e.now
	} else {
		d.active = append(d.active, idx)
	}
}

// dead records node obs declaring m dead; it reports whether m is a node
// the detector follows (so the verdict is a true positive).
func (d *detector) dead(e *engine, obs, m int32) bool {
	idx := d.openBy[m]
	if idx < 0 {
		return false
	}
	r := d.recs[idx]
	if !r.leave && r.firstDead < 0 {
		r.firstDead = e.now
		// A verdict ends the window in which the first suspicion can be
		// timed; a later sighting would only report the verdict again.
		d.releaseCandidates(e, r)
	}
	d.learn(e.now, idx, obs)
	return true
}

// know records node obs learning that m left.
func (d *detector) know(now int64, obs, m int32) {
	if idx := d.openBy[m]; idx >= 0 {
		d.learn(now, idx, obs)
	}
}

func (d *detector) learn(now int64, idx, obs int32) {
	r := d.recs[idx]
	if r.pending == 0 || !r.witness.has(obs) || r.knows.has(obs) {
		return
	}
	r.knows.set(obs)
	r.pending--
	if r.pending == 0 {
		r.allKnow = now
		d.deactivate(idx)
	}
}

// viewCorrect: node obs's view equals the live set, so it knows about
// every crashed node even if it learned without an event (it had already
// declared the node dead, or never knew it).
func (d *detector) viewCorrect(now int64, obs int32) {
	for i := len(d.active) - 1; i >= 0; i-- {
		if i < len(d.active) {
			d.learn(now, d.active[i], obs)
		}
	}
}

// observerGone: node o crashed or left, so no record waits for it.
func (d *detector) observerGone(e *engine, o int32) {
	for i := len(d.active) - 1; i >= 0; i-- {
		if i >= len(d.active) {
			continue
		}
		idx := d.active[i]
		r := d.recs[idx]
		if r.witness.has(o) && !r.knows.has(o) {
			r.witness.clear(o)
			r.pending--
			if r.pending == 0 {
				r.allKnow = e.now
				d.deactivate(idx)
			}
		}
	}
}

// restarted: node x is back; stop following its old crash.
func (d *detector) restarted(e *engine, x int32) {
	idx := d.openBy[x]
	if idx < 0 {
		return
	}
	r := d.recs[idx]
	if r.pending > 0 {
		r.interrupted = true
		d.deactivate(idx)
	}
	d.releaseCandidates(e, r)
	d.openBy[x] = -1
}

func (d *detector) deactivate(idx int32) {
	for i, a := range d.active {
		if a == idx {
			d.active[i] = d.active[len(d.active)-1]
			d.active = d.active[:len(d.active)-1]
			return
		}
	}
}

// sentToDown: live node s sent a datagram to crashed node x. If x's first
// suspicion is still unknown, s becomes a candidate to watch.
func (d *detector) sentToDown(e *engine, s, x int32) {
	idx := d.openBy[x]
	if idx < 0 || e.nodes[s].status != statusLive {
		return
	}
	r := d.recs[idx]
	if r.leave || r.firstSuspect >= 0 || r.firstDead >= 0 {
		return
	}
	if r.isCand == nil {
		r.isCand = newBitset(len(e.nodes))
	}
	if r.isCand.has(s) {
		return
	}
	r.isCand.set(s)
	r.cands = append(r.cands, s)
	nd := &e.nodes[s]
	if nd.candRefs == 0 {
		nd.suspBase = nd.n.Stats().Suspicions
	}
	nd.candRefs++
}

// checkSuspicion runs after candidate x processed something: if its
// suspicion counter moved, its table is read for crashed nodes now suspect
// (or already dead).
func (d *detector) checkSuspicion(e *engine, x int32) {
	nd := &e.nodes[x]
	s := nd.n.Stats().Suspicions
	if s == nd.suspBase {
		return
	}
	nd.suspBase = s
	for _, mb := range nd.n.Members() {
		if mb.State != membership.StateSuspect && mb.State != membership.StateDead {
			continue
		}
		m, ok := e.nameIdx[mb.Name]
		if !ok || d.openBy[m] < 0 {
			continue
		}
		r := d.recs[d.openBy[m]]
		if !r.leave && r.firstSuspect < 0 && r.firstDead < 0 {
			r.firstSuspect = e.now
			d.releaseCandidates(e, r)
		}
	}
}

func (d *detector) releaseCandidates(e *engine, r *detection) {
	for _, c := range r.cands {
		e.nodes[c].candRefs--
	}
	r.cands, r.isCand = nil, nil
}
