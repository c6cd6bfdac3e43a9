package failure

import (
	"fmt"
	"math/rand"
	"net/netip"
	"testing"
	"time"
)

// cluster is n detectors that each see all the others, with probe phases
// spread over the window as nodes started at different times have them.
type cluster struct {
	names []string
	all   fakeMembers
	dets  []*Detector
	phase []time.Duration
}

func newCluster(n int, seed int64) *cluster {
	rng := rand.New(rand.NewSource(seed))
	c := &cluster{}
	for i := 0; i < n; i++ {
		name := fmt.Sprintf("node-%03d", i)
		c.names = append(c.names, name)
		c.all = append(c.all, Target{Name: name, Addr: netip.AddrPortFrom(netip.AddrFrom4([4]byte{10, 0, byte(i >> 8), byte(i)}), 1)})
	}
	for i := 0; i < n; i++ {
		cf := cfg()
		cf.Self = c.names[i]
		c.dets = append(c.dets, New(cf, rand.New(rand.NewSource(seed+int64(i)))))
		c.phase = append(c.phase, time.Duration(rng.Int63n(int64(time.Second))))
	}
	return c
}

// view is what node i sees: everyone else in live.
func (c *cluster) view(i int, live map[string]bool) fakeMembers {
	var f fakeMembers
	for j, t := range c.all {
		if j != i && live[t.Name] {
			f = append(f, t)
		}
	}
	return f
}

// window runs probe window w on every live node and returns how often
// each member was probed in it.
func (c *cluster) window(w int, live map[string]bool) map[string]int {
	probed := map[string]int{}
	for i, d := range c.dets {
		if !live[c.names[i]] {
			continue
		}
		now := t0.Add(time.Duration(w)*time.Second + c.phase[i])
		d.Tick(now, c.view(i, live))
		for _, a := range d.Actions() {
			if a.Kind == SendPing {
				probed[a.Target.Name]++
				d.HandleAck(now, a.Seq)
			}
		}
	}
	return probed
}

func everyone(names []string) map[string]bool {
	live := map[string]bool{}
	for _, n := range names {
		live[n] = true
	}
	return live
}

// While views agree, every live member is probed by exactly one node in
// every window: a crash is probed in the first window after it.
func TestRingProbesEveryMemberOncePerWindow(t *testing.T) {
	for _, n := range []int{2, 3, 16, 61} {
		c := newCluster(n, int64(n))
		live := everyone(c.names)
		for w := 0; w < 3*n; w++ {
			probed := c.window(w, live)
			for _, name := range c.names {
				if probed[name] != 1 {
					t.Fatalf("n=%d window %d: %s probed %d times, want 1 (%v)", n, w, name, probed[name], probed)
				}
			}
		}
	}
}

// Each node on its own still probes every member once in n-1 windows, as in
// a round of SWIM's round-robin.
func TestRingCyclesThroughEveryMember(t *testing.T) {
	c := newCluster(9, 3)
	live := everyone(c.names)
	var got []string
	d := c.dets[4]
	for w := 0; w < 2*8; w++ {
		now := t0.Add(time.Duration(w) * time.Second)
		d.Tick(now, c.view(4, live))
		for _, a := range d.Actions() {
			if a.Kind == SendPing {
				got = append(got, a.Target.Name)
				d.HandleAck(now, a.Seq)
			}
		}
	}
	for cycle := 0; cycle < 2; cycle++ {
		seen := map[string]bool{}
		for _, name := range got[cycle*8 : cycle*8+8] {
			seen[name] = true
		}
		if len(seen) != 8 || seen[c.names[4]] {
			t.Fatalf("cycle %d probed %v, want each of the 8 others once", cycle, got[cycle*8:cycle*8+8])
		}
	}
}

// A member added with Add, or taken off with Remove, changes every node's
// ring alike: the next window covers the new membership exactly once.
func TestRingFollowsAddAndRemove(t *testing.T) {
	c := newCluster(12, 7)
	live := everyone(c.names[:11])
	for w := 0; w < 5; w++ {
		c.window(w, live)
	}
	newcomer, gone := c.names[11], c.names[3]
	live[newcomer] = true
	delete(live, gone)
	for i, d := range c.dets {
		if i != 3 && i != 11 {
			d.Add(newcomer)
			d.Remove(gone)
		}
	}
	// The newcomer's own ring is read from its table at its first probe.
	for w := 5; w < 30; w++ {
		probed := c.window(w, live)
		if probed[gone] != 0 {
			t.Fatalf("window %d: removed %s was probed", w, gone)
		}
		for name := range live {
			if probed[name] != 1 {
				t.Fatalf("window %d: %s probed %d times, want 1", w, name, probed[name])
			}
		}
	}
}

// A member that stopped answering is suspected by a different node in each
// window after its crash: Lifeguard's confirmations come one a window.
func TestRingGivesIndependentSuspicions(t *testing.T) {
	c := newCluster(16, 11)
	live := everyone(c.names)
	for w := 0; w < 4; w++ {
		c.window(w, live)
	}
	victim := c.names[6]
	accusers := map[string]bool{}
	for w := 4; w < 8; w++ {
		for i, d := range c.dets {
			if i == 6 {
				continue
			}
			now := t0.Add(time.Duration(w)*time.Second + c.phase[i])
			d.Tick(now, c.view(i, live))
			for _, a := range d.Actions() {
				if a.Kind == SendPing && a.Target.Name != victim {
					d.HandleAck(now, a.Seq)
				}
				if a.Kind == Suspect && a.Target.Name == victim {
					accusers[c.names[i]] = true
				}
			}
		}
	}
	// Windows 4-6 each end with one failed probe of the victim (window 7's
	// ends after the loop).
	if len(accusers) != 3 {
		t.Fatalf("victim suspected by %v, want 3 different nodes in 3 windows", accusers)
	}
}
