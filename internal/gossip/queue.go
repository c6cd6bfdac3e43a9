// Package gossip is the delta dissemination queue: each update about a member
// is piggybacked on outgoing packets a bounded number of times,
// RetransmitMult * ceil(log10(N+1)), least-sent first, and a newer update
// about the same member replaces the older one (memberlist's
// Broadcast.Invalidates). Pure: no clock, goroutine or lock.
package gossip

import "math"

// Queue holds encoded updates keyed by member name. Not safe for concurrent use.
type Queue struct {
	byKey map[string]*item
	// levels[i] holds items sent i times, newest last; picking from the
	// lowest level first spreads fresh news fastest.
	levels [][]*item
	seq    uint64
	count  int
}

type item struct {
	key      string
	msg      []byte
	sent     int
	seq      uint64
	alive    bool
	announce bool // news its subject already knows (its own alive message)
}

// New returns an empty queue.
func New() *Queue { return &Queue{byKey: make(map[string]*item)} }

// Limit is the number of times an update is sent in a cluster of n members.
func Limit(mult, n int) int {
	return mult * int(math.Ceil(math.Log10(float64(n)+1)))
}

// Push queues msg (an encoded message) about key, replacing any queued
// update about the same key. The queue keeps its own copy of msg.
func (q *Queue) Push(key string, msg []byte) { q.push(key, msg, false) }

// PushAnnouncement is Push for news the member key itself already knows
// (that it is alive, with this address and metadata): FillFor does not
// spend a transmission of it on key. Suspicions go through Push: their
// subject must hear them to refute.
func (q *Queue) PushAnnouncement(key string, msg []byte) { q.push(key, msg, true) }

func (q *Queue) push(key string, msg []byte, announce bool) {
	if old, ok := q.byKey[key]; ok {
		old.alive = false
		q.count--
	}
	q.seq++
	it := &item{key: key, msg: append([]byte(nil), msg...), seq: q.seq, alive: true, announce: announce}
	q.byKey[key] = it
	q.put(it)
	q.count++
}

func (q *Queue) put(it *item) {
	for len(q.levels) <= it.sent {
		q.levels = append(q.levels, nil)
	}
	q.levels[it.sent] = append(q.levels[it.sent], it)
}

// Has says whether an update about key is queued and not yet sent out in
// full.
func (q *Queue) Has(key string) bool {
	_, ok := q.byKey[key]
	return ok
}

// Len is the number of queued updates.
func (q *Queue) Len() int { return q.count }

// Fill appends to dst as many queued messages as fit in budget bytes
// (overhead bytes are charged per message on top of its length), counting a
// transmission for each, and drops those sent limit times. It stops scanning
// once the budget is nearly spent, so a long queue costs little per packet.
func (q *Queue) Fill(dst [][]byte, budget, overhead, limit int) ([][]byte, int) {
	return q.FillFor(dst, budget, overhead, limit, "")
}

// FillFor is Fill for a packet to the member named skip: announcements about
// the recipient itself are not sent to it, and so do not use up a
// transmission.
func (q *Queue) FillFor(dst [][]byte, budget, overhead, limit int, skip string) ([][]byte, int) {
	const minUseful = 12
	used := 0
	var resend []*item
	for lvl := 0; lvl < len(q.levels) && budget-used >= minUseful+overhead; lvl++ {
		items := q.levels[lvl]
		var skipped []*item // did not fit, newest first
		i := len(items) - 1
		for ; i >= 0 && budget-used >= minUseful+overhead; i-- {
			it := items[i]
			if !it.alive {
				continue
			}
			if (it.announce && it.key == skip) || used+len(it.msg)+overhead > budget {
				skipped = append(skipped, it)
				continue
			}
			used += len(it.msg) + overhead
			dst = append(dst, it.msg)
			it.sent++
			if it.sent >= limit {
				it.alive = false
				delete(q.byKey, it.key)
				q.count--
			} else {
				resend = append(resend, it)
			}
		}
		// items[:i+1] were not looked at; the skipped ones go back after
		// them in their original (oldest-first) order.
		rest := items[:i+1]
		for j := len(skipped) - 1; j >= 0; j-- {
			rest = append(rest, skipped[j])
		}
		clear(items[len(rest):])
		q.levels[lvl] = rest
	}
	for i := len(resend) - 1; i >= 0; i-- {
		q.put(resend[i])
	}
	return dst, used
}
