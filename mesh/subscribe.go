package mesh

import (
	"sync"

	"github.com/meshd/meshd/internal/core"
)

// Subscribe returns a channel of membership events and a function that ends
// the subscription and closes the channel (calling it again does nothing).
// A slow reader never blocks the mesh: when it falls behind, it gets the
// newest event of each member instead of every intermediate one, and never
// an older event about a member after a newer one (Event.Seq shows the
// gaps). After Close the channel is closed. Events that happened before the
// call are not delivered: SubscribeWithMembers gives them as a snapshot.
func (m *Mesh) Subscribe() (<-chan Event, func()) {
	s := newSubscriber(m.cfg.EventBuffer)
	cancel := m.subscription(s)
	if !m.addSubscriber(s) {
		cancel()
	}
	return s.ch, cancel
}

// SubscribeWithMembers is Subscribe that also returns the members (this one
// included) as they are just before the first event on the channel: taken
// together on the engine goroutine, so no change falls between the snapshot
// and the channel. A reader that applies the events to the snapshot keeps
// an exact view. After Close it returns nil and a closed channel.
func (m *Mesh) SubscribeWithMembers() ([]Member, <-chan Event, func()) {
	s := newSubscriber(m.cfg.EventBuffer)
	cancel := m.subscription(s)
	var members []Member
	added := false
	err := m.do(func(n *core.Node) {
		// Events are published on this goroutine right after the step that
		// made them, so the table here includes every event published so
		// far and none that comes later.
		if added = m.addSubscriber(s); added {
			members = fromMembers(n.Members())
		}
	})
	// On ErrClosed fn may still be running: read nothing it writes. s is
	// stopped either way; a late addSubscriber only adds a stopped one.
	if err != nil || !added {
		cancel()
		return nil, s.ch, cancel
	}
	return members, s.ch, cancel
}

// addSubscriber registers s unless the mesh is closed.
func (m *Mesh) addSubscriber(s *subscriber) bool {
	m.subsMu.Lock()
	defer m.subsMu.Unlock()
	if m.subsClosed {
		return false
	}
	m.subs[s] = struct{}{}
	return true
}

// subscription returns the function that ends s.
func (m *Mesh) subscription(s *subscriber) func() {
	var once sync.Once
	return func() {
		once.Do(func() {
			m.subsMu.Lock()
			delete(m.subs, s)
			m.subsMu.Unlock()
			s.stop()
		})
	}
}

// publish hands ev to every subscriber, each with its own copy of the
// member's metadata.
func (m *Mesh) publish(ev Event) {
	m.subsMu.Lock()
	defer m.subsMu.Unlock()
	first := true
	for s := range m.subs {
		if !first {
			ev.Member = cloneMember(ev.Member)
		}
		first = false
		s.publish(ev)
	}
}

// subscriber delivers events to one reader without ever blocking the
// engine: events go straight into the channel while it has room; after that
// they wait in an overflow list where a newer event about a member replaces
// the older one, so memory stays bounded by the number of members and the
// last word about every member always arrives. Events of one member reach
// the reader in Seq order: while one waits in the overflow list, every
// later event of any member goes there too.
type subscriber struct {
	ch      chan Event
	mu      sync.Mutex
	pending []Event        // overflow, oldest first, from head on
	head    int            // pending[:head] were delivered
	index   map[string]int // member name -> position in pending
	closed  bool
	wake    chan struct{}
	done    chan struct{}
	exited  chan struct{}
}

func newSubscriber(buf int) *subscriber {
	s := makeSubscriber(buf)
	go s.forward()
	return s
}

// makeSubscriber returns a subscriber whose forward loop is not started.
func makeSubscriber(buf int) *subscriber {
	return &subscriber{ch: make(chan Event, buf), index: map[string]int{},
		wake: make(chan struct{}, 1), done: make(chan struct{}), exited: make(chan struct{})}
}

func (s *subscriber) publish(ev Event) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return
	}
	if s.head == len(s.pending) {
		select {
		case s.ch <- ev:
			return
		default:
		}
	}
	if i, ok := s.index[ev.Member.Name]; ok {
		s.pending[i] = ev
	} else {
		s.index[ev.Member.Name] = len(s.pending)
		s.pending = append(s.pending, ev)
	}
	select {
	case s.wake <- struct{}{}:
	default:
	}
}

// next returns the oldest overflow event without removing it.
func (s *subscriber) next() (Event, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.head == len(s.pending) {
		return Event{}, false
	}
	return s.pending[s.head], true
}

// pop removes the oldest overflow event if it is still ev. A newer event
// about the same member may have replaced it while ev was being sent: then
// the newer one stays, to be sent next. Seq tells them apart; type and time
// cannot, since events handled together share one time.
func (s *subscriber) pop(ev Event) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.pending[s.head].Seq != ev.Seq {
		return
	}
	cur := s.pending[s.head]
	delete(s.index, cur.Member.Name)
	s.pending[s.head] = Event{}
	s.head++
	if s.head == len(s.pending) {
		s.pending, s.head = s.pending[:0], 0
	}
}

func (s *subscriber) forward() {
	defer close(s.exited)
	for {
		select {
		case <-s.done:
			return
		case <-s.wake:
		}
		for {
			ev, ok := s.next()
			if !ok {
				break
			}
			select {
			case s.ch <- ev:
				s.pop(ev)
			case <-s.done:
				return
			}
		}
	}
}

// stop ends forwarding and closes the channel.
func (s *subscriber) stop() {
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		return
	}
	s.closed = true
	s.mu.Unlock()
	close(s.done)
	<-s.exited
	close(s.ch)
}
