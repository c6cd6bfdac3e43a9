package mesh

import "sync"

// subscriber delivers events to one reader without ever blocking the
// engine: events go straight into the channel while it has room; after that
// they wait in an overflow list where a newer event about a member replaces
// the older one, so memory stays bounded by the number of members and the
// last word about every member always arrives.
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
	s := &subscriber{ch: make(chan Event, buf), index: map[string]int{},
		wake: make(chan struct{}, 1), done: make(chan struct{}), exited: make(chan struct{})}
	go s.forward()
	return s
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

// pop removes the oldest overflow event, which must still be ev (a newer
// event about the same member may have replaced it meanwhile: then it stays).
func (s *subscriber) pop(ev Event) {
	s.mu.Lock()
	defer s.mu.Unlock()
	cur := s.pending[s.head]
	if cur.Type != ev.Type || !cur.At.Equal(ev.At) {
		return
	}
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
