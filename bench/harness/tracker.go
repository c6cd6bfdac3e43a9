package harness

import (
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
