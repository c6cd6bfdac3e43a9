package harness

import (
	"slices"
	"time"
)

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
