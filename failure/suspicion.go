package failure

import (
	"container/heap"
	"math"
	"sort"
	"time"
)

// suspicion is Lifeguard's LHA-suspicion: the timeout starts at max and
// shrinks logarithmically towards min as k independent confirmations arrive,
// so a member that several nodes cannot reach is declared dead sooner, while
// one slow accuser alone waits the longest.
type suspicion struct {
	name      string
	accuser   string
	inc       uint64
	confirmed map[string]struct{}
	k         int
	min, max  time.Duration
	start     time.Time
	deadline  time.Time
	// heldTo is set once HoldVerdicts postponed this suspicion's verdict:
	// confirmations may not bring the deadline back before it.
	heldTo time.Time
}

// SuspicionTimeouts returns the minimum and maximum suspicion timeout for a
// cluster of n live members: min = SuspicionMult * max(1, log10(n)) *
// ProbeInterval, max = SuspicionMaxTimeoutMult * min.
func (d *Detector) SuspicionTimeouts(n int) (time.Duration, time.Duration) {
	scale := math.Max(1, math.Log10(math.Max(1, float64(n))))
	lo := time.Duration(float64(d.cfg.SuspicionMult) * scale * float64(d.cfg.ProbeInterval))
	return lo, lo * time.Duration(max(1, d.cfg.SuspicionMaxTimeoutMult))
}

func (s *suspicion) timeout() time.Duration {
	if s.k < 1 {
		return s.min
	}
	frac := math.Log(float64(len(s.confirmed))+1) / math.Log(float64(s.k)+1)
	t := time.Duration(float64(s.max) - frac*float64(s.max-s.min))
	return max(t, s.min)
}

// StartSuspicion starts the timer for name at incarnation inc, raised by
// from, in a cluster of n live members. A running suspicion at a lower
// incarnation is replaced; at the same one, this is a confirmation.
func (d *Detector) StartSuspicion(now time.Time, name string, inc uint64, from string, n int) {
	if s, ok := d.susp[name]; ok && s.inc >= inc {
		d.Confirm(now, name, from)
		return
	}
	lo, hi := d.SuspicionTimeouts(n)
	k := d.cfg.SuspicionMult - 2
	if n-2 < k { // too few members to expect k independent confirmations
		k = 0
	}
	// The accuser is not an independent confirmation: start at max.
	s := &suspicion{name: name, accuser: from, inc: inc, confirmed: map[string]struct{}{}, k: k, min: lo, max: hi, start: now}
	s.deadline = now.Add(s.timeout())
	d.susp[name] = s
	heap.Push(&d.timers, timer{at: s.deadline, susp: s})
	if from == d.cfg.Self {
		// The accuser reminds the cluster every half of the shortest
		// timeout while the suspicion runs: its gossip may have reached no
		// one who could pass it to the suspect (every copy lost, or spent
		// on this side of a partition that has healed since), and a suspect
		// that never hears of its suspicion cannot refute it.
		heap.Push(&d.timers, timer{at: now.Add(lo / 2), susp: s, remind: true})
	}
}

// Confirm records an independent suspicion of name by from and shortens the
// timeout accordingly. It reports whether from was new.
func (d *Detector) Confirm(now time.Time, name, from string) bool {
	s, ok := d.susp[name]
	if !ok || len(s.confirmed) >= s.k {
		return false
	}
	if _, dup := s.confirmed[from]; dup || from == s.accuser {
		return false
	}
	s.confirmed[from] = struct{}{}
	dl := s.start.Add(s.timeout())
	if dl.Before(s.heldTo) {
		dl = s.heldTo
	}
	if dl.Before(s.deadline) {
		s.deadline = dl
		heap.Push(&d.timers, timer{at: dl, susp: s})
	}
	return true
}

// HoldVerdicts postpones, until the given time, every verdict that falls
// due before it: a suspicion whose timer runs out before then is extended
// to it, once. The node calls it when the network has just changed under
// it (a member it holds dead is heard again: a healed partition), so that
// suspicions raised while their suspects were out of reach, and whose
// gossip may never have reached them, do not mature before the suspects
// have had a chance to hear of them and refute.
func (d *Detector) HoldVerdicts(until time.Time) {
	if until.After(d.holdUntil) {
		d.holdUntil = until
	}
}

// EachSuspicion calls fn for every running suspicion, in name order (so
// that what the caller does with them is deterministic).
func (d *Detector) EachSuspicion(fn func(name string, inc uint64)) {
	names := make([]string, 0, len(d.susp))
	for name := range d.susp {
		names = append(names, name)
	}
	sort.Strings(names)
	for _, name := range names {
		fn(name, d.susp[name].inc)
	}
}

// ClearSuspicion drops the suspicion of name (refuted, dead or left).
func (d *Detector) ClearSuspicion(name string) { delete(d.susp, name) }

// Suspicions is the number of running suspicions.
func (d *Detector) Suspicions() int { return len(d.susp) }

type timer struct {
	at       time.Time
	relaySeq uint32
	susp     *suspicion
	remind   bool // the reminder of an accusation, not its expiry
}

type timerHeap []timer

func (h timerHeap) Len() int           { return len(h) }
func (h timerHeap) Less(i, j int) bool { return h[i].at.Before(h[j].at) }
func (h timerHeap) Swap(i, j int)      { h[i], h[j] = h[j], h[i] }
func (h *timerHeap) Push(x any)        { *h = append(*h, x.(timer)) }
func (h *timerHeap) Pop() any {
	old := *h
	t := old[len(old)-1]
	*h = old[:len(old)-1]
	return t
}
