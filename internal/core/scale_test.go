package core_test

import (
	"testing"
	"time"

	"github.com/meshd/meshd/internal/coretest"
	"github.com/meshd/meshd/internal/membership"
)

// joinStorm starts n nodes that all join node 0 at once.
func joinStorm(seed int64, n int) *coretest.Net {
	net := coretest.New(seed, coretest.LANParams())
	for i := 0; i < n; i++ {
		net.Add()
	}
	for _, h := range net.Nodes[1:] {
		net.Join(h, net.Nodes[0])
	}
	return net
}

func TestJoinStorm1000Converges(t *testing.T) {
	if testing.Short() {
		t.Skip("1,000-node join storm is not short")
	}
	net := joinStorm(7, 1000)
	d, ok := net.RunUntil(500*time.Millisecond, 5*time.Minute, net.Converged)
	if !ok {
		worst := 1000
		for _, h := range net.Nodes {
			if c, _ := h.Node.View(); c < worst {
				worst = c
			}
		}
		t.Fatalf("1,000 nodes did not converge in %v of simulated time (worst view %d)", d, worst)
	}
	t.Logf("1,000 nodes converged after %v simulated; %d packets, %d bytes", d, net.Delivered, net.Bytes)
	for _, h := range net.Nodes {
		for _, ev := range h.Events {
			if ev.Type == membership.EventFail {
				t.Fatalf("%s saw a false failure of %s", h.Name, ev.Member.Name)
			}
		}
	}
}

func TestSameSeedSameTrace(t *testing.T) {
	run := func(seed int64) uint64 {
		net := joinStorm(seed, 100)
		net.Run(30 * time.Second)
		return net.TraceHash()
	}
	a, b, c := run(42), run(42), run(43)
	if a != b {
		t.Fatalf("same seed, different trace hashes %x and %x", a, b)
	}
	if a == c {
		t.Fatalf("different seeds gave the same trace hash %x", a)
	}
}

func TestLossGivesNoFalseDead(t *testing.T) {
	if testing.Short() {
		t.Skip("5 simulated minutes of 200 nodes is not short")
	}
	net := joinStorm(11, 200)
	if d, ok := net.RunUntil(500*time.Millisecond, 3*time.Minute, net.Converged); !ok {
		t.Fatalf("200 nodes did not converge in %v", d)
	}
	falseDead := 0
	net.OnEvent = func(h *coretest.Host, ev membership.Event) {
		if ev.Type == membership.EventFail {
			falseDead++
		}
	}
	link := net.Links.Default()
	link.Loss = 0.10
	net.Links.SetDefault(link)
	net.Run(5 * time.Minute)
	if falseDead != 0 {
		t.Fatalf("10%% loss for 5 minutes gave %d false dead verdicts", falseDead)
	}
}
