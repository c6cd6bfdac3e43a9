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

// A node that joins a settled cluster and crashes soon after is detected as
// fast as any other: members put a newcomer into their current probe round
// instead of waiting for the round (N probe intervals) to end.
func TestLateJoinerCrashIsDetected(t *testing.T) {
	net := newCluster(t, 3, 100)
	net.Run(40 * time.Second) // every node is in the middle of a round
	late := net.Add()
	net.Join(late, net.Nodes[0])
	if d, ok := net.RunUntil(100*time.Millisecond, time.Minute, net.Converged); !ok {
		t.Fatalf("the late joiner did not converge in %v", d)
	}
	net.Crash(late)
	dead := func() bool {
		for _, h := range net.Live() {
			if s, _ := coretest.StateOf(h, late.Name); s != membership.StateDead {
				return false
			}
		}
		return true
	}
	// The suspicion timeout at N=100 is 8 s at least; a newcomer probed only
	// after the rounds end takes about twice as long here.
	d, ok := net.RunUntil(100*time.Millisecond, 14*time.Second, dead)
	if !ok {
		t.Fatalf("the late joiner's crash was not known to all within %v", d)
	}
	t.Logf("known dead by all after %v", d)
}
