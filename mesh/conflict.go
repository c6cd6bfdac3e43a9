package mesh

import (
	"fmt"
	"net/netip"
	"time"

	"github.com/meshd/meshd/internal/core"
)

// NameConflictError is why a Mesh stopped by itself: another live member
// goes by its Name, at Other, and started first. Two live members never
// keep one name: the one that started later (at equal start times, the
// one at the higher address) stops, as Close stops it, without a leave
// message (a leave would tell the cluster that the name left, and it lives
// on at Other). The other member logs the conflict too and keeps the name.
// A member restarted at a new address is no conflict: its old address does
// not answer, and the new process takes the name over.
type NameConflictError struct {
	Name         string
	Other        netip.AddrPort // the member that keeps the name
	OtherStarted time.Time      // when it started, by its own clock
	Started      time.Time      // when this member started
}

func (e *NameConflictError) Error() string {
	return fmt.Sprintf("mesh: the name %q is taken by the member at %s, which started first (%s; this one %s): "+
		"this member stopped; give it another Name", e.Name, e.Other,
		e.OtherStarted.Format(time.RFC3339Nano), e.Started.Format(time.RFC3339Nano))
}

// Done returns a channel that is closed once the Mesh has stopped: after
// Close or Leave, or when it stopped by itself over its name (Err says
// which).
func (m *Mesh) Done() <-chan struct{} { return m.stopped }

// Err is nil while the Mesh runs. Once Done is closed it says why it
// stopped: a *NameConflictError if another member goes by its name (see
// NameConflictError), ErrClosed after Close or Leave.
func (m *Mesh) Err() error {
	select {
	case <-m.stopped:
	default:
		return nil
	}
	if err := m.conflict.Load(); err != nil {
		return err
	}
	return ErrClosed
}

// nameConflicts logs the conflicts the node found, and stops the Mesh when
// this member is the one to give the name up. It runs on the engine
// goroutine, which Close waits for: the stop runs on its own goroutine.
func (m *Mesh) nameConflicts(cs []core.NameConflict) {
	for _, c := range cs {
		attrs := []any{"name", c.Name, "other", c.Other.String(),
			"other_started", c.OtherStarted, "started", c.Started}
		if !c.Stop {
			m.log.Error("another member goes by this name; it started later and stops", attrs...)
			continue
		}
		m.log.Error("another member goes by this name and started first: this member stops", attrs...)
		m.conflict.CompareAndSwap(nil, &NameConflictError{Name: c.Name, Other: c.Other,
			OtherStarted: c.OtherStarted, Started: c.Started})
		go m.Close()
	}
}
