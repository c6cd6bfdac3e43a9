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

// start creates node x's core for a new life and joins it to the seeds; a
// boot node of a formed scenario starts knowing the whole initial cluster
// instead.
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
	nd.seedAlive = 0
	nd.viewLive, nd.viewHash, nd.correct = 0, 0, false
	e.goLive(x)
	if boot && e.formed != nil {
		p, ok := n.(preloader)
		if !ok {
			e.err = fmt.Errorf("simulator: %s cannot start formed: its node has no Preload", e.names[x])
			return
		}
		p.Preload(e.t(), e.formed)
		nd.seedAlive = e.formedSeeds // known alive, so the strategy poll does not re-join them
		if b := e.seedBit[x]; b >= 0 {
			nd.seedAlive &^= 1 << b
		}
	} else if seeds := e.seedAddrs(x, false); len(seeds) > 0 {
		n.Join(e.t(), seeds)
	}
	e.flush(x, false)
	e.schedulePoll(x, true)
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

// schedulePoll queues x's next strategy poll; the first is at a random
// phase so 10,000 nodes do not poll in the same instant.
func (e *engine) schedulePoll(x int32, first bool) {
	if len(e.sc.Seeds) == 0 {
		return
	}
	iv := int64(e.sc.PollInterval)
	at := e.now + iv
	if first {
		at = e.now + 1 + e.pick.Int64N(iv)
	}
	e.q.push(event{at: at, kind: evPoll, to: x, gen: e.nodes[x].gen})
}

// poll does what meshd's runtime does with a static strategy: join every
// seed that is not an alive member, so isolated nodes and halves of a
// healed partition find each other again.
func (e *engine) poll(x int32, gen uint32) {
	nd := &e.nodes[x]
	if gen != nd.gen || nd.status != statusLive {
		return
	}
	if seeds := e.seedAddrs(x, true); len(seeds) > 0 {
		nd.n.Join(e.t(), seeds)
		e.flush(x, false)
	}
	e.schedulePoll(x, false)
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
		}
	}
	if keepState && nd.status == statusCrashed && !newAddress {
		nd.gen++
		nd.tickAt = -1
		e.goLive(x)
		nd.n.Tick(e.t())
		e.flush(x, true)
		e.schedulePoll(x, true)
		return true
	}
	e.start(x, false)
	return true
}
