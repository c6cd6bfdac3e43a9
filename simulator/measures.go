package simulator

import (
	"maps"
	"strings"

	"github.com/meshd/meshd/internal/core"
)

// measures are the run's running figures: the expected live set, how many
// views match it, convergence, traffic and the timeline.
type measures struct {
	// The expected view: every live node (started, not crashed, not left or
	// leaving), counted and hashed the way core.Node.View does.
	live    int
	expHash uint64
	correct int // live nodes whose view equals the expected one

	allCorrect     bool
	convergedSince int64 // start of the current all-correct stretch, -1 if none
	firstConverged int64 // -1 until the first all-correct moment after the boot
	bootPending    int   // nodes of the initial boot not started yet

	// nodeNanos integrates the live count over time (node-nanoseconds), the
	// denominator of per-node rates.
	nodeNanos  float64
	lastChange int64

	messages, bytes, heartbeats uint64
	delivered, duplicated       uint64
	drops                       [numDropReasons]uint64
	deadVerdicts                uint64
	staleDeadlines              uint64

	// Core counters of node lives that ended (restarts replace the core).
	retired coreTotals

	actions []ActionResult
	pending []int // actions whose window is still open

	timeline []Sample
	prev     sampleBase
}

// sampleBase holds the counters at the previous sample, to take deltas.
type sampleBase struct {
	t                          int64
	messages, bytes, delivered uint64
	dropped                    uint64
	nodeNanos                  float64
	actions                    int
}

func newMeasures() *measures {
	return &measures{convergedSince: -1, firstConverged: -1}
}

func (m *measures) matches(live int, hash uint64) bool {
	return live == m.live && hash == m.expHash
}

// expect changes the expected live set by one node (delta +1 or -1).
func (m *measures) expect(now int64, nameHash uint64, delta int) {
	m.integrate(now)
	m.live += delta
	m.expHash ^= nameHash
}

func (m *measures) integrate(now int64) {
	m.nodeNanos += float64(m.live) * float64(now-m.lastChange)
	m.lastChange = now
}

// checkConverged records transitions into and out of "every live node has
// the correct view".
func (m *measures) checkConverged(now int64) {
	all := m.live > 0 && m.correct == m.live
	if all == m.allCorrect {
		return
	}
	m.allCorrect = all
	if !all {
		m.convergedSince = -1
		return
	}
	m.convergedSince = now
	if m.firstConverged < 0 && m.bootPending == 0 {
		m.firstConverged = now
	}
}

// action records a timeline action. Its window runs until the next action
// at a later time (or the end); how long the cluster took to agree again is
// settled when the window closes.
func (m *measures) action(now int64, label string, line int) {
	m.settle(now)
	m.actions = append(m.actions, ActionResult{AtS: float64(now) / 1e9, Label: label, Line: line, at: now})
	m.pending = append(m.pending, len(m.actions)-1)
}

// settle closes the windows of the pending actions at now: if every view
// is correct, the action's figure is when that all-correct stretch began
// (0 if it never broke); if not, it stays null. Actions at the same instant
// share one window.
func (m *measures) settle(now int64) {
	if len(m.pending) == 0 || m.actions[m.pending[0]].at == now {
		return
	}
	for _, i := range m.pending {
		a := &m.actions[i]
		if m.allCorrect {
			a.ConvergedAfterS = ptr(float64(max(0, m.convergedSince-a.at)) / 1e9)
		}
	}
	m.pending = m.pending[:0]
}

func (m *measures) sent(n int) {
	m.messages++
	m.bytes += uint64(n)
}

func (m *measures) drop(r dropReason) { m.drops[r]++ }

func (m *measures) totalDropped() uint64 {
	var t uint64
	for _, d := range m.drops {
		t += d
	}
	return t
}

// sample appends a timeline row covering the time since the previous one.
func (m *measures) sample(now int64, falseActive int) {
	m.integrate(now)
	p := m.prev
	s := Sample{
		TS:          float64(now) / 1e9,
		Live:        m.live,
		Correct:     m.correct,
		Messages:    m.messages - p.messages,
		Bytes:       m.bytes - p.bytes,
		Delivered:   m.delivered - p.delivered,
		Dropped:     m.totalDropped() - p.dropped,
		FalseActive: falseActive,
	}
	if m.live > 0 {
		s.CorrectFraction = float64(m.correct) / float64(m.live)
	}
	if nn := m.nodeNanos - p.nodeNanos; nn > 0 {
		s.MessagesPerNodeS = float64(s.Messages) / (nn / 1e9)
		s.BytesPerNodeS = float64(s.Bytes) / (nn / 1e9)
	}
	for _, a := range m.actions[p.actions:] {
		if s.Events != "" {
			s.Events += "; "
		}
		s.Events += a.Label
	}
	m.timeline = append(m.timeline, s)
	m.prev = sampleBase{t: now, messages: m.messages, bytes: m.bytes, delivered: m.delivered,
		dropped: m.totalDropped(), nodeNanos: m.nodeNanos, actions: len(m.actions)}
}

// coreTotals sums the counters of the cores of every life.
type coreTotals struct {
	suspicions, refutations, probes, probesFailed uint64
	dropped                                       map[string]uint64
}

func (c *coreTotals) add(n Node) {
	st := n.Stats()
	c.suspicions += st.Suspicions
	c.refutations += st.Refutations
	c.probes += st.ProbesSent
	c.probesFailed += st.ProbesFailed
	if c.dropped == nil {
		c.dropped = map[string]uint64{}
	}
	for r, v := range st.Dropped {
		c.dropped[r.String()] += v
	}
	for r, v := range st.HeartbeatDropped {
		c.dropped[heartbeatDropName(r)] += v
	}
}

// heartbeatDropName is a heartbeat drop reason's key in the summary's
// core_dropped, which holds gossip and heartbeat drops side by side.
func heartbeatDropName(r core.DropReason) string {
	name := r.String()
	if strings.HasPrefix(name, "heartbeat-") {
		return name
	}
	return "heartbeat-" + name
}

// retire keeps the counters of a core about to be replaced by a restart.
func (m *measures) retire(n Node) { m.retired.add(n) }

func (m *measures) coreTotals(nodes []simNode) coreTotals {
	t := coreTotals{dropped: maps.Clone(m.retired.dropped)}
	t.suspicions, t.refutations = m.retired.suspicions, m.retired.refutations
	t.probes, t.probesFailed = m.retired.probes, m.retired.probesFailed
	for i := range nodes {
		if nodes[i].n != nil {
			t.add(nodes[i].n)
		}
	}
	return t
}

func ptr[T any](v T) *T { return &v }
