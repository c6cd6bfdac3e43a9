package harness

import "time"

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
