package simulator

// evKind is what a queued event does when its time comes.
type evKind uint8

const (
	evDeliver   evKind = iota // a unicast datagram arrives at address `to`
	evHeartbeat               // a multicast heartbeat arrives at address `to`
	evProcess                 // a slow node gets round to a datagram it received (flag: heartbeat)
	evTick                    // a node's timer deadline
	evStop                    // a leaving node stops after gossiping its leave
	evStart                   // a pending node starts
	evAction                  // a timeline action (index into engine.actions)
	evSample                  // the timeline takes a sample
)

// event is one entry of the queue. It is a value (no pointer per event) and
// small, because a 10,000-node run pushes tens of millions of them.
type event struct {
	at   int64  // virtual time, ns since the start
	seq  uint64 // push order: breaks ties so runs are deterministic
	data []byte // datagram, for deliveries
	from int32  // sender's address number, for deliveries
	to   int32  // receiver's address number (deliveries) or node index
	gen  uint32 // the node's generation when scheduled: stale after a crash
	kind evKind
	flag uint8
}

func (e *event) before(o *event) bool {
	return e.at < o.at || (e.at == o.at && e.seq < o.seq)
}

// eventQueue is a binary min-heap on (at, seq). It is hand-written rather
// than container/heap so that push and pop move values without boxing them
// in interfaces (no allocation per event).
type eventQueue struct {
	h   []event
	seq uint64
}

func (q *eventQueue) len() int { return len(q.h) }

func (q *eventQueue) push(e event) {
	e.seq = q.seq
	q.seq++
	q.h = append(q.h, e)
	// Sift up, moving the hole instead of swapping.
	i := len(q.h) - 1
	for i > 0 {
		p := (i - 1) / 2
		if !e.before(&q.h[p]) {
			break
		}
		q.h[i] = q.h[p]
		i = p
	}
	q.h[i] = e
}

// peek returns the earliest event; the queue must not be empty.
func (q *eventQueue) peek() *event { return &q.h[0] }

// pop removes and returns the earliest event; the queue must not be empty.
func (q *eventQueue) pop() event {
	top := q.h[0]
	n := len(q.h) - 1
	last := q.h[n]
	q.h[n] = event{} // drop the data reference
	q.h = q.h[:n]
	if n > 0 {
		i := 0
		for {
			c := 2*i + 1
			if c >= n {
				break
			}
			if c+1 < n && q.h[c+1].before(&q.h[c]) {
				c++
			}
			if !q.h[c].before(&last) {
				break
			}
			q.h[i] = q.h[c]
			i = c
		}
		q.h[i] = last
	}
	return top
}
