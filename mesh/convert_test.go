package mesh

import (
	"testing"

	"github.com/meshd/meshd/internal/membership"
)

// Every engine value has a public one of the same name.
func TestConversionCoversEveryValue(t *testing.T) {
	for s := membership.StateAlive; s <= membership.StateLeft; s++ {
		if got := fromState(s); got.String() != s.String() {
			t.Errorf("state %v became %v", s, got)
		}
	}
	for e := membership.EventType(0); e < membership.EventTypes; e++ {
		if got := fromEventType(e); got.String() != e.String() {
			t.Errorf("event type %v became %v", e, got)
		}
	}
	if len(EventTypes()) != membership.EventTypes {
		t.Errorf("EventTypes lists %d types, the engine has %d", len(EventTypes()), membership.EventTypes)
	}
	if EventJoin != 0 || EventLeave != 1 || EventFail != 2 || EventUpdate != 3 {
		t.Error("the contract's event type values moved")
	}
}
