package membership

import (
	"maps"
	"time"
)

// Apply merges an update into the table by SWIM's rules: a higher
// incarnation wins; at equal incarnation suspect beats alive and dead/left
// beat both; a dead or left name may come back at a new address; an alive
// claim at a new address needs a higher incarnation. Claims about this node
// that it must deny return SelfConflict (the caller refutes); leaving tells
// whether this node is leaving, so claims of its own leave are not denied.
func (t *Table) Apply(now time.Time, u Update, leaving bool) Outcome {
	o, _ := t.ApplyPrior(now, u, leaving)
	return o
}

// Prior is what the table held about a member before an update.
type Prior uint8

const (
	PriorUnknown Prior = iota // not in the table
	PriorLive                 // alive or suspect
	PriorGone                 // dead or left: a tombstone
)

// ApplyPrior is Apply that also says what the table held before, so that
// the caller needs no lookup of its own: the engine applies every entry of
// every state transfer, and at thousands of members lookups are most of
// its cost.
func (t *Table) ApplyPrior(now time.Time, u Update, leaving bool) (Outcome, Prior) {
	if u.Name == t.self().Name {
		return t.applySelf(u, leaving), PriorLive
	}
	e, known := t.lookup(u.Name)
	if !known {
		if !isLive(u.State) || !u.Addr.IsValid() {
			return Ignored, PriorUnknown // verdicts about strangers carry nothing to keep
		}
		e = t.insert(Member{Name: u.Name, Addr: u.Addr, Incarnation: u.Inc, State: u.State,
			Meta: maps.Clone(u.Meta), MetaVersion: u.MetaVer, Since: now})
		t.emit(EventJoin, e, now)
		return Applied, PriorUnknown
	}
	prior := PriorGone
	if isLive(e.State) {
		prior = PriorLive
	}
	return t.applyKnown(now, e, u), prior
}

func (t *Table) applyKnown(now time.Time, e *entry, u Update) Outcome {
	switch u.State {
	case StateAlive:
		return t.applyAlive(now, e, u)
	case StateSuspect:
		if u.Inc < e.Incarnation || !isLive(e.State) {
			return Ignored
		}
		if e.State == StateSuspect && u.Inc == e.Incarnation {
			return Confirmed
		}
		wasAlive := e.State == StateAlive
		t.change(e, func(m *Member) { m.State, m.Incarnation, m.Since = StateSuspect, u.Inc, now })
		if wasAlive {
			t.emit(EventSuspect, e, now)
		}
		return Applied
	case StateDead:
		if u.Inc < e.Incarnation || !isLive(e.State) {
			return Ignored
		}
		t.change(e, func(m *Member) { m.State, m.Incarnation, m.Since = StateDead, u.Inc, now })
		t.emit(EventFail, e, now)
		return Applied
	case StateLeft:
		if u.Inc < e.Incarnation || e.State == StateLeft {
			return Ignored
		}
		t.change(e, func(m *Member) { m.State, m.Incarnation, m.Since = StateLeft, u.Inc, now })
		t.emit(EventLeave, e, now)
		return Applied
	}
	return Ignored
}

func (t *Table) applyAlive(now time.Time, e *entry, u Update) Outcome {
	if !u.Addr.IsValid() {
		return Ignored
	}
	wasLive, wasSuspect := isLive(e.State), e.State == StateSuspect
	switch {
	case u.Addr != t.addr(e):
		// A new address is believed when the old owner is gone, or when the
		// claim outranks the old one (a restarted node refutes with a
		// higher incarnation). Otherwise two live nodes share a name.
		if wasLive && u.Inc <= e.Incarnation {
			return AddrConflict
		}
	case u.Inc <= e.Incarnation:
		return Ignored
	}
	metaChanged := u.MetaVer != e.MetaVersion || !maps.Equal(u.Meta, e.Meta)
	addrChanged := u.Addr != t.addr(e)
	t.change(e, func(m *Member) {
		if m.State != StateAlive {
			m.Since = now
		}
		m.Addr, m.Incarnation, m.State = u.Addr, u.Inc, StateAlive
		if metaChanged {
			m.Meta, m.MetaVersion = maps.Clone(u.Meta), u.MetaVer
		}
	})
	switch {
	case !wasLive:
		t.emit(EventJoin, e, now)
	case wasSuspect:
		// One event, carrying any metadata or address that changed with
		// the refutation: a reader that falls behind keeps only the newest
		// event of a member anyway.
		t.emit(EventAlive, e, now)
	case metaChanged || addrChanged:
		t.emit(EventUpdate, e, now)
	}
	return Applied
}

func (t *Table) applySelf(u Update, leaving bool) Outcome {
	s := t.self()
	if u.Inc < s.Incarnation {
		if (u.State == StateSuspect || u.State == StateDead) && !leaving {
			// Still circulating: the refutation may not have been heard.
			return StaleSelfClaim
		}
		return Ignored
	}
	switch u.State {
	case StateAlive:
		if u.Inc == s.Incarnation && u.Addr == t.addr(s) && u.MetaVer == s.MetaVersion {
			return Ignored // our own announcement coming back
		}
	case StateLeft, StateDead:
		if leaving {
			return Ignored
		}
	}
	return SelfConflict
}

// Refute raises this node's incarnation above inc and returns the new self.
func (t *Table) Refute(inc uint64) Member {
	t.change(t.self(), func(m *Member) {
		if inc >= m.Incarnation {
			m.Incarnation = inc + 1
		}
	})
	return t.member(t.self())
}

// SetSelf updates this node's metadata (raising its incarnation so the
// change wins everywhere) and returns the new self.
func (t *Table) SetSelfMeta(meta map[string]string) Member {
	t.change(t.self(), func(m *Member) {
		m.Meta = maps.Clone(meta)
		m.MetaVersion++
		m.Incarnation++
	})
	return t.member(t.self())
}

// SetSelfState marks this node left (on Leave) and raises its incarnation.
func (t *Table) SetSelfLeft(now time.Time) Member {
	t.change(t.self(), func(m *Member) {
		m.State, m.Since = StateLeft, now
		m.Incarnation++
	})
	return t.member(t.self())
}
