package mesh

import (
	"context"
	"time"
)

// Strategy is a source of seed addresses: static hosts, a hosts file, DNS,
// the Kubernetes API, multicast heartbeats, or your own code. Run is called
// once, on its own goroutine, when the Mesh starts; it calls found with the
// complete current list ("host:port" strings) every time it has one, and
// returns when ctx is done. The Mesh joins every address of the latest list
// that is not an alive member, on every call and again every PollInterval, so
// partitions heal. An error return ends the strategy and is logged; strategies
// that poll should keep the last good list on errors instead of returning.
//
// Discovery only feeds seeds: a member that vanishes from a strategy's list
// is never declared dead for that; only failure detection decides that.
//
// A complete example, a strategy that reads seeds from an HTTP endpoint:
//
//	type httpSeeds struct{ url string }
//
//	func (h httpSeeds) Name() string { return "http" }
//
//	func (h httpSeeds) Run(ctx context.Context, found func([]string)) error {
//		t := time.NewTicker(10 * time.Second)
//		defer t.Stop()
//		for {
//			req, _ := http.NewRequestWithContext(ctx, "GET", h.url, nil)
//			if resp, err := http.DefaultClient.Do(req); err == nil {
//				var addrs []string
//				if json.NewDecoder(resp.Body).Decode(&addrs) == nil {
//					found(addrs)
//				}
//				resp.Body.Close()
//			}
//			select {
//			case <-ctx.Done():
//				return nil
//			case <-t.C:
//			}
//		}
//	}
//
//	cfg.Strategies = []mesh.Strategy{httpSeeds{url: "http://seeds.internal/v1"}}
type Strategy interface {
	// Name identifies the strategy in logs and metrics ("dns", "static", ...).
	Name() string
	Run(ctx context.Context, found func(addrs []string)) error
}

// StrategyStats is what a strategy reports for metrics, when it implements
// StrategyReporter.
type StrategyStats struct {
	Polls       uint64
	Errors      uint64
	LastSuccess time.Time
	LastError   string
	Seeds       int
	// Failures counts failures by cause, for strategies that tell causes
	// apart: the dns and dnssrv strategies count every failed DNS query by
	// type and rcode ("AAAA REFUSED", "SRV SERVFAIL", "A timeout"), also
	// when the poll as a whole succeeded on the other family. Nil otherwise.
	Failures map[string]uint64
}

// StrategyReporter is implemented by strategies that count their polls. Stats
// may be called from any goroutine.
type StrategyReporter interface {
	Stats() StrategyStats
}
