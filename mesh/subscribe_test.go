package mesh

import (
	"fmt"
	"math/rand"
	"testing"
	"time"
)

func update(name string, seq uint64, at time.Time) Event {
	return Event{Type: EventUpdate, Member: Member{Name: name}, At: at, Seq: seq}
}

// Two updates about one member in one receive batch share one time. While
// the forward loop is sending the first from the overflow list, the second
// replaces it there; the loop must then keep the second, not take it for
// the one it just sent. This replays the loop's steps one by one.
func TestSubscriberKeepsNewerEventOfOneBatch(t *testing.T) {
	s := makeSubscriber(1)
	at := time.Unix(1_700_000_000, 0)
	s.publish(update("x", 1, at)) // into the channel
	s.publish(update("x", 2, at)) // channel full: overflow
	inHand, ok := s.next()        // the loop takes it and blocks sending
	if !ok || inHand.Seq != 2 {
		t.Fatalf("next: %+v %v", inHand, ok)
	}
	s.publish(update("x", 3, at)) // same batch, same time: replaces 2
	if ev := <-s.ch; ev.Seq != 1 {
		t.Fatalf("first event Seq %d, want 1", ev.Seq)
	}
	s.ch <- inHand // the loop's send completes
	s.pop(inHand)
	<-s.ch
	ev, ok := s.next()
	if !ok || ev.Seq != 3 {
		t.Fatalf("after sending Seq 2 the overflow holds %+v (%v), want Seq 3", ev, ok)
	}
}

// A reader that falls behind gets every member's newest event last, and a
// member's events in Seq order, whatever the interleaving.
func TestSlowReaderGetsNewestPerMemberInOrder(t *testing.T) {
	for round := 0; round < 20; round++ {
		s := newSubscriber(4)
		rng := rand.New(rand.NewSource(int64(round)))
		at := time.Unix(1_700_000_000, 0)
		last := map[string]uint64{}
		got := map[string]uint64{}
		done := make(chan error)
		caught := make(chan struct{})
		go func() {
			for ev := range s.ch {
				if ev.Member.Name == "end" {
					close(caught)
					continue
				}
				if ev.Seq <= got[ev.Member.Name] {
					done <- fmt.Errorf("%s: Seq %d after %d", ev.Member.Name, ev.Seq, got[ev.Member.Name])
					for range s.ch {
					}
					return
				}
				got[ev.Member.Name] = ev.Seq
				if rng.Intn(4) == 0 {
					time.Sleep(time.Microsecond)
				}
			}
			done <- nil
		}()
		for seq := uint64(1); seq <= 2000; seq++ {
			name := fmt.Sprintf("m%d", seq%7)
			s.publish(update(name, seq, at))
			last[name] = seq
		}
		// A last event about a member of its own comes after everything
		// queued before it: once the reader has it, it has caught up.
		s.publish(update("end", 2001, at))
		select {
		case <-caught:
		case <-time.After(10 * time.Second):
			t.Fatal("the reader never caught up")
		}
		s.stop()
		if err := <-done; err != nil {
			t.Fatal(err)
		}
		for name, seq := range last {
			if got[name] != seq {
				t.Fatalf("round %d: %s: newest event received Seq %d, want %d", round, name, got[name], seq)
			}
		}
	}
}
