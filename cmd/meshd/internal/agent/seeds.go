package agent

import (
	"context"
	"fmt"
	"net/netip"
	"sort"
	"strconv"
	"sync"
	"time"

	"github.com/meshd/meshd/mesh"
)

// The engine joins every seed its strategies find, silently. An operator
// wants to know when a seed stays unreachable (a typo in --join, a firewall
// on 7946/udp), so the agent watches the strategies' answers and warns about
// seeds that are not alive members; the logger's rate limit keeps that to
// one line per seed per minute however often it is checked.

// seedWatch remembers the latest seed list of each strategy.
type seedWatch struct {
	mu     sync.Mutex
	latest map[string][]string // strategy key -> addresses
}

func newSeedWatch() *seedWatch { return &seedWatch{latest: map[string][]string{}} }

func (w *seedWatch) set(key string, addrs []string) {
	w.mu.Lock()
	w.latest[key] = append([]string(nil), addrs...)
	w.mu.Unlock()
}

// seeds returns every address with the strategies that reported it.
func (w *seedWatch) seeds() map[string][]string {
	w.mu.Lock()
	defer w.mu.Unlock()
	out := map[string][]string{}
	for key, addrs := range w.latest {
		for _, a := range addrs {
			out[a] = append(out[a], key)
		}
	}
	return out
}

// watched wraps a strategy to see what it finds, under a name unique in
// this agent: the engine keys strategies' lists and stats by name, so two
// strategies of one kind (a --join list and a static strategy in the file)
// must not share one.
type watched struct {
	mesh.Strategy
	name string
	w    *seedWatch
}

func (s *watched) Name() string { return s.name }

func (s *watched) Run(ctx context.Context, found func([]string)) error {
	return s.Strategy.Run(ctx, func(addrs []string) {
		s.w.set(s.name, addrs)
		found(addrs)
	})
}

// watchedReporter is watched for strategies that report stats, so the
// engine still finds the StrategyReporter.
type watchedReporter struct{ *watched }

func (s watchedReporter) Stats() mesh.StrategyStats {
	return s.Strategy.(mesh.StrategyReporter).Stats()
}

// named gives a strategy another name ("join" for the --join seeds).
type named struct {
	mesh.Strategy
	name string
}

func (n named) Name() string { return n.name }

// Stats passes the inner strategy's stats through (zero if it has none).
func (n named) Stats() mesh.StrategyStats {
	if r, ok := n.Strategy.(mesh.StrategyReporter); ok {
		return r.Stats()
	}
	return mesh.StrategyStats{}
}

// watch wraps every strategy with a unique name: its own, then name-2,
// name-3 for further ones of the same name.
func (w *seedWatch) watch(ss []mesh.Strategy) []mesh.Strategy {
	out := make([]mesh.Strategy, len(ss))
	count := map[string]int{}
	for i, s := range ss {
		name := s.Name()
		count[name]++
		if n := count[name]; n > 1 {
			name += "-" + strconv.Itoa(n)
		}
		ws := &watched{Strategy: s, name: name, w: w}
		if _, ok := s.(mesh.StrategyReporter); ok {
			out[i] = watchedReporter{ws}
		} else {
			out[i] = ws
		}
	}
	w.mu.Lock()
	w.latest = map[string][]string{} // a reload starts afresh
	w.mu.Unlock()
	return out
}

// checkSeeds warns, every interval, about seeds that were not alive members
// at this check and the previous one (a join takes a moment).
func (a *Agent) checkSeeds(ctx context.Context, interval time.Duration) {
	t := time.NewTicker(interval)
	defer t.Stop()
	missing := map[string]bool{}
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		alive := map[netip.AddrPort]bool{a.mesh.Addr(): true}
		for _, m := range a.mesh.Members() {
			if m.State == mesh.StateAlive {
				alive[m.Addr] = true
			}
		}
		now := map[string]bool{}
		seeds := a.seeds.seeds()
		addrs := make([]string, 0, len(seeds))
		for addr := range seeds {
			addrs = append(addrs, addr)
		}
		sort.Strings(addrs)
		for _, addr := range addrs {
			ap, err := netip.ParseAddrPort(addr)
			if err != nil {
				continue // a name: the engine resolves it; nothing to compare
			}
			if alive[netip.AddrPortFrom(ap.Addr().Unmap(), ap.Port())] {
				continue
			}
			now[addr] = true
			if missing[addr] {
				a.log.Warn("seed is not reachable", "seed", addr, "strategies", seeds[addr], "likely_causes",
					fmt.Sprintf("another cluster name or key on the seed (its log says why it drops our packets), or a firewall blocking UDP port %d", ap.Port()))
			}
		}
		missing = now
	}
}
