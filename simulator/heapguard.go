package simulator

import (
	"fmt"
	"runtime/debug"
	"runtime/metrics"
	"strconv"
	"strings"
)

// heapGuard stops a run whose live heap (what survives a GC) nears a
// ceiling, so a scenario too big for the machine reports how far it got
// instead of being killed by the kernel, and tells the garbage collector
// about the ceiling so it works harder before giving up.
type heapGuard struct {
	limit   uint64
	prev    int64
	samples []metrics.Sample
	peak    uint64
}

func newHeapGuard(limit uint64) *heapGuard {
	g := &heapGuard{limit: limit, samples: []metrics.Sample{{Name: "/gc/heap/live:bytes"}}}
	g.prev = debug.SetMemoryLimit(int64(limit))
	return g
}

// check is an Options.Abort.
func (g *heapGuard) check() error {
	metrics.Read(g.samples)
	if g.samples[0].Value.Kind() != metrics.KindUint64 {
		return nil
	}
	live := g.samples[0].Value.Uint64()
	g.peak = max(g.peak, live)
	if live > g.limit/10*9 {
		return fmt.Errorf("live heap %s after GC passed 90%% of --max-heap %s", humanBytes(float64(live)), humanBytes(float64(g.limit)))
	}
	return nil
}

func (g *heapGuard) release() { debug.SetMemoryLimit(g.prev) }

// parseSize reads "16GiB", "512MiB", "2G" or a plain byte count.
func parseSize(s string) (uint64, error) {
	t := strings.TrimSpace(s)
	mult := uint64(1)
	for _, u := range []struct {
		suffix string
		mult   uint64
	}{{"GiB", 1 << 30}, {"MiB", 1 << 20}, {"KiB", 1 << 10}, {"G", 1 << 30}, {"M", 1 << 20}, {"K", 1 << 10}, {"B", 1}} {
		if v, ok := strings.CutSuffix(t, u.suffix); ok {
			t, mult = strings.TrimSpace(v), u.mult
			break
		}
	}
	v, err := strconv.ParseFloat(t, 64)
	if err != nil || v <= 0 || v*float64(mult) > 1<<50 {
		return 0, fmt.Errorf("%q is not a size such as 14GiB or 512MiB", s)
	}
	return uint64(v * float64(mult)), nil
}
