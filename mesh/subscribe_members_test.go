package mesh_test

import (
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/meshd/meshd/mesh"
)

// view is a member list kept up to date from a snapshot and the events
// that follow it, as an application would keep one; it notifies wake after
// every event it applied.
type view struct {
	mu      sync.Mutex
	state   map[string]mesh.State
	lastSeq uint64
	err     error
}

func follow(members []mesh.Member, ch <-chan mesh.Event, wake chan<- struct{}) *view {
	v := &view{state: map[string]mesh.State{}}
	for _, m := range members {
		v.state[m.Name] = m.State
	}
	go func() {
		for ev := range ch {
			v.mu.Lock()
			if ev.Seq <= v.lastSeq && v.err == nil {
				v.err = fmt.Errorf("event Seq %d after %d", ev.Seq, v.lastSeq)
			}
			v.lastSeq = ev.Seq
			v.state[ev.Member.Name] = ev.Member.State
			v.mu.Unlock()
			notify(wake)
		}
	}()
	return v
}

func (v *view) matches(ms []mesh.Member) bool {
	v.mu.Lock()
	defer v.mu.Unlock()
	if len(v.state) != len(ms) {
		return false
	}
	for _, m := range ms {
		if st, ok := v.state[m.Name]; !ok || st != m.State {
			return false
		}
	}
	return true
}

// Snapshots taken while members keep joining, each followed by its events,
// all end up equal to the member list: no event falls between a snapshot
// and its channel.
func TestSubscribeWithMembersMissesNothing(t *testing.T) {
	hub := newNode(t, "hub", nil)
	members, ch, cancel := hub.SubscribeWithMembers()
	defer cancel()
	if len(members) != 1 || members[0].Name != "hub" || members[0].State != mesh.StateAlive {
		t.Fatalf("first snapshot %+v, want only this member, alive", members)
	}
	applied := make(chan struct{}, 1)
	views := []*view{follow(members, ch, applied)}
	var joiners sync.WaitGroup
	var nodes []*mesh.Mesh
	for i := 0; i < 6; i++ {
		nodes = append(nodes, newNode(t, fmt.Sprintf("node-%d", i), nil))
	}
	for _, m := range nodes {
		joiners.Add(1)
		go func() {
			defer joiners.Done()
			if err := tryJoin(m, hub); err != nil {
				t.Error(err)
			}
		}()
		members, ch, cancel := hub.SubscribeWithMembers()
		defer cancel()
		views = append(views, follow(members, ch, applied))
	}
	joiners.Wait()
	waitWoken(t, 20*time.Second, "every view to match the member list", func() bool {
		ms := hub.Members()
		if len(ms) != 7 {
			return false
		}
		for _, v := range views {
			if !v.matches(ms) {
				return false
			}
		}
		return true
	}, applied)
	for i, v := range views {
		v.mu.Lock()
		err := v.err
		v.mu.Unlock()
		if err != nil {
			t.Fatalf("view %d: %v", i, err)
		}
	}
}

// A member that stops answering is first reported suspect, then failed.
func TestSuspicionIsAnEvent(t *testing.T) {
	ms := startN(t, 3, nil)
	waitFor(t, 20*time.Second, "3 alive", allSee(ms, 3), ms...)
	ch, cancel := ms[0].Subscribe()
	defer cancel()
	victim := ms[2].Local().Name
	ms[2].Close()
	var got []mesh.EventType
	timeout := time.After(30 * time.Second)
	for len(got) == 0 || got[len(got)-1] != mesh.EventFail {
		select {
		case ev := <-ch:
			if ev.Member.Name == victim {
				got = append(got, ev.Type)
			}
		case <-timeout:
			t.Fatalf("events about %s: %v, no EventFail", victim, got)
		}
	}
	if got[0] != mesh.EventSuspect {
		t.Fatalf("events about %s: %v, want EventSuspect first", victim, got)
	}
}
