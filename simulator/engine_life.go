package simulator

import (
	"fmt"
	"time"

	"github.com/meshd/meshd/internal/membership"
)

// preloader is implemented by *core.Node: a formed scenario starts its
// boot nodes knowing each other.
type preloader interface {
	Preload(now time.Time, ms []membership.Member)
}

// start creates node x's core for a new life and hands it the seeds as a
// static strategy would (the core joins them); a boot node of a formed
// scenario starts knowing the whole initial cluster instead, so it joins
// none of them.
func (e *engine) start(x int32, boot bool) {
	nd := &e.nodes[x]
	n, err := e.newNode(e.nodeConfig(x), e.t())
	if err != nil {
		e.err = fmt.Errorf("simulator: creating %s at %s: %w", e.names[x], fmtSeconds(e.now), err)
		return
	}
	if nd.n != nil {
		e.m.retire(nd.n)
	}
	nd.n = n
	nd.gen++
	nd.tickAt = -1
	nd.viewLive, nd.viewHash, nd.correct = 0, 0, false
	e.goLive(x)
	if boot && e.formed != nil {
		p, ok := n.(preloader)
		if !ok {
			e.err = fmt.Errorf("simulator: %s cannot start formed: its node has no Preload", e.names[x])
			return
		}
		p.Preload(e.t(), e.formed)
	}
	if len(e.sc.Seeds) > 0 {
		n.SetDiscovered(e.t(), e.seedAddrs())
	}
	e.flush(x, false)
}

// goLive adds x to the expected live set and re-rates every view against it.
func (e *engine) goLive(x int32) {
	e.nodes[x].status = statusLive
	e.m.expect(e.now, e.nameHash[x], +1)
	e.rescoreViews()
}

// goAway removes x from the expected live set (crash, leave).
func (e *engine) goAway(x int32, st nodeStatus) {
	nd := &e.nodes[x]
	if nd.correct {
		nd.correct = false
		e.m.correct--
	}
	nd.status = st
	e.m.expect(e.now, e.nameHash[x], -1)
	e.det.observerGone(e, x)
	e.fp.gone(e.now, x)
	e.rescoreViews()
}

// rescoreViews re-checks every live node's cached view against the expected
// live set, which just changed.
func (e *engine) rescoreViews() {
	for i := range e.nodes {
		nd := &e.nodes[i]
		if nd.status == statusLive {
			e.setCorrect(int32(i), e.m.matches(nd.viewLive, nd.viewHash))
		}
	}
	e.m.checkConverged(e.now)
}

func (e *engine) crash(x int32) bool {
	nd := &e.nodes[x]
	if nd.status != statusLive {
		return false
	}
	nd.gen++
	nd.tickAt = -1
	e.goAway(x, statusCrashed)
	e.det.open(e, x, false)
	return true
}

func (e *engine) leave(x int32) bool {
	nd := &e.nodes[x]
	if nd.status != statusLive {
		return false
	}
	e.goAway(x, statusLeaving)
	e.det.open(e, x, true)
	nd.n.Leave(e.t())
	e.flush(x, false)
	e.q.push(event{at: e.now + int64(e.sc.LeavePropagateDelay), kind: evStop, to: x, gen: nd.gen})
	return true
}

// stop ends a graceful leave: the node stops, as meshd does after
// LeavePropagateDelay.
func (e *engine) stop(x int32, gen uint32) {
	nd := &e.nodes[x]
	if gen != nd.gen || nd.status != statusLeaving {
		return
	}
	nd.status = statusLeft
	nd.gen++
	nd.tickAt = -1
}

// restart brings back a crashed or left node: the same core where it stopped
// (keepState, crashed nodes only), or a fresh one, optionally at a new
// address.
func (e *engine) restart(x int32, keepState, newAddress bool) bool {
	nd := &e.nodes[x]
	if nd.status != statusCrashed && nd.status != statusLeft {
		return false
	}
	e.det.restarted(e, x)
	nd.life++
	if newAddress {
		if len(e.addrOwner) >= maxAddrs {
			e.warnf("%s: no address left for a new one; restarting at the old address", e.names[x])
		} else {
			e.addrOwner[nd.addr] = -1
			nd.addr = int32(len(e.addrOwner))
			e.addrOwner = append(e.addrOwner, x)
			if e.isSeed[x] {
				defer e.seedMoved()
			}
		}
	}
	if keepState && nd.status == statusCrashed && !newAddress {
		nd.gen++
		nd.tickAt = -1
		e.goLive(x)
		nd.n.Tick(e.t())
		e.flush(x, true)
		return true
	}
	e.start(x, false)
	return true
}

// seedMoved hands every running node the seeds' new addresses, as a
// strategy reports a seed that came back elsewhere.
func (e *engine) seedMoved() {
	seeds := e.seedAddrs()
	for i := range e.nodes {
		if e.nodes[i].running() {
			e.nodes[i].n.SetDiscovered(e.t(), seeds)
			e.flush(int32(i), false)
		}
	}
}
