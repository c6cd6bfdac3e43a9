package core

import (
	"time"

	"github.com/meshd/meshd/internal/membership"
)

// Rejoin: a node restarted with the members of its earlier run
// (Config.Rejoin, from a snapshot) joins them until one answers or another
// member is alive anyway (found by discovery, or one of them joined us),
// with capped exponential backoff between attempts: the cluster may be
// restarting too. By the last attempt, some ten minutes on, either the
// cluster is back (and its members, which keep this node in their tables
// as dead, reconnect to it) or the snapshot is stale.
const (
	rejoinFirstWait = time.Second
	rejoinMaxWait   = 30 * time.Second
	rejoinAttempts  = 25
)

// rejoin is the state of the snapshot rejoin.
type rejoin struct {
	attempt int           // attempts started so far
	wait    time.Duration // before the next attempt
	next    time.Time     // next attempt; zero while one runs or once done
}

// startRejoin makes the first rejoin attempt, if Config.Rejoin gives any.
func (n *Node) startRejoin() {
	if len(n.cfg.Rejoin) == 0 {
		return
	}
	n.rj.wait = rejoinFirstWait
	n.rejoinAttempt()
}

// rejoinAttempt starts the next attempt unless another member is alive.
func (n *Node) rejoinAttempt() {
	n.rj.next = time.Time{}
	if n.leaving || n.othersAlive() {
		return
	}
	n.rj.attempt++
	n.startJoin(JoinRejoin, n.cfg.Rejoin, n.now.Add(n.joinTimeout()))
}

// rejoinEnded schedules the next attempt after one that ended unanswered,
// and completes the attempt's report.
func (n *Node) rejoinEnded(rep *JoinReport) {
	rep.Attempt = n.rj.attempt
	if rep.End != JoinUnanswered || len(rep.Seeds) == 0 || n.rj.attempt >= rejoinAttempts {
		return
	}
	n.rj.next = n.now.Add(n.rj.wait)
	n.rj.wait = min(2*n.rj.wait, rejoinMaxWait)
	rep.Retry = n.rj.next
}

// othersAlive says whether a member other than this node is alive.
func (n *Node) othersAlive() bool {
	if n.table.Live() <= 1 {
		return false
	}
	found := false
	n.table.Each(func(m *membership.Member) {
		found = found || (m.Name != n.cfg.Name && m.State == membership.StateAlive)
	})
	return found
}
