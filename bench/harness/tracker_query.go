package harness

import (
	"slices"
	"time"
)

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
