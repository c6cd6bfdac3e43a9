package coretest

import (
	"container/heap"
	"time"
)

// HoldAll sets Hold and moves the datagrams in flight into Held, in the
// order they would have arrived: from now on nothing arrives unless
// delivered.
func (n *Net) HoldAll() {
	n.Hold = true
	var ticks []event
	for n.q.Len() > 0 {
		e := heap.Pop(&n.q).(event)
		if e.d != nil {
			n.Held = append(n.Held, e.d)
		} else {
			ticks = append(ticks, e)
		}
	}
	for _, e := range ticks {
		heap.Push(&n.q, e)
	}
}

// Release clears Hold and puts the held datagrams back in flight: they
// arrive now, in the order they were held; later ones travel with their
// latency again.
func (n *Net) Release() {
	n.Hold = false
	for _, d := range n.Held {
		n.seq++
		heap.Push(&n.q, event{at: n.Now, seq: n.seq, to: d.To, d: d})
	}
	n.Held = nil
}

// Deliver hands the held datagrams that match to their receivers now, in
// the order they were held, and returns them. What the receivers send in
// turn is held (while Hold is set), not delivered by this call.
func (n *Net) Deliver(match func(*Datagram) bool) []*Datagram {
	taken := n.take(match)
	for _, d := range taken {
		n.deliver(d)
	}
	return taken
}

// DropHeld removes the held datagrams that match and returns them.
func (n *Net) DropHeld(match func(*Datagram) bool) []*Datagram { return n.take(match) }

func (n *Net) take(match func(*Datagram) bool) []*Datagram {
	var taken, kept []*Datagram
	for _, d := range n.Held {
		if match == nil || match(d) {
			taken = append(taken, d)
		} else {
			kept = append(kept, d)
		}
	}
	n.Held = kept
	return taken
}

// Elapsed is the virtual time since Epoch.
func (n *Net) Elapsed() time.Duration { return n.Now.Sub(Epoch) }
