package mesh

import (
	"context"
	"fmt"
	"net/netip"
	"sync"
	"sync/atomic"
	"time"

	"github.com/meshd/meshd/internal/clock"
	"github.com/meshd/meshd/internal/core"
)

// strategies runs the configured strategies, each on its own goroutine, and
// hands what they find to the engine (core.Node.SetDiscovered), which joins
// the addresses that are not alive members: at once when they are new, and
// again every PollInterval, so that partitions heal even when nothing
// changes in discovery (libcluster#148). Addresses that vanish from every
// list are only no longer joined: discovery never declares anyone dead.
// What is left here is I/O: the names in the lists are resolved when a
// strategy reports and again every PollInterval, since DNS answers change.
type strategies struct {
	m      *Mesh
	cancel context.CancelFunc
	wg     sync.WaitGroup
	list   []Strategy

	retired atomic.Bool // stop was called: what it still finds is not handed on

	mu     sync.Mutex
	latest map[int][]string // strategy index -> last list (two of a kind may run)
	first  map[int]bool     // strategies that reported at least once
	kick   chan struct{}
	firstC chan struct{}
}

func startStrategies(m *Mesh, list []Strategy) *strategies {
	// The strategies run on the mesh's clock (poll reads it from ctx).
	ctx, cancel := context.WithCancel(clock.NewContext(context.Background(), m.clock))
	s := &strategies{m: m, cancel: cancel, list: list, latest: map[int][]string{}, first: map[int]bool{},
		kick: make(chan struct{}, 1), firstC: make(chan struct{}, len(list)+1)}
	// What strategies this set replaces found is no longer joined; this
	// set's first reports fill the engine's list again.
	m.do(func(n *core.Node) { n.SetDiscovered(m.clock.Now(), nil) })
	if len(list) == 0 {
		return s
	}
	for i, st := range list {
		s.wg.Add(1)
		go func() {
			defer s.wg.Done()
			err := st.Run(ctx, func(addrs []string) { s.found(i, addrs) })
			if err != nil && ctx.Err() == nil {
				m.log.Error("strategy stopped", "strategy", st.Name(), "err", err)
			}
		}()
	}
	s.wg.Add(1)
	go s.joinLoop(ctx)
	return s
}

func (s *strategies) found(i int, addrs []string) {
	s.mu.Lock()
	s.latest[i] = append([]string(nil), addrs...)
	if !s.first[i] {
		s.first[i] = true
		s.firstC <- struct{}{}
	}
	s.mu.Unlock()
	select {
	case s.kick <- struct{}{}:
	default:
	}
}

// wait blocks until every strategy answered once and the join of what they
// found ended, or d passed.
func (s *strategies) wait(d time.Duration) {
	deadline := s.m.clock.NewTimer(d)
	defer deadline.Stop()
	for i := 0; i < len(s.list); i++ {
		select {
		case <-s.firstC:
		case <-deadline.C():
			return
		}
	}
	ctx, cancel := clock.WithTimeout(context.Background(), s.m.clock, d)
	defer cancel()
	addrs := s.resolveAll(ctx)
	id, reports, err := s.m.startJoin(func(n *core.Node) core.JoinID {
		return n.SetDiscovered(s.m.clock.Now(), addrs)
	})
	if err != nil || id == 0 {
		return
	}
	defer s.m.forgetJoin(id)
	for {
		select {
		case r := <-reports:
			if r.End != core.JoinPending {
				return
			}
		case <-ctx.Done():
			return
		case <-s.m.done:
			return
		}
	}
}

func (s *strategies) joinLoop(ctx context.Context) {
	defer s.wg.Done()
	t := s.m.clock.NewTicker(s.m.cfg.PollInterval)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-s.kick:
		case <-t.C():
		}
		addrs := s.resolveAll(ctx)
		s.m.do(func(n *core.Node) {
			if !s.retired.Load() {
				n.SetDiscovered(s.m.clock.Now(), addrs)
			}
		})
	}
}

// resolveAll resolves every address of the latest lists, in a stable
// order; names that do not resolve are skipped until they do.
func (s *strategies) resolveAll(ctx context.Context) []netip.AddrPort {
	s.mu.Lock()
	var names []string
	seen := map[string]bool{}
	for i := range s.list {
		for _, a := range s.latest[i] {
			if !seen[a] {
				seen[a] = true
				names = append(names, a)
			}
		}
	}
	s.mu.Unlock()
	var out []netip.AddrPort
	for _, a := range names {
		aps, err := resolve(ctx, a)
		if err != nil {
			continue
		}
		out = append(out, aps...)
	}
	return out
}

// stats reports each strategy under its name; a second strategy of the
// same name is reported as "name#2", and so on.
func (s *strategies) stats() map[string]StrategyStats {
	out := map[string]StrategyStats{}
	for i, st := range s.list {
		key := st.Name()
		for n := 2; ; n++ {
			if _, taken := out[key]; !taken {
				break
			}
			key = fmt.Sprintf("%s#%d", st.Name(), n)
		}
		if r, ok := st.(StrategyReporter); ok {
			out[key] = r.Stats()
		} else {
			s.mu.Lock()
			out[key] = StrategyStats{Seeds: len(s.latest[i])}
			s.mu.Unlock()
		}
	}
	return out
}

func (s *strategies) stop() {
	s.retired.Store(true)
	s.cancel()
	s.wg.Wait()
}
