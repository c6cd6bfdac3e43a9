package mesh_test

import (
	"context"
	"errors"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/meshd/meshd/mesh"
)

// countingStrategy counts its running Run calls, so a test can tell that
// every strategy a Mesh started was stopped.
type countingStrategy struct {
	running *atomic.Int64
	seeds   []string
}

func (s countingStrategy) Name() string { return "counting" }

func (s countingStrategy) Run(ctx context.Context, found func([]string)) error {
	s.running.Add(1)
	defer s.running.Add(-1)
	found(s.seeds)
	<-ctx.Done()
	return nil
}

// Every method may be called from any goroutine, Close included: here all
// of them run at once, then Close, Close and Leave race them, under -race. Strategies
// started by a SetStrategies that races Close are stopped all the same.
func TestMethodsAreSafeForConcurrentUse(t *testing.T) {
	peer := newNode(t, "peer", nil)
	var running atomic.Int64
	strat := func() []mesh.Strategy {
		return []mesh.Strategy{countingStrategy{running: &running, seeds: []string{peer.Addr().String()}}}
	}
	for round := 0; round < 5; round++ {
		m := newNode(t, "node", func(c *mesh.Config) { c.Strategies = strat() })
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		stop := make(chan struct{})
		var wg, warm sync.WaitGroup
		// loop calls fn until stop; warm is done once every loop made a
		// few calls, so that they all overlap before Close races them.
		loop := func(fn func()) {
			wg.Add(1)
			warm.Add(1)
			go func() {
				defer wg.Done()
				for i := 0; ; i++ {
					if i == 3 {
						warm.Done()
					}
					select {
					case <-stop:
						if i < 3 {
							warm.Done()
						}
						return
					default:
					}
					fn()
				}
			}()
		}
		loop(func() { m.Members() })
		loop(func() { m.Local() })
		loop(func() { m.Stats() })
		loop(func() { m.Addr() })
		loop(func() { m.SetStrategies(strat()) })
		loop(func() { m.SetMeta(map[string]string{"k": "v"}) })
		loop(func() { m.SetKeys(nil) })
		loop(func() { m.Join(ctx, peer.Addr().String()) })
		loop(func() {
			ch, cancel := m.Subscribe()
			select {
			case <-ch:
			default:
			}
			cancel()
		})
		loop(func() {
			_, ch, cancel := m.SubscribeWithMembers()
			defer cancel()
			select {
			case <-ch:
			default:
			}
		})
		warm.Wait()
		// Two Close calls and a Leave race: exactly one of them stops the
		// mesh (nil), the others get ErrClosed.
		var closers sync.WaitGroup
		var closeErrs [3]error
		for i := range closeErrs {
			closers.Add(1)
			go func() {
				defer closers.Done()
				if i == 2 {
					closeErrs[i] = m.Leave(ctx)
					return
				}
				closeErrs[i] = m.Close()
			}()
		}
		closers.Wait()
		if n := running.Load(); n != 0 {
			t.Fatalf("round %d: %d strategies still running after Close returned", round, n)
		}
		close(stop)
		wg.Wait()
		cancel()
		if n := running.Load(); n != 0 {
			t.Fatalf("round %d: %d strategies running after Close", round, n)
		}
		stopped := 0
		for _, err := range closeErrs {
			switch {
			case err == nil:
				stopped++
			case !errors.Is(err, mesh.ErrClosed):
				t.Fatalf("round %d: Close, Close, Leave returned %v", round, closeErrs)
			}
		}
		if stopped != 1 {
			t.Fatalf("round %d: Close, Close, Leave returned %v: want one nil, the others ErrClosed", round, closeErrs)
		}
	}
}

// After Close every method answers the documented way: ErrClosed where it
// returns an error, an empty value where it does not, closed channels.
func TestBehaviourAfterClose(t *testing.T) {
	m := newNode(t, "node", nil)
	before, cancelBefore := m.Subscribe()
	defer cancelBefore()
	addr := m.Addr()
	if err := m.Close(); err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	if _, ok := <-before; ok {
		t.Fatal("a channel from before Close delivered an event after Close")
	}
	for name, err := range map[string]error{
		"Close":         m.Close(),
		"Leave":         m.Leave(ctx),
		"SetMeta":       m.SetMeta(map[string]string{"k": "v"}),
		"SetKeys":       m.SetKeys([][]byte{key(1)}),
		"SetStrategies": m.SetStrategies(nil),
		"Join":          func() error { _, err := m.Join(ctx, "127.0.0.1:1"); return err }(),
	} {
		if !errors.Is(err, mesh.ErrClosed) {
			t.Errorf("%s after Close: %v, want ErrClosed", name, err)
		}
	}
	if ms := m.Members(); ms != nil {
		t.Errorf("Members after Close: %v, want nil", ms)
	}
	if l := m.Local(); l.Name != "" || l.Addr.IsValid() {
		t.Errorf("Local after Close: %+v, want the zero Member", l)
	}
	st := m.Stats()
	if st.PacketsIn != 0 || len(st.Members) != 0 || st.Dropped == nil || st.Events == nil ||
		st.Strategies == nil || st.Heartbeats.Dropped == nil || st.Members == nil {
		t.Errorf("Stats after Close: %+v, want zero counters and empty maps", st)
	}
	if m.Addr() != addr {
		t.Errorf("Addr after Close: %v, want %v", m.Addr(), addr)
	}
	ch, cancel := m.Subscribe()
	if _, ok := <-ch; ok {
		t.Error("Subscribe after Close: the channel delivered an event")
	}
	cancel()
	cancel()
	members, ch, cancel := m.SubscribeWithMembers()
	if _, ok := <-ch; ok || members != nil {
		t.Errorf("SubscribeWithMembers after Close: members %v, an open channel %v", members, ok)
	}
	cancel()
}
