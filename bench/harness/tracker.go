package harness

import (
	"math"
	"slices"
	"sync"
	"time"
)

// maxSubjects bounds the names a Tracker registers. Events only ever name
// nodes the harness started, so hitting it means a system reported garbage;
// such events are dropped and counted rather than growing the table.
const maxSubjects = 1 << 14

// maxSeries bounds the convergence time series of one recording.
const maxSeries = 1 << 20

// cell is what one observer believes about one subject.
type cell struct {
	state ViewState // from events: unknown, alive, failed or left
	since time.Time // when state last changed
	// suspectAt is when a poll first saw the observer suspect the subject;
	// zero when it does not (or polling is off). Suspicion is not an event
	// in any system, so it lives beside the event state.
	suspectAt time.Time
}

// Tracker keeps every live node's view of every node, built from the events
// the nodes report, and counts what convergence needs in O(1) per event:
// ok is the number of (live observer, live subject) pairs where the observer
// believes the subject alive (a node always believes itself alive); wrong is
// the number of (live observer, gone subject) pairs still believed alive.
// The cluster has converged when ok == live² and wrong == 0.
//
// All methods are safe for concurrent use.
type Tracker struct {
	mu        sync.Mutex
	idx       map[string]int
	names     []string
	live      []bool
	liveCount int
	cells     [][]cell // cells[observer][subject], rows grow on demand
	ok, wrong int

	watches []*Watch

	// False positives: a live subject a live observer declared failed or
	// left. Open intervals are keyed by (observer, subject).
	fpOpen map[[2]int]time.Time
	fpDone []fpInterval

	// suspectPairs are the (observer, subject) pairs seen suspecting since
	// ClearSuspicion.
	suspectPairs map[[2]int]bool
	// firstSuspect is, per subject, the earliest suspicion onset any live
	// observer was seen in since ClearSuspicion. Kept apart from the cells
	// because a cell's suspicion ends when the subject is declared failed.
	firstSuspect map[int]time.Time

	recording bool
	series    []seriesPoint

	dropped int // events about unknown or dead observers, or beyond maxSubjects

	seen []bool // scratch of ObserveView
}

type fpInterval struct {
	observer, subject int
	from, to          time.Time
	open              bool // still open when queried (censored at the query's end)
}

type seriesPoint struct {
	at time.Time
	ok int
}

// NewTracker returns an empty tracker.
func NewTracker() *Tracker {
	return &Tracker{
		idx: make(map[string]int), fpOpen: make(map[[2]int]time.Time),
		firstSuspect: make(map[int]time.Time), suspectPairs: make(map[[2]int]bool),
	}
}

// Watch latches the first moment a condition on the tracker held. Done is
// closed then; At is the timestamp of the event (or membership change) that
// made it hold, so the measured time does not depend on when the waiter woke.
type Watch struct {
	pred func() bool // called with Tracker.mu held
	done chan struct{}
	at   time.Time
}

// Done is closed when the condition first held.
func (w *Watch) Done() <-chan struct{} { return w.done }

// At is when the condition first held; valid after Done is closed.
func (w *Watch) At() time.Time { return w.at }

// intern returns the index of name, registering it; -1 beyond maxSubjects.
func (t *Tracker) intern(name string) int {
	if i, ok := t.idx[name]; ok {
		return i
	}
	if len(t.names) >= maxSubjects {
		return -1
	}
	i := len(t.names)
	t.idx[name] = i
	t.names = append(t.names, name)
	t.live = append(t.live, false)
	return i
}

func (t *Tracker) cellp(o, s int) *cell {
	for len(t.cells) <= o {
		t.cells = append(t.cells, nil)
	}
	row := t.cells[o]
	if len(row) <= s {
		grown := make([]cell, len(t.names))
		copy(grown, row)
		t.cells[o] = grown
		row = grown
	}
	return &row[s]
}

func (t *Tracker) state(o, s int) ViewState {
	if o == s {
		return ViewAlive
	}
	if o < len(t.cells) && s < len(t.cells[o]) {
		return t.cells[o][s].state
	}
	return ViewUnknown
}

// AddNode registers a node as live before it starts, so the events it
// reports while starting are not dropped.
func (t *Tracker) AddNode(name string, at time.Time) bool {
	t.mu.Lock()
	defer t.mu.Unlock()
	i := t.intern(name)
	if i < 0 {
		return false
	}
	if !t.live[i] {
		t.live[i] = true
		t.liveCount++
		// A restarted name starts with an empty view.
		if i < len(t.cells) {
			t.cells[i] = nil
		}
		t.recount()
		t.changed(at)
	}
	return true
}

// MarkGone records that a node stopped (killed, left, or failed to start) at
// the given time: it is no longer an observer, and from now on believing it
// alive is wrong rather than right.
func (t *Tracker) MarkGone(name string, at time.Time) {
	t.mu.Lock()
	defer t.mu.Unlock()
	i, ok := t.idx[name]
	if !ok || !t.live[i] {
		return
	}
	t.live[i] = false
	t.liveCount--
	for k, from := range t.fpOpen {
		if k[0] == i || k[1] == i {
			t.fpDone = append(t.fpDone, fpInterval{observer: k[0], subject: k[1], from: from, to: at})
			delete(t.fpOpen, k)
		}
	}
	t.recount()
	t.changed(at)
}

// recount recomputes ok and wrong from scratch; only on membership changes,
// which are rare next to events.
func (t *Tracker) recount() {
	t.ok, t.wrong = 0, 0
	for o := range t.names {
		if !t.live[o] {
			continue
		}
		for s := range t.names {
			if t.state(o, s) != ViewAlive {
				continue
			}
			if t.live[s] {
				t.ok++
			} else {
				t.wrong++
			}
		}
	}
}

// Record applies one event. Events from observers that are not live, and
// about the observer itself, are ignored: a node's opinion of itself is not
// news, and a killed node's last words are not part of the cluster's view.
func (t *Tracker) Record(ev Event) {
	at := ev.At
	if at.IsZero() {
		at = time.Now()
	}
	var st ViewState
	switch ev.Kind {
	case EventAlive:
		st = ViewAlive
	case EventFailed:
		st = ViewFailed
	case EventLeft:
		st = ViewLeft
	case EventSuspect:
		t.suspect(ev.Observer, ev.Subject, at)
		return
	default:
		t.mu.Lock()
		t.dropped++
		t.mu.Unlock()
		return
	}
	t.mu.Lock()
	defer t.mu.Unlock()
	o, known := t.idx[ev.Observer]
	if !known || !t.live[o] {
		t.dropped++
		return
	}
	s := t.intern(ev.Subject)
	if s < 0 {
		t.dropped++
		return
	}
	if o == s {
		return
	}
	c := t.cellp(o, s)
	old := c.state
	if old == st {
		return
	}
	c.state, c.since = st, at
	if st != ViewAlive {
		c.suspectAt = time.Time{}
	}
	wasAlive, isAlive := old == ViewAlive, st == ViewAlive
	if wasAlive != isAlive {
		d := 1
		if wasAlive {
			d = -1
		}
		if t.live[s] {
			t.ok += d
		} else {
			t.wrong += d
		}
	}
	if t.live[s] {
		key := [2]int{o, s}
		from, open := t.fpOpen[key]
		switch {
		case !isAlive && !open && (st == ViewFailed || st == ViewLeft):
			t.fpOpen[key] = at
		case isAlive && open:
			t.fpDone = append(t.fpDone, fpInterval{observer: o, subject: s, from: from, to: at})
			delete(t.fpOpen, key)
		}
	}
	t.changed(at)
}

// ObserveView applies one poll of an observer's member list: only
// suspicion is taken from it, everything else comes from events.
func (t *Tracker) ObserveView(observer string, view []MemberView, at time.Time) {
	t.mu.Lock()
	defer t.mu.Unlock()
	o, known := t.idx[observer]
	if !known || !t.live[o] {
		return
	}
	// seen is scratch reused across polls: polls run many times a second
	// on every node, and a map per poll would be most of their cost.
	if cap(t.seen) < len(t.names) {
		t.seen = make([]bool, len(t.names))
	}
	seen := t.seen[:len(t.names)]
	clear(seen)
	for _, m := range view {
		s, known := t.idx[m.Name]
		if !known || s == o {
			continue
		}
		seen[s] = true
		c := t.cellp(o, s)
		if m.State == ViewSuspect {
			t.onset(o, s, c, at)
		} else {
			c.suspectAt = time.Time{}
		}
	}
	if o < len(t.cells) {
		for s := range t.cells[o] {
			if !seen[s] {
				t.cells[o][s].suspectAt = time.Time{}
			}
		}
	}
}

// suspect applies a reported suspicion onset.
func (t *Tracker) suspect(observer, subject string, at time.Time) {
	t.mu.Lock()
	defer t.mu.Unlock()
	o, known := t.idx[observer]
	s, knownS := t.idx[subject]
	if !known || !knownS || !t.live[o] || o == s {
		t.dropped++
		return
	}
	c := t.cellp(o, s)
	// A report about a member already failed at this observer is a late
	// echo of gossip, not a new suspicion.
	if c.state == ViewFailed || c.state == ViewLeft {
		return
	}
	t.onset(o, s, c, at)
}

// onset records that o started suspecting s; mu held.
func (t *Tracker) onset(o, s int, c *cell, at time.Time) {
	if !c.suspectAt.IsZero() {
		return
	}
	c.suspectAt = at
	t.suspectPairs[[2]int{o, s}] = true
	if f, ok := t.firstSuspect[s]; !ok || at.Before(f) {
		t.firstSuspect[s] = at
	}
}

// ClearSuspicion forgets every polled suspicion, so a scenario's "first
// suspect" is never one left over from before it started.
func (t *Tracker) ClearSuspicion() {
	t.mu.Lock()
	defer t.mu.Unlock()
	for o := range t.cells {
		for s := range t.cells[o] {
			t.cells[o][s].suspectAt = time.Time{}
		}
	}
	clear(t.suspectPairs)
	clear(t.firstSuspect)
}

// changed evaluates the watches and extends the series; mu held.
func (t *Tracker) changed(at time.Time) {
	if t.recording && len(t.series) < maxSeries {
		t.series = append(t.series, seriesPoint{at: at, ok: t.ok})
	}
	kept := t.watches[:0]
	for _, w := range t.watches {
		if w.pred() {
			w.at = at
			close(w.done)
			continue
		}
		kept = append(kept, w)
	}
	clear(t.watches[len(kept):])
	t.watches = kept
}

// watch registers pred (called with mu held) and fires at once if it holds.
func (t *Tracker) watch(pred func() bool) *Watch {
	t.mu.Lock()
	defer t.mu.Unlock()
	w := &Watch{pred: pred, done: make(chan struct{})}
	if pred() {
		w.at = time.Now()
		close(w.done)
		return w
	}
	t.watches = append(t.watches, w)
	return w
}

// Cancel stops evaluating w (when its scenario gave up waiting).
func (t *Tracker) Cancel(w *Watch) {
	t.mu.Lock()
	defer t.mu.Unlock()
	for i, x := range t.watches {
		if x == w {
			t.watches = append(t.watches[:i], t.watches[i+1:]...)
			return
		}
	}
}

// WatchAllAlive fires when n nodes are live and each believes every live
// node alive (join convergence; suspicion does not matter).
func (t *Tracker) WatchAllAlive(n int) *Watch {
	return t.watch(func() bool { return t.liveCount == n && t.ok == n*n })
}

// WatchConverged fires when every live node believes exactly the live nodes
// alive: every live one alive, every gone one not.
func (t *Tracker) WatchConverged() *Watch {
	return t.watch(func() bool { return t.ok == t.liveCount*t.liveCount && t.wrong == 0 })
}

// WatchSubjects fires when every live node other than the subjects agrees
// that each subject is alive (alive true) or not (alive false).
func (t *Tracker) WatchSubjects(subjects []string, alive bool) *Watch {
	subjects = slices.Clone(subjects)
	return t.watch(func() bool {
		for _, name := range subjects {
			s, known := t.idx[name]
			if !known {
				if alive {
					return false
				}
				continue
			}
			for o := range t.names {
				if o == s || !t.live[o] || slices.Contains(subjects, t.names[o]) {
					continue
				}
				if (t.state(o, s) == ViewAlive) != alive {
					return false
				}
			}
		}
		return true
	})
}

// Counts returns live nodes, ok pairs and wrong pairs, for progress and errors.
func (t *Tracker) Counts() (live, ok, wrong int) {
	t.mu.Lock()
	defer t.mu.Unlock()
	return t.liveCount, t.ok, t.wrong
}

// Dropped is the number of events ignored as malformed or from dead nodes.
func (t *Tracker) Dropped() int {
	t.mu.Lock()
	defer t.mu.Unlock()
	return t.dropped
}

// Suspicions is the number of distinct (observer, subject) pairs seen
// suspecting since the last ClearSuspicion.
func (t *Tracker) Suspicions() int {
	t.mu.Lock()
	defer t.mu.Unlock()
	return len(t.suspectPairs)
}

// StartRecording starts a fresh convergence series.
func (t *Tracker) StartRecording() {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.recording = true
	t.series = t.series[:0]
}

// Reached returns the first time the recorded series reached frac of the
// n² pairs, or zero if it never did.
func (t *Tracker) Reached(n int, frac float64) time.Time {
	t.mu.Lock()
	defer t.mu.Unlock()
	need := int(math.Ceil(frac * float64(n*n)))
	for _, p := range t.series {
		if p.ok >= need {
			return p.at
		}
	}
	return time.Time{}
}

// StopRecording ends the series and returns it as (seconds since start,
// fraction of the n² pairs believed alive), thinned to at most maxPoints.
func (t *Tracker) StopRecording(start time.Time, n, maxPoints int) []Point {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.recording = false
	pts := make([]Point, 0, min(len(t.series), maxPoints+1))
	step := 1
	if maxPoints > 0 && len(t.series) > maxPoints {
		step = (len(t.series) + maxPoints - 1) / maxPoints
	}
	for i, p := range t.series {
		if i%step != 0 && i != len(t.series)-1 {
			continue
		}
		pts = append(pts, Point{X: p.at.Sub(start).Seconds(), Y: float64(p.ok) / float64(n*n)})
	}
	t.series = nil
	return pts
}

// Point is one sample of a time series.
type Point struct {
	X float64 `json:"x"`
	Y float64 `json:"y"`
}

// Detection summarises what live observers believe about victims.
type Detection struct {
	// FirstSuspect is the earliest suspicion of a victim a poll saw since
	// the last ClearSuspicion, or zero.
	FirstSuspect time.Time
	// FirstFail is the earliest failed or left event about a victim, or zero.
	FirstFail time.Time
	// LastFail is the latest of the live observers' failed-or-left events
	// about the victims, when all have one; zero otherwise.
	LastFail time.Time
}

// Detection reports on the victims as seen by the nodes live now, counting
// only signals at or after since.
func (t *Tracker) Detection(victims []string, since time.Time) Detection {
	t.mu.Lock()
	defer t.mu.Unlock()
	var d Detection
	complete := true
	earliest := func(cur, x time.Time) time.Time {
		if x.Before(since) {
			return cur
		}
		if cur.IsZero() || x.Before(cur) {
			return x
		}
		return cur
	}
	for _, name := range victims {
		v, known := t.idx[name]
		if !known {
			continue
		}
		if f, ok := t.firstSuspect[v]; ok {
			d.FirstSuspect = earliest(d.FirstSuspect, f)
		}
		for o := range t.names {
			if !t.live[o] || o == v {
				continue
			}
			var c cell
			if o < len(t.cells) && v < len(t.cells[o]) {
				c = t.cells[o][v]
			}
			if c.state == ViewFailed || c.state == ViewLeft {
				d.FirstFail = earliest(d.FirstFail, c.since)
				if c.since.After(d.LastFail) {
					d.LastFail = c.since
				}
			} else {
				complete = false
			}
		}
	}
	if !complete {
		d.LastFail = time.Time{}
	}
	return d
}

// Signalled reports whether every victim has been suspected or declared
// failed (or left) by some live observer at or after since: from then on,
// nothing a poll sees changes a detection's first-signal time.
func (t *Tracker) Signalled(victims []string, since time.Time) bool {
	t.mu.Lock()
	defer t.mu.Unlock()
	for _, name := range victims {
		v, known := t.idx[name]
		if !known {
			return false
		}
		if f, ok := t.firstSuspect[v]; ok && !f.Before(since) {
			continue
		}
		found := false
		for o := range t.names {
			if o == v || !t.live[o] || o >= len(t.cells) || v >= len(t.cells[o]) {
				continue
			}
			if c := t.cells[o][v]; (c.state == ViewFailed || c.state == ViewLeft) && !c.since.Before(since) {
				found = true
				break
			}
		}
		if !found {
			return false
		}
	}
	return true
}

// FalsePositives summarises live nodes wrongly declared failed (or left)
// between from and to.
type FalsePositives struct {
	// Episodes counts, per wrongly declared node, the disjoint stretches of
	// time during which at least one observer believed it gone: one false
	// declaration gossiped to the whole cluster is one episode, not N.
	Episodes int
	// Declarations counts (observer, subject) declarations.
	Declarations int
	// Longest is the longest episode, from the first observer's declaration
	// to the last observer's recovery; ObserverSeconds sums the time each
	// observer spent wrong.
	Longest, ObserverSeconds time.Duration
	// Unrecovered counts declarations still standing at the end.
	Unrecovered int
}

// FalsePositives reports wrong declarations that started in [from, to];
// declarations still standing are cut at to and counted as unrecovered.
func (t *Tracker) FalsePositives(from, to time.Time) FalsePositives {
	t.mu.Lock()
	defer t.mu.Unlock()
	ivs := make([]fpInterval, 0, len(t.fpDone)+len(t.fpOpen))
	for _, iv := range t.fpDone {
		if !iv.from.Before(from) && !iv.from.After(to) {
			ivs = append(ivs, iv)
		}
	}
	for k, f := range t.fpOpen {
		if !f.Before(from) && !f.After(to) {
			ivs = append(ivs, fpInterval{observer: k[0], subject: k[1], from: f, to: to, open: true})
		}
	}
	var fp FalsePositives
	bySubject := make(map[int][]fpInterval)
	for _, iv := range ivs {
		fp.Declarations++
		if iv.open {
			fp.Unrecovered++
		}
		fp.ObserverSeconds += iv.to.Sub(iv.from)
		bySubject[iv.subject] = append(bySubject[iv.subject], iv)
	}
	for _, list := range bySubject {
		sortIntervals(list)
		start, end := list[0].from, list[0].to
		flush := func() {
			fp.Episodes++
			fp.Longest = max(fp.Longest, end.Sub(start))
		}
		for _, iv := range list[1:] {
			if iv.from.After(end) {
				flush()
				start, end = iv.from, iv.to
				continue
			}
			if iv.to.After(end) {
				end = iv.to
			}
		}
		flush()
	}
	return fp
}

func sortIntervals(list []fpInterval) {
	slices.SortFunc(list, func(a, b fpInterval) int { return a.from.Compare(b.from) })
}
