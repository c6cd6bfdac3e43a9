package core_test

import (
	"testing"
	"time"

	"github.com/meshd/meshd/mesh/internal/coretest"
	"github.com/meshd/meshd/mesh/membership"
)

func newCluster(t *testing.T, seed int64, n int) *coretest.Net {
	t.Helper()
	net := coretest.New(seed, coretest.LANParams())
	for i := 0; i < n; i++ {
		net.Add()
	}
	for _, h := range net.Nodes[1:] {
		net.Join(h, net.Nodes[0])
	}
	if d, ok := net.RunUntil(100*time.Millisecond, 2*time.Minute, net.Converged); !ok {
		t.Fatalf("%d nodes did not converge in %v", n, d)
	}
	return net
}

func TestJoinAndDetect(t *testing.T) {
	net := newCluster(t, 1, 5)
	victim := net.Nodes[3]
	net.Crash(victim)
	dead := func() bool {
		for _, h := range net.Live() {
			if s, _ := coretest.StateOf(h, victim.Name); s != membership.StateDead {
				return false
			}
		}
		return true
	}
	if d, ok := net.RunUntil(100*time.Millisecond, time.Minute, dead); !ok {
		t.Fatalf("crash not detected by all within %v", d)
	} else {
		t.Logf("detected by all in %v", d)
	}
}
