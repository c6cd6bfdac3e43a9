package core

import (
	"net/netip"
	"slices"
	"time"

	"github.com/meshd/meshd/internal/membership"
	"github.com/meshd/meshd/internal/wire"
)

// A join attempt asks seeds for their member table (JoinReq) until they
// answer (JoinDone closes the state transfer), and the core owns every
// decision of it: UDP may lose the request or the answer, so the request is
// resent every ProbeTimeout to the seeds that have not answered; once one
// seed answered this node is in, and the silent ones get joinGraceResends
// more resends (they may be dead, as seeds from a snapshot or a stale list
// often are); an attempt that no seed answers gives up at its give-up time.
// Ready.Joins reports every attempt's progress, so a driver only relays it.

// JoinID names one join attempt in Ready.Joins. It is never zero.
type JoinID uint64

// JoinCause says what started a join attempt.
type JoinCause uint8

const (
	// JoinRequested: the driver called Join or JoinUntil.
	JoinRequested JoinCause = iota
	// JoinDiscovered: addresses given to SetDiscovered that are not alive members.
	JoinDiscovered
	// JoinRejoin: Config.Rejoin, the members of an earlier run.
	JoinRejoin
)

// JoinEnd says whether a join attempt still sends requests, and if not, why.
type JoinEnd uint8

const (
	// JoinPending: the attempt is still resending to silent seeds.
	JoinPending JoinEnd = iota
	// JoinAnswered: at least one seed answered; every seed did, or the
	// grace resends to the silent ones are over, or the give-up time passed.
	JoinAnswered
	// JoinUnanswered: the give-up time passed and no seed answered.
	JoinUnanswered
	// JoinCancelled: CancelJoin or Leave ended it.
	JoinCancelled
	// JoinNotNeeded: a rejoin found another member alive, so its seeds are
	// not needed any more.
	JoinNotNeeded
)

// JoinReport is the state of one join attempt, reported in Ready.Joins
// whenever it changed: a seed answered, or the attempt ended. Reports are
// cumulative (Answered holds every seed that answered so far), so a driver
// needs only the latest report of an attempt.
type JoinReport struct {
	ID    JoinID
	Cause JoinCause
	// Seeds are the addresses asked, this node's own and invalid ones left out.
	Seeds []netip.AddrPort
	// Answered are the seeds whose state transfer completed, in order.
	Answered []netip.AddrPort
	End      JoinEnd
	// Attempt is the rejoin's attempt number (1 for the first), for
	// JoinRejoin only.
	Attempt int
	// Retry is when the next rejoin attempt starts, for a JoinRejoin that
	// ended unanswered; zero when the rejoin gave up (or for other causes).
	Retry time.Time
}

// joinGraceResends is how many more times the silent seeds of an attempt
// are asked once one seed answered.
const joinGraceResends = 2

// joinAttempt is one open join attempt.
type joinAttempt struct {
	rep    JoinReport
	next   time.Time // next resend
	giveUp time.Time
	grace  int // resends left once a seed answered; -1 before that
}

// Join starts a join attempt: it asks each address for the full member
// table, resends to the silent ones every ProbeTimeout, and gives up after
// 5 ProbeIntervals if none answered (JoinUntil sets another time). Each
// round of requests also queues this node's alive message for gossip. The returned JoinID names the attempt in
// Ready.Joins; an attempt with no address to ask (only this node's own, or
// invalid ones) is reported ended unanswered at once.
func (n *Node) Join(now time.Time, addrs []netip.AddrPort) JoinID {
	return n.JoinUntil(now, addrs, time.Time{})
}

// JoinUntil is Join with the give-up time given; zero means Join's default
// (5 ProbeIntervals from now). A driver whose caller set a deadline passes it.
func (n *Node) JoinUntil(now time.Time, addrs []netip.AddrPort, giveUp time.Time) JoinID {
	n.now = now
	if giveUp.IsZero() {
		giveUp = now.Add(n.joinTimeout())
	}
	return n.startJoin(JoinRequested, addrs, giveUp)
}

// CancelJoin ends a join attempt (its driver's caller stopped waiting): no
// more requests are sent, and the attempt is reported JoinCancelled. An
// attempt already ended is left alone. A rejoin attempt cannot be
// cancelled by its ID; Leave ends the rejoin.
func (n *Node) CancelJoin(now time.Time, id JoinID) {
	n.now = now
	for i, a := range n.joins {
		if a.rep.ID == id && a.rep.Cause != JoinRejoin {
			n.endJoin(i, JoinCancelled)
			return
		}
	}
}

// joinTimeout is the give-up time of an attempt started without one.
func (n *Node) joinTimeout() time.Duration { return 5 * n.cfg.ProbeInterval }

// startJoin opens an attempt on the valid addresses other than this
// node's, sends the first requests and returns its ID.
func (n *Node) startJoin(cause JoinCause, addrs []netip.AddrPort, giveUp time.Time) JoinID {
	n.lastJoinID++
	self := n.table.Self().Addr
	var seeds []netip.AddrPort
	for _, a := range addrs {
		if a.IsValid() && a != self && !slices.Contains(seeds, a) {
			seeds = append(seeds, a)
		}
	}
	a := &joinAttempt{rep: JoinReport{ID: n.lastJoinID, Cause: cause, Seeds: seeds},
		giveUp: giveUp, grace: -1}
	n.joins = append(n.joins, a)
	if len(seeds) == 0 {
		n.endJoin(len(n.joins)-1, JoinUnanswered)
		return a.rep.ID
	}
	n.resendJoin(a)
	return a.rep.ID
}

// resendJoin asks every seed of a that has not answered yet, and announces
// this node: not only through the seed, since once the seed's table
// arrives our own gossip rounds carry our alive message to random members,
// so one unlucky epidemic from the seed (whose retransmit budget is small
// while the cluster is small) cannot leave anyone unaware of us until
// anti-entropy.
func (n *Node) resendJoin(a *joinAttempt) {
	self := aliveOf(n.table.Self())
	for _, s := range a.rep.Seeds {
		if !slices.Contains(a.rep.Answered, s) {
			n.send(s, wire.JoinReq{Self: self})
		}
	}
	n.broadcast(self.Name, self)
	a.next = n.now.Add(n.cfg.ProbeTimeout)
}

// joinTick resends, or ends, the attempts whose resend time came.
func (n *Node) joinTick(now time.Time) {
	for i := 0; i < len(n.joins); i++ {
		a := n.joins[i]
		if now.Before(a.next) {
			continue
		}
		switch {
		case a.rep.Cause == JoinRejoin && len(a.rep.Answered) == 0 && n.othersAlive():
			n.endJoin(i, JoinNotNeeded)
		case !now.Before(a.giveUp) || a.grace == 0:
			if len(a.rep.Answered) > 0 {
				n.endJoin(i, JoinAnswered)
			} else {
				n.endJoin(i, JoinUnanswered)
			}
		default:
			if a.grace > 0 {
				a.grace--
			}
			n.resendJoin(a)
			continue
		}
		i-- // endJoin removed n.joins[i]
	}
}

// joinDone credits an answer from addr to every open attempt that asked it.
func (n *Node) joinDone(from netip.AddrPort) {
	for i := 0; i < len(n.joins); i++ {
		a := n.joins[i]
		if !slices.Contains(a.rep.Seeds, from) || slices.Contains(a.rep.Answered, from) {
			continue
		}
		a.rep.Answered = append(a.rep.Answered, from)
		if a.grace < 0 {
			a.grace = joinGraceResends
		}
		if len(a.rep.Answered) == len(a.rep.Seeds) {
			n.endJoin(i, JoinAnswered)
			i--
			continue
		}
		n.reportJoin(a.rep)
	}
}

// endJoin closes n.joins[i] with the given end and reports it.
func (n *Node) endJoin(i int, end JoinEnd) {
	a := n.joins[i]
	n.joins = slices.Delete(n.joins, i, i+1)
	a.rep.End = end
	if a.rep.Cause == JoinRejoin {
		n.rejoinEnded(&a.rep)
	}
	n.reportJoin(a.rep)
}

// reportJoin puts rep into the output, replacing an earlier report of the
// same attempt since the last Ready.
func (n *Node) reportJoin(rep JoinReport) {
	rep.Answered = slices.Clip(slices.Clone(rep.Answered))
	for i := range n.joinReports {
		if n.joinReports[i].ID == rep.ID {
			n.joinReports[i] = rep
			return
		}
	}
	n.joinReports = append(n.joinReports, rep)
}

// joinDeadline is the earliest resend time of the open attempts.
func (n *Node) joinDeadline() time.Time {
	var dl time.Time
	for _, a := range n.joins {
		if dl.IsZero() || a.next.Before(dl) {
			dl = a.next
		}
	}
	return dl
}

// cancelJoins ends every open attempt (Leave).
func (n *Node) cancelJoins() {
	for len(n.joins) > 0 {
		n.endJoin(len(n.joins)-1, JoinCancelled)
	}
}

// handleJoinReq takes the joiner in and sends it the whole table, closed by
// JoinDone.
func (n *Node) handleJoinReq(from netip.AddrPort, m wire.JoinReq) {
	a := m.Self
	n.apply(membership.Update{Name: a.Name, Addr: a.Addr, Inc: a.Inc, State: membership.StateAlive,
		Meta: a.Meta, MetaVer: a.MetaVer}, true)
	n.sendEntries(from, n.table.Members(), true)
}

// reconnectRound contacts one random dead member: if it is in fact alive
// beyond a healed partition, telling it that it was declared dead makes it
// refute, and the join request brings its table, so the halves merge. It
// is one request, not an attempt: the next round asks again, maybe another.
func (n *Node) reconnectRound() {
	if n.leaving {
		return
	}
	t := n.table.Random(n.rng, 1, func(m *membership.Member) bool {
		return m.State == membership.StateDead
	})
	if len(t) == 0 {
		return
	}
	d := t[0]
	self := n.table.Self()
	n.send(d.Addr, wire.Dead{Name: d.Name, Inc: d.Incarnation, From: self.Name}, wire.JoinReq{Self: aliveOf(self)})
}
