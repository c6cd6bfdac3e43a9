package simulator

import (
	"math"
	"sort"
)

// Result is what a run measured. It is written as summary.json; the fields
// nodes, seed, converged_at_s, false_positives, messages, bytes and
// trace_hash are the documented contract, the rest may grow.
type Result struct {
	Scenario  string  `json:"scenario"`
	Nodes     int     `json:"nodes"`
	Seed      int64   `json:"seed"`
	Profile   string  `json:"profile"`
	DurationS float64 `json:"duration_s"`

	// ConvergedAtS is when the final stretch of "every live node's view is
	// the live set" began; null if the run ended without it.
	ConvergedAtS      *float64 `json:"converged_at_s"`
	FirstConvergedAtS *float64 `json:"first_converged_at_s"`
	LiveAtEnd         int      `json:"live_at_end"`
	CorrectAtEnd      int      `json:"correct_at_end"`

	// FalsePositives counts episodes of a live member, reachable both ways,
	// being declared dead by at least one live node.
	FalsePositives          int     `json:"false_positives"`
	FalseDeadVerdicts       int     `json:"false_dead_verdicts"`
	FalsePositiveSeconds    float64 `json:"false_positive_seconds"`
	FalsePositiveMaxS       float64 `json:"false_positive_max_s"`
	FalsePositivesOpenAtEnd int     `json:"false_positives_open_at_end"`
	PartitionVerdicts       int     `json:"partition_verdicts"`
	DeadVerdicts            uint64  `json:"dead_verdicts"`

	Messages            uint64            `json:"messages"`
	Bytes               uint64            `json:"bytes"`
	MessagesPerNodePerS float64           `json:"messages_per_node_per_s"`
	BytesPerNodePerS    float64           `json:"bytes_per_node_per_s"`
	Heartbeats          uint64            `json:"heartbeats"`
	Delivered           uint64            `json:"delivered"`
	Duplicated          uint64            `json:"duplicated"`
	Dropped             map[string]uint64 `json:"dropped"`
	CoreDropped         map[string]uint64 `json:"core_dropped"`
	Suspicions          uint64            `json:"suspicions"`
	Refutations         uint64            `json:"refutations"`
	Probes              uint64            `json:"probes"`
	ProbesFailed        uint64            `json:"probes_failed"`

	Detection DetectionStats  `json:"detection"`
	Crashes   []Crash         `json:"crashes"`
	Leaves    []Crash         `json:"leaves"`
	Actions   []ActionResult  `json:"actions"`
	Episodes  []FalsePositive `json:"false_positive_episodes"`
	Warnings  []string        `json:"warnings"`

	// Aborted says why the run stopped before the scenario's end (Options.Abort);
	// the figures then cover only DurationS.
	Aborted string `json:"aborted,omitempty"`

	Events         uint64 `json:"simulated_events"`
	StaleDeadlines uint64 `json:"stale_deadlines"`
	TraceHash      string `json:"trace_hash"`

	// Wall-clock figures: not part of the trace, they vary between runs.
	WallSeconds         float64 `json:"wall_seconds"`
	EventsPerWallSecond float64 `json:"events_per_wall_second"`

	Timeline []Sample `json:"-"`
}

// DetectionStats summarise the crashes: delays from the crash, in seconds.
type DetectionStats struct {
	Crashes        int  `json:"crashes"`
	FirstSuspicion Stat `json:"first_suspicion_s"`
	FirstDead      Stat `json:"first_dead_s"`
	AllKnow        Stat `json:"all_know_s"`
	// Undetected crashes had no dead verdict by the end of the run; a node
	// that came back first is not counted.
	Undetected int `json:"undetected"`
}

// Stat is a distribution of delays in seconds.
type Stat struct {
	N      int     `json:"n"`
	Median float64 `json:"median"`
	P90    float64 `json:"p90"`
	Max    float64 `json:"max"`
}

func statOf(v []float64) Stat {
	if len(v) == 0 {
		return Stat{}
	}
	s := append([]float64(nil), v...)
	sort.Float64s(s)
	q := func(p float64) float64 { return s[int(math.Ceil(p*float64(len(s))))-1] }
	return Stat{N: len(s), Median: q(0.5), P90: q(0.9), Max: s[len(s)-1]}
}

// Crash is one crash (or leave) and how the cluster learned of it; delays
// are seconds after the crash, null when it did not happen.
type Crash struct {
	Node            int      `json:"node"`
	Name            string   `json:"name"`
	AtS             float64  `json:"at_s"`
	FirstSuspicionS *float64 `json:"first_suspicion_s,omitempty"`
	FirstDeadS      *float64 `json:"first_dead_s,omitempty"`
	AllKnowS        *float64 `json:"all_know_s"`
	// Interrupted: the node came back before every node knew.
	Interrupted bool `json:"interrupted,omitempty"`
}

// ActionResult is one applied timeline action and how long after it the
// final all-correct stretch of its window began (the window ends at the next
// later action or the end of the run); null if the window ended with some
// live node's view wrong.
type ActionResult struct {
	AtS             float64  `json:"at_s"`
	Label           string   `json:"label"`
	Line            int      `json:"line"`
	ConvergedAfterS *float64 `json:"converged_after_s"`
	at              int64
}

// FalsePositive is one episode of a live member held dead.
type FalsePositive struct {
	Node      int     `json:"node"`
	AtS       float64 `json:"at_s"`
	Seconds   float64 `json:"seconds"`
	Verdicts  int     `json:"verdicts"`
	OpenAtEnd bool    `json:"open_at_end,omitempty"`
}

// Sample is one row of the timeline: the state at TS and the traffic since
// the previous row.
type Sample struct {
	TS               float64
	Live, Correct    int
	CorrectFraction  float64
	Messages, Bytes  uint64
	MessagesPerNodeS float64
	BytesPerNodeS    float64
	Delivered        uint64
	Dropped          uint64
	FalseActive      int
	Events           string
}

func secondsSince(t, from int64) *float64 {
	if t < 0 {
		return nil
	}
	return ptr(float64(t-from) / 1e9)
}

// result assembles the Result at the end of the loop.
func (e *engine) result() *Result {
	m := e.m
	m.integrate(e.end)
	m.settle(e.end + 1)
	if len(m.timeline) == 0 || m.timeline[len(m.timeline)-1].TS*1e9 < float64(e.end) {
		m.sample(e.end, e.fp.active())
	}
	r := &Result{
		Scenario: e.sc.Name, Nodes: e.sc.Nodes, Seed: e.seed, Profile: e.sc.Profile,
		DurationS: float64(e.end) / 1e9, Aborted: e.aborted,
		LiveAtEnd: m.live, CorrectAtEnd: m.correct,
		DeadVerdicts: m.deadVerdicts,
		Messages:     m.messages, Bytes: m.bytes, Heartbeats: m.heartbeats,
		Delivered: m.delivered, Duplicated: m.duplicated,
		Dropped: map[string]uint64{}, Actions: m.actions, Warnings: e.warn,
		Events: e.events, StaleDeadlines: m.staleDeadlines, TraceHash: e.tr.String(),
		Timeline: m.timeline,
	}
	if m.allCorrect {
		r.ConvergedAtS = ptr(float64(m.convergedSince) / 1e9)
	}
	if m.firstConverged >= 0 {
		r.FirstConvergedAtS = ptr(float64(m.firstConverged) / 1e9)
	}
	for i, d := range m.drops {
		if d > 0 {
			r.Dropped[dropNames[i]] = d
		}
	}
	if m.nodeNanos > 0 {
		r.MessagesPerNodePerS = float64(m.messages) / (m.nodeNanos / 1e9)
		r.BytesPerNodePerS = float64(m.bytes) / (m.nodeNanos / 1e9)
	}
	ct := m.coreTotals(e.nodes)
	r.CoreDropped, r.Suspicions, r.Refutations = ct.dropped, ct.suspicions, ct.refutations
	r.Probes, r.ProbesFailed = ct.probes, ct.probesFailed

	eps := e.fp.finish(e.end)
	r.Episodes = eps
	r.FalsePositives = len(eps)
	r.FalseDeadVerdicts = e.fp.verdicts
	r.PartitionVerdicts = e.fp.partitionVerdicts
	for _, ep := range eps {
		r.FalsePositiveSeconds += ep.Seconds
		r.FalsePositiveMaxS = max(r.FalsePositiveMaxS, ep.Seconds)
		if ep.OpenAtEnd {
			r.FalsePositivesOpenAtEnd++
		}
	}

	var sus, dead, all []float64
	for _, d := range e.det.recs {
		c := Crash{Node: int(d.node), Name: e.names[d.node], AtS: float64(d.at) / 1e9,
			AllKnowS: secondsSince(d.allKnow, d.at), Interrupted: d.interrupted}
		if d.leave {
			r.Leaves = append(r.Leaves, c)
			continue
		}
		c.FirstSuspicionS = secondsSince(d.firstSuspect, d.at)
		c.FirstDeadS = secondsSince(d.firstDead, d.at)
		r.Crashes = append(r.Crashes, c)
		r.Detection.Crashes++
		if c.FirstSuspicionS != nil {
			sus = append(sus, *c.FirstSuspicionS)
		}
		if c.FirstDeadS != nil {
			dead = append(dead, *c.FirstDeadS)
		} else if !d.interrupted {
			r.Detection.Undetected++
		}
		if c.AllKnowS != nil {
			all = append(all, *c.AllKnowS)
		}
	}
	r.Detection.FirstSuspicion, r.Detection.FirstDead, r.Detection.AllKnow = statOf(sus), statOf(dead), statOf(all)
	// Empty lists, not nulls, for whoever reads summary.json.
	r.Crashes, r.Leaves, r.Actions = nonNil(r.Crashes), nonNil(r.Leaves), nonNil(r.Actions)
	r.Episodes, r.Warnings = nonNil(r.Episodes), nonNil(r.Warnings)
	if r.CoreDropped == nil {
		r.CoreDropped = map[string]uint64{}
	}
	return r
}

func nonNil[T any](s []T) []T {
	if s == nil {
		return []T{}
	}
	return s
}
