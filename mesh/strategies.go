package mesh

import (
	"context"
	"fmt"
	"net/netip"
	"sync"
	"time"

	"github.com/meshd/meshd/internal/clock"
)

// strategies runs the configured strategies, each on its own goroutine, and
// joins what they find: at once when a strategy reports a list, and again
// every PollInterval for every address of the latest lists that is not an
// alive member, so that partitions heal even when nothing changes in
// discovery (libcluster#148). Addresses that vanish from a list are only no
// longer joined: discovery never declares anyone dead.
type strategies struct {
	m      *Mesh
	cancel context.CancelFunc
	wg     sync.WaitGroup
	list   []Strategy

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

// wait blocks until every strategy answered once (and its seeds were tried)
// or d passed.
func (s *strategies) wait(d time.Duration) {
	deadline := time.After(d)
	for i := 0; i < len(s.list); i++ {
		select {
		case <-s.firstC:
		case <-deadline:
			return
		}
	}
	ctx, cancel := context.WithTimeout(context.Background(), d)
	defer cancel()
	s.joinMissing(ctx)
}

func (s *strategies) joinLoop(ctx context.Context) {
	defer s.wg.Done()
	t := time.NewTicker(s.m.cfg.PollInterval)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-s.kick:
		case <-t.C:
		}
		s.joinMissing(ctx)
	}
}

// joinMissing joins every discovered address that is not an alive member.
func (s *strategies) joinMissing(ctx context.Context) {
	s.mu.Lock()
	var addrs []string
	seen := map[string]bool{}
	for _, list := range s.latest {
		for _, a := range list {
			if !seen[a] {
				seen[a] = true
				addrs = append(addrs, a)
			}
		}
	}
	s.mu.Unlock()
	if len(addrs) == 0 {
		return
	}
	alive := map[netip.AddrPort]bool{}
	for _, mem := range s.m.Members() {
		if mem.State == StateAlive || mem.State == StateSuspect {
			alive[mem.Addr] = true
		}
	}
	var missing []string
	for _, a := range addrs {
		aps, err := resolve(ctx, a)
		if err != nil {
			continue
		}
		for _, ap := range aps {
			if !alive[ap] && ap != s.m.addr {
				missing = append(missing, ap.String())
			}
		}
	}
	if len(missing) == 0 {
		return
	}
	jctx, cancel := context.WithTimeout(ctx, 2*s.m.cfg.ProbeInterval)
	defer cancel()
	if _, err := s.m.Join(jctx, missing...); err != nil {
		s.m.log.Debug("seeds did not answer", "seeds", missing, "err", err)
	}
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
	s.cancel()
	s.wg.Wait()
}
