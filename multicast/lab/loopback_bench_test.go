package lab

import (
	"fmt"
	"testing"
	"time"

	"github.com/meshd/meshd/mesh"
)

// BenchmarkLoopbackConvergence starts n members in this process on the
// loopback interface (TTL 0), one after another as fast as mesh.New returns,
// with no seeds, and reports how long after the last start every member
// sees all n alive, in heartbeat intervals, and the gossip bytes each
// member sent meanwhile (joins and syncs the heartbeats triggered).
//
//	go test ./multicast/lab -run XXX -bench LoopbackConvergence -benchtime 1x
func BenchmarkLoopbackConvergence(b *testing.B) {
	const interval = time.Second
	for _, n := range []int{20, 200} {
		b.Run(fmt.Sprintf("members=%d", n), func(b *testing.B) {
			for i := 0; i < b.N; i++ {
				cluster, keys := uniqueCluster(), [][]byte{newKey()}
				var ms []*mesh.Mesh
				for j := 0; j < n; j++ {
					cfg := mesh.DefaultLocalConfig()
					cfg.Name, cfg.BindAddr, cfg.Cluster, cfg.Keys = fmt.Sprintf("node-%03d", j), "127.0.0.1:0", cluster, keys
					cfg.Multicast = &mesh.MulticastConfig{Interfaces: []string{"127.0.0.1"}, Loopback: true, Interval: interval}
					m, err := mesh.New(cfg)
					if err != nil {
						closeAll(ms)
						b.Fatal(err)
					}
					ms = append(ms, m)
				}
				took, ok := waitFor(2*time.Minute, func() bool {
					for _, m := range ms {
						if len(states(m)[mesh.StateAlive]) != n {
							return false
						}
					}
					return true
				})
				var out uint64
				for _, m := range ms {
					out += m.Stats().BytesOut
				}
				closeAll(ms)
				if !ok {
					b.Fatalf("%d members did not converge in %v", n, took)
				}
				b.ReportMetric(float64(took)/float64(interval), "intervals")
				b.ReportMetric(float64(out)/float64(n), "gossip_B/member")
			}
		})
	}
}
