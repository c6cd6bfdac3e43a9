package mesh

import "github.com/meshd/meshd/internal/membership"

// The engine's member table has its own types; these functions are the one
// place where they become the public ones. The engine hands out copies, so
// nothing here needs to copy again.

func fromMember(m membership.Member) Member {
	return Member{Name: m.Name, Addr: m.Addr, Meta: m.Meta, State: fromState(m.State),
		Incarnation: m.Incarnation, Since: m.Since}
}

func fromMembers(ms []membership.Member) []Member {
	out := make([]Member, len(ms))
	for i, m := range ms {
		out[i] = fromMember(m)
	}
	return out
}

func fromState(s membership.State) State {
	switch s {
	case membership.StateAlive:
		return StateAlive
	case membership.StateSuspect:
		return StateSuspect
	case membership.StateDead:
		return StateDead
	case membership.StateLeft:
		return StateLeft
	}
	panic("mesh: unknown membership state " + s.String())
}

func fromEventType(t membership.EventType) EventType {
	switch t {
	case membership.EventJoin:
		return EventJoin
	case membership.EventLeave:
		return EventLeave
	case membership.EventFail:
		return EventFail
	case membership.EventUpdate:
		return EventUpdate
	case membership.EventSuspect:
		return EventSuspect
	case membership.EventAlive:
		return EventAlive
	}
	panic("mesh: unknown membership event type " + t.String())
}

func fromEvent(ev membership.Event, seq uint64) Event {
	return Event{Type: fromEventType(ev.Type), Member: fromMember(ev.Member), At: ev.At, Seq: seq}
}
