package api

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"strconv"
	"strings"
	"sync"

	"github.com/meshd/meshd/mesh"
)

// DefaultReplay is how many recent events the API keeps for event streams
// that reconnect with Last-Event-ID.
const DefaultReplay = 1024

// eventLog numbers the engine's events and keeps the last few, so that an
// event stream that drops and reconnects (a browser EventSource does so by
// itself, sending Last-Event-ID) gets what it missed, or, when that is no
// longer kept, is told how much it missed. One subscription feeds it for
// the agent's whole run, so events that happen while no stream is connected
// are kept too. Readers never block it: a stream that falls behind by more
// than the buffer finds a gap and is told so.
type eventLog struct {
	boot string // this run's id: event ids of an earlier run are foreign
	size int

	mu      sync.Mutex
	buf     []numbered    // the last size events, oldest first
	next    uint64        // sequence number of the next event (from 1)
	changed chan struct{} // closed and replaced when an event arrives
}

// numbered is an event and its sequence number in this run.
type numbered struct {
	seq uint64
	ev  mesh.Event
}

func newEventLog(boot string, size int) *eventLog {
	return &eventLog{boot: boot, size: size, next: 1, changed: make(chan struct{})}
}

// NewBootID returns a random id for one run of an agent.
func NewBootID() string {
	var b [8]byte
	if _, err := rand.Read(b[:]); err != nil {
		panic(err) // crypto/rand does not fail on supported platforms
	}
	return hex.EncodeToString(b[:])
}

// run records the events of ch until it closes or ctx ends.
func (l *eventLog) run(ctx context.Context, ch <-chan mesh.Event, cancel func()) {
	defer cancel()
	for {
		select {
		case <-ctx.Done():
			return
		case ev, ok := <-ch:
			if !ok {
				return
			}
			l.add(ev)
		}
	}
}

// add keeps ev under the engine's sequence number (mesh.Event.Seq), whose
// gaps are events the engine replaced by newer ones about the same member
// before this log read them; an engine that does not number its events
// (Seq 0) gets the next number.
func (l *eventLog) add(ev mesh.Event) {
	l.mu.Lock()
	defer l.mu.Unlock()
	seq := ev.Seq
	if seq < l.next {
		seq = l.next
	}
	l.buf = append(l.buf, numbered{seq: seq, ev: ev})
	l.next = seq + 1
	if len(l.buf) > l.size {
		l.buf = l.buf[len(l.buf)-l.size:]
	}
	close(l.changed)
	l.changed = make(chan struct{})
}

// latest is the sequence number of the last event (0 before the first).
func (l *eventLog) latest() uint64 {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.next - 1
}

// after returns the kept events numbered above cursor and a channel
// closed when the next event arrives. A number missing between cursor and
// the first of them, or between two of them, is an event the stream
// cannot give.
func (l *eventLog) after(cursor uint64) (evs []numbered, wait <-chan struct{}) {
	l.mu.Lock()
	defer l.mu.Unlock()
	for _, n := range l.buf {
		if n.seq > cursor {
			evs = append(evs, n)
		}
	}
	return evs, l.changed
}

// id is the SSE id of event seq: the boot id and the sequence number.
func (l *eventLog) id(seq uint64) string { return l.boot + "-" + strconv.FormatUint(seq, 10) }

// resume finds where a stream starts. Without Last-Event-ID it starts
// now. An id of this run resumes after that event; any other id (an
// earlier run of the agent, or nothing meshd sent) replays every kept event
// after a Missed notice, since what happened in between is unknown.
func (l *eventLog) resume(lastID string) (cursor uint64, notice *Missed) {
	latest := l.latest()
	if lastID == "" {
		return latest, nil
	}
	boot, seqText, _ := strings.Cut(lastID, "-")
	seq, err := strconv.ParseUint(seqText, 10, 64)
	switch {
	case boot == l.boot && err == nil && seq <= latest:
		return seq, nil
	case boot != l.boot && err == nil && len(boot) == len(l.boot):
		return 0, &Missed{Type: "missed", Reason: MissedRestart,
			Detail: fmt.Sprintf("the agent restarted since event %s: the events in between are unknown; re-read GET /v1/members", lastID)}
	}
	return 0, &Missed{Type: "missed", Reason: MissedUnknownID,
		Detail: fmt.Sprintf("Last-Event-ID %q is not an event of this agent; re-read GET /v1/members", lastID)}
}
