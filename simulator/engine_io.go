package simulator

import (
	"bytes"
	"hash/crc32"
	"net/netip"
	"time"

	"github.com/meshd/meshd/internal/membership"
)

var castagnoli = crc32.MakeTable(crc32.Castagnoli)

// arrive handles a datagram reaching an address: dropped if nobody runs
// there, deferred if the node is slow, processed otherwise.
func (e *engine) arrive(ev *event) {
	owner := int32(-1)
	if int(ev.to) < len(e.addrOwner) {
		owner = e.addrOwner[ev.to]
	}
	if owner < 0 {
		e.m.drop(dropUnknown)
		return
	}
	nd := &e.nodes[owner]
	if !nd.running() {
		e.m.drop(dropDown)
		if ev.kind == evDeliver {
			if sender := e.ownerOf(ev.from); sender >= 0 {
				e.det.sentToDown(e, sender, owner)
			}
		}
		return
	}
	hb := ev.kind == evHeartbeat
	if nd.slow > 0 {
		at := max(e.now+nd.slow, nd.procAt)
		nd.procAt = at
		var flag uint8
		if hb {
			flag = 1
		}
		e.q.push(event{at: at, kind: evProcess, to: owner, from: ev.from, data: ev.data, gen: nd.gen, flag: flag})
		return
	}
	e.process(owner, ev.from, ev.data, hb)
}

func (e *engine) ownerOf(addr int32) int32 {
	if addr < 0 || int(addr) >= len(e.addrOwner) {
		return -1
	}
	return e.addrOwner[addr]
}

// process hands a datagram to node x's core: the real decoder runs here.
func (e *engine) process(x, fromAddr int32, data []byte, heartbeat bool) {
	e.m.delivered++
	e.quiet.delivered(e.now, e.ownerOf(fromAddr), x)
	kind := uint64(1)
	if heartbeat {
		kind = 2
	}
	e.tr.add(kind, uint64(e.now), uint64(fromAddr), uint64(x), uint64(len(data)), uint64(crc32.Checksum(data, castagnoli)))
	nd := &e.nodes[x]
	from := addrOf(fromAddr)
	if heartbeat {
		nd.n.StepHeartbeat(e.t(), from, data)
	} else {
		nd.n.Step(e.t(), from, data)
	}
	e.flush(x, false)
}

// flush takes what node x produced (Ready) and acts on it: packets into the
// network, heartbeats to its LAN segment, events into the measures, and the
// next timer deadline into the queue.
func (e *engine) flush(x int32, afterTick bool) {
	nd := &e.nodes[x]
	rd := nd.n.Ready()
	for _, p := range rd.Packets {
		e.send(x, p.Addr, p.Data)
	}
	for _, hb := range rd.Heartbeats {
		e.multicast(x, hb)
	}
	if nd.status == statusLive {
		for i := range rd.Events {
			e.observe(x, &rd.Events[i])
		}
	}
	e.scheduleTick(x, rd.Deadline, afterTick)
	if nd.status == statusLive {
		e.updateView(x)
		if nd.candRefs > 0 {
			e.det.checkSuspicion(e, x)
		}
	}
}

// minTickGap keeps a core that returns a deadline it has already passed
// from spinning the simulator at one instant; such deadlines are counted.
const minTickGap = int64(time.Millisecond)

func (e *engine) scheduleTick(x int32, deadline time.Time, afterTick bool) {
	nd := &e.nodes[x]
	// A zero deadline means a timer is due at once (the first heartbeat).
	at := e.now
	if !deadline.IsZero() {
		at = int64(deadline.Sub(epoch))
	}
	if at <= e.now {
		if afterTick {
			at = e.now + minTickGap
			e.m.staleDeadlines++
		} else {
			at = e.now
		}
	}
	if nd.tickAt >= 0 && nd.tickAt <= at {
		return // an earlier tick is queued; it will ask again
	}
	nd.tickAt = at
	e.q.push(event{at: at, kind: evTick, to: x, gen: nd.gen})
}

// send puts one unicast datagram of node x on the network.
func (e *engine) send(x int32, to netip.AddrPort, data []byte) {
	e.m.sent(len(data))
	dst, ok := addrNumber(to)
	if !ok || e.ownerOf(dst) < 0 {
		e.m.drop(dropUnknown)
		return
	}
	owner := e.addrOwner[dst]
	reason, delay, dup, dupDelay := e.nw.transmit(x, owner, len(data))
	if reason != dropNone {
		e.m.drop(reason)
		return
	}
	from := e.nodes[x].addr
	e.q.push(event{at: e.now + delay, kind: evDeliver, from: from, to: dst, data: data})
	if dup {
		e.m.duplicated++
		// The copy gets its own buffer, as it would off a real socket.
		e.q.push(event{at: e.now + dupDelay, kind: evDeliver, from: from, to: dst, data: bytes.Clone(data)})
	}
}

// multicast delivers one heartbeat to every running node of x's segment
// (one datagram on the wire, counted once).
func (e *engine) multicast(x int32, data []byte) {
	e.m.sent(len(data))
	e.m.heartbeats++
	seg := e.segment[x]
	if seg < 0 {
		return
	}
	from := e.nodes[x].addr
	for _, j := range e.segNodes[seg] {
		if j == x || !e.nodes[j].running() {
			continue
		}
		reason, delay, dup, dupDelay := e.nw.transmit(x, j, len(data))
		if reason != dropNone {
			e.m.drop(reason)
			continue
		}
		to := e.nodes[j].addr
		e.q.push(event{at: e.now + delay, kind: evHeartbeat, from: from, to: to, data: data})
		if dup {
			e.m.duplicated++
			e.q.push(event{at: e.now + dupDelay, kind: evHeartbeat, from: from, to: to, data: bytes.Clone(data)})
		}
	}
}

// observe feeds one membership event of live node x into the measures.
func (e *engine) observe(x int32, ev *membership.Event) {
	if ev.Type == membership.EventSuspect || ev.Type == membership.EventAlive {
		// Suspicion is not a verdict: the measures count verdicts, and the
		// trace records them, so that its hash still compares with runs
		// from before the engine reported suspicion.
		return
	}
	m, ok := e.nameIdx[ev.Member.Name]
	if !ok {
		return
	}
	e.tr.add(3, uint64(e.now), uint64(ev.Type), uint64(x), uint64(m), 0)
	switch ev.Type {
	case membership.EventJoin:
		e.fp.alive(e.now, x, m)
	case membership.EventFail:
		e.m.deadVerdicts++
		if e.det.dead(e, x, m) {
			return // a true positive
		}
		if e.nodes[m].status == statusLive {
			reachable := e.nw.reachable(x, m)
			e.fp.dead(e.now, x, m, reachable)
			if reachable && e.onFalse != nil {
				e.onFalse(FalseVerdict{At: e.now, Observer: x, Member: m,
					SilentIn: e.now - e.quiet.lastIn[m], SilentOut: e.now - e.quiet.lastOut[m]})
			}
		}
	case membership.EventLeave:
		e.det.know(e.now, x, m)
	}
}

// updateView re-reads node x's view and whether it matches the live set.
func (e *engine) updateView(x int32) {
	nd := &e.nodes[x]
	live, hash := nd.n.View()
	if live == nd.viewLive && hash == nd.viewHash {
		return
	}
	nd.viewLive, nd.viewHash = live, hash
	e.setCorrect(x, e.m.matches(live, hash))
	e.m.checkConverged(e.now)
}

func (e *engine) setCorrect(x int32, c bool) {
	nd := &e.nodes[x]
	if c == nd.correct {
		return
	}
	nd.correct = c
	if c {
		e.m.correct++
		e.det.viewCorrect(e.now, x)
	} else {
		e.m.correct--
	}
}
