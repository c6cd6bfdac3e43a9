package core_test

import (
	"net/netip"
	"slices"
	"testing"
	"time"

	"github.com/meshd/meshd/internal/core"
	"github.com/meshd/meshd/internal/coretest"
	"github.com/meshd/meshd/internal/membership"
	"github.com/meshd/meshd/internal/wire"
)

// joinReqs records when each host sent a JoinReq to each address, lost or
// not, through the network's OnSend hook; lose, when set, decides which of
// them the network loses.
type joinReqs struct {
	net   *coretest.Net
	codec *wire.Codec
	dec   *wire.Decoder
	sent  map[string][]time.Time // "from>to" -> send times
	lose  func(from *coretest.Host, to netip.AddrPort, nth int) bool
}

func watchJoinReqs(t *testing.T, net *coretest.Net) *joinReqs {
	t.Helper()
	codec, err := wire.NewCodec(net.Cluster, net.Keys, nil)
	if err != nil {
		t.Fatal(err)
	}
	w := &joinReqs{net: net, codec: codec, dec: wire.NewDecoder(), sent: map[string][]time.Time{}}
	net.OnSend = w.onSend
	return w
}

func (w *joinReqs) onSend(from *coretest.Host, to netip.AddrPort, data []byte) bool {
	payload, err := w.codec.Open(data, w.net.Now)
	if err != nil {
		return false
	}
	carries := false
	w.dec.DecodeAll(payload, func(m wire.Msg) {
		_, ok := m.(wire.JoinReq)
		carries = carries || ok
	})
	if !carries {
		return false
	}
	key := from.Name + ">" + to.String()
	w.sent[key] = append(w.sent[key], w.net.Now)
	return w.lose != nil && w.lose(from, to, len(w.sent[key]))
}

// times returns when from sent a JoinReq to h.
func (w *joinReqs) times(from *coretest.Host, to netip.AddrPort) []time.Time {
	return w.sent[from.Name+">"+to.String()]
}

// lastReport returns the latest report of attempt id that h made.
func lastReport(t *testing.T, h *coretest.Host, id core.JoinID) core.JoinReport {
	t.Helper()
	for i := len(h.Joins) - 1; i >= 0; i-- {
		if h.Joins[i].ID == id {
			return h.Joins[i]
		}
	}
	t.Fatalf("%s made no report of join attempt %d", h.Name, id)
	return core.JoinReport{}
}

// A JoinReq lost on the way is resent a ProbeTimeout later, and the join
// completes: the attempt reports the seed answered.
func TestLostJoinReqIsResent(t *testing.T) {
	net := coretest.New(1, coretest.LANParams())
	seed, joiner := net.Add(), net.Add()
	w := watchJoinReqs(t, net)
	w.lose = func(from *coretest.Host, to netip.AddrPort, nth int) bool { return from == joiner && nth == 1 }
	id := joiner.Node.Join(net.Now, []netip.AddrPort{seed.Addr})
	net.Flush(joiner)
	if d, ok := net.RunUntil(10*time.Millisecond, 5*time.Second, net.Converged); !ok {
		t.Fatalf("not converged %v after a lost JoinReq", d)
	}
	sent := w.times(joiner, seed.Addr)
	if len(sent) != 2 {
		t.Fatalf("JoinReq sent %d times, want 2 (the lost one and its resend)", len(sent))
	}
	if gap := sent[1].Sub(sent[0]); gap != net.Params.ProbeTimeout {
		t.Errorf("resent after %v, want ProbeTimeout %v", gap, net.Params.ProbeTimeout)
	}
	r := lastReport(t, joiner, id)
	if r.End != core.JoinAnswered || !slices.Equal(r.Answered, []netip.AddrPort{seed.Addr}) || r.Cause != core.JoinRequested {
		t.Errorf("report %+v, want answered by %v", r, seed.Addr)
	}
}

// Once one seed answered, a silent one gets joinGraceResends more requests
// and the attempt ends answered; an attempt nobody answers gives up at its
// give-up time, resending every ProbeTimeout until then.
func TestJoinGraceAndGiveUp(t *testing.T) {
	p := coretest.LANParams()
	net := coretest.New(2, p)
	live, dead, joiner := net.Add(), net.Add(), net.Add()
	net.Crash(dead)
	w := watchJoinReqs(t, net)
	id := joiner.Node.Join(net.Now, []netip.AddrPort{live.Addr, dead.Addr})
	net.Flush(joiner)
	net.Run(10 * time.Second)
	r := lastReport(t, joiner, id)
	if r.End != core.JoinAnswered || !slices.Equal(r.Answered, []netip.AddrPort{live.Addr}) {
		t.Errorf("report %+v, want answered by %v only", r, live.Addr)
	}
	if got := len(w.times(joiner, dead.Addr)); got != 3 {
		t.Errorf("the silent seed was asked %d times, want 3 (the first request and 2 grace resends)", got)
	}
	if got := len(w.times(joiner, live.Addr)); got != 1 {
		t.Errorf("the seed that answered was asked %d times, want once", got)
	}

	start := net.Now
	id = joiner.Node.JoinUntil(net.Now, []netip.AddrPort{dead.Addr}, time.Time{})
	net.Flush(joiner)
	net.Run(10 * p.ProbeInterval)
	r = lastReport(t, joiner, id)
	if r.End != core.JoinUnanswered || len(r.Answered) != 0 {
		t.Fatalf("report %+v, want unanswered", r)
	}
	sent := w.times(joiner, dead.Addr)[3:] // after the first attempt's 3
	if want := int(5 * p.ProbeInterval / p.ProbeTimeout); len(sent) != want {
		t.Errorf("asked %d times, want %d (every ProbeTimeout for 5 ProbeIntervals)", len(sent), want)
	}
	if last := sent[len(sent)-1].Sub(start); last >= 5*p.ProbeInterval {
		t.Errorf("last request %v after the start, after the give-up time", last)
	}
}

// CancelJoin and Leave stop the resends.
func TestCancelJoin(t *testing.T) {
	net := coretest.New(3, coretest.LANParams())
	joiner, gone := net.Add(), net.Add()
	net.Crash(gone)
	w := watchJoinReqs(t, net)
	nowhere := gone.Addr
	id := joiner.Node.Join(net.Now, []netip.AddrPort{nowhere})
	net.Flush(joiner)
	net.Run(1200 * time.Millisecond) // the first request and two resends
	joiner.Node.CancelJoin(net.Now, id)
	net.Flush(joiner)
	net.Run(10 * time.Second)
	if got := len(w.times(joiner, nowhere)); got != 3 {
		t.Errorf("asked %d times, want 3: no resend after CancelJoin", got)
	}
	if r := lastReport(t, joiner, id); r.End != core.JoinCancelled {
		t.Errorf("report %+v, want cancelled", r)
	}
	id = joiner.Node.Join(net.Now, []netip.AddrPort{nowhere})
	net.Leave(joiner)
	net.Run(10 * time.Second)
	if got := len(w.times(joiner, nowhere)); got != 4 {
		t.Errorf("asked %d times in all, want 4: no resend after Leave", got)
	}
	if r := lastReport(t, joiner, id); r.End != core.JoinCancelled {
		t.Errorf("report %+v, want cancelled by Leave", r)
	}
}

// The addresses discovery found are re-joined every PollInterval while they
// are not alive members: the halves of a healed partition find each other
// through the seed even with reconnects to dead members off.
func TestDiscoveredSeedsRejoinedAfterHeal(t *testing.T) {
	run := func(discover bool) (time.Duration, bool) {
		p := coretest.LANParams()
		// Only discovery may heal: no reconnects, no gossip to the dead.
		p.ReconnectInterval, p.GossipToTheDeadTime = time.Hour, 0
		net := coretest.New(4, p)
		for range 6 {
			net.Add()
		}
		seed := net.Nodes[0]
		for _, h := range net.Nodes[1:] {
			if discover {
				h.Node.SetDiscovered(net.Now, []netip.AddrPort{seed.Addr, h.Addr})
				net.Flush(h)
			} else {
				net.Join(h, seed)
			}
		}
		if d, ok := net.RunUntil(100*time.Millisecond, time.Minute, net.Converged); !ok {
			t.Fatalf("not converged in %v", d)
		}
		side := func(h *coretest.Host) int { return h.Index % 2 }
		sideOf := map[netip.AddrPort]int{}
		for _, h := range net.Nodes {
			sideOf[h.Addr] = side(h)
		}
		net.OnSend = func(from *coretest.Host, to netip.AddrPort, _ []byte) bool { return side(from) != sideOf[to] }
		otherDead := func() bool {
			for _, h := range net.Nodes {
				for _, o := range net.Nodes {
					if s, _ := coretest.StateOf(h, o.Name); side(h) != side(o) && s != membership.StateDead {
						return false
					}
				}
			}
			return true
		}
		if d, ok := net.RunUntil(time.Second, 2*time.Minute, otherDead); !ok {
			t.Fatalf("the halves did not declare each other dead in %v", d)
		}
		net.OnSend = nil
		return net.RunUntil(100*time.Millisecond, 3*p.PollInterval, net.Converged)
	}
	if d, ok := run(true); !ok {
		t.Fatalf("with discovery: not converged %v after the heal", d)
	} else {
		t.Logf("with discovery: converged %v after the heal", d)
	}
	if d, ok := run(false); ok {
		t.Errorf("without discovery and reconnects, converged %v after the heal: the test shows nothing", d)
	}
}

// A node restarted with the members of its earlier run (Config.Rejoin)
// joins them with backoff while none answers, and stops once one does.
func TestSnapshotRejoinBacksOff(t *testing.T) {
	p := coretest.LANParams()
	net := coretest.New(5, p)
	old := net.Add()
	net.Crash(old)
	net.Configure = func(h *coretest.Host, cfg *core.Config) {
		if h.Index == 1 {
			cfg.Rejoin = []netip.AddrPort{old.Addr}
		}
	}
	w := watchJoinReqs(t, net)
	node := net.Add()
	net.Run(2 * time.Minute)
	var ends []core.JoinReport
	for _, r := range node.Joins {
		if r.Cause == core.JoinRejoin && r.End != core.JoinPending {
			ends = append(ends, r)
		}
	}
	if len(ends) < 5 {
		t.Fatalf("%d rejoin attempts ended in 2 minutes, want at least 5", len(ends))
	}
	// Each attempt ends unanswered and names when the next starts: 1s, 2s,
	// 4s... after its end, and the next one's first request goes then.
	sent := w.times(node, old.Addr)
	for i, r := range ends[:len(ends)-1] {
		if r.End != core.JoinUnanswered || r.Attempt != i+1 {
			t.Fatalf("attempt %d: report %+v, want unanswered", i+1, r)
		}
		if !slices.Contains(sent, r.Retry) {
			t.Errorf("attempt %d: no request at its retry time %v", i+2, r.Retry.Sub(coretest.Epoch))
		}
	}
	for i := 1; i < len(ends)-1; i++ {
		gap := ends[i].Retry.Sub(ends[i-1].Retry)
		wait := min(time.Second<<i, 30*time.Second)
		if want := 5*p.ProbeInterval + wait; gap != want {
			t.Errorf("attempt %d starts %v after attempt %d, want %v (the attempt, then a wait of %v)", i+2, gap, i+1, want, wait)
		}
	}
	// The old member comes back: the next attempt is answered, and the
	// rejoin is over.
	net.Restart(old)
	net.Run(2 * time.Minute)
	last := node.Joins[len(node.Joins)-1]
	if last.Cause != core.JoinRejoin || last.End != core.JoinAnswered {
		t.Fatalf("last report %+v, want the rejoin answered", last)
	}
	n := len(w.times(node, old.Addr))
	net.Run(5 * time.Minute)
	if extra := len(w.times(node, old.Addr)) - n; extra != 0 {
		t.Errorf("%d rejoin requests after one was answered", extra)
	}
	if !net.Converged() {
		t.Errorf("not converged after the rejoin")
	}
}

// The rejoin stops once another member is alive (one that joined this
// node, say): the snapshot's members are not needed any more.
func TestSnapshotRejoinStopsWhenAnotherIsAlive(t *testing.T) {
	net := coretest.New(6, coretest.LANParams())
	old := net.Add()
	net.Crash(old)
	net.Configure = func(h *coretest.Host, cfg *core.Config) {
		if h.Index == 1 {
			cfg.Rejoin = []netip.AddrPort{old.Addr}
		}
	}
	w := watchJoinReqs(t, net)
	node := net.Add()
	net.Configure = nil
	net.Run(8 * time.Second) // the first attempt ended, the second runs
	other := net.Add()
	net.Join(other, node)
	net.Run(time.Second)
	n := len(w.times(node, old.Addr))
	net.Run(5 * time.Minute)
	if extra := len(w.times(node, old.Addr)) - n; extra != 0 {
		t.Errorf("%d rejoin requests once another member was alive", extra)
	}
	last := node.Joins[len(node.Joins)-1]
	if last.Cause != core.JoinRejoin || last.End != core.JoinNotNeeded {
		t.Errorf("last report %+v, want the rejoin ended as not needed", last)
	}
}

// A rejoin of members that are up is answered by all of them, even though
// the first answer makes others alive: that stops only an unanswered rejoin.
func TestSnapshotRejoinAnswered(t *testing.T) {
	net := newCluster(t, 7, 3)
	var addrs []netip.AddrPort
	for _, h := range net.Nodes {
		addrs = append(addrs, h.Addr)
	}
	net.Configure = func(h *coretest.Host, cfg *core.Config) { cfg.Rejoin = addrs }
	node := net.Add()
	net.Run(10 * time.Second)
	last := node.Joins[len(node.Joins)-1]
	if last.Cause != core.JoinRejoin || last.End != core.JoinAnswered || len(last.Answered) != 3 || last.Attempt != 1 {
		t.Errorf("last report %+v, want the first rejoin attempt answered by all 3", last)
	}
	if !net.Converged() {
		t.Errorf("not converged after the rejoin")
	}
}

// SetDiscovered joins new addresses at once, and a second call with the
// same set starts nothing but names the attempt still open, so a driver
// that waits for the joins discovery caused waits for it.
func TestSetDiscoveredNamesOpenAttempt(t *testing.T) {
	net := coretest.New(8, coretest.LANParams())
	seed, node := net.Add(), net.Add()
	net.Crash(seed)
	w := watchJoinReqs(t, net)
	id := node.Node.SetDiscovered(net.Now, []netip.AddrPort{seed.Addr})
	net.Flush(node)
	if id == 0 {
		t.Fatal("SetDiscovered started no attempt for a new address")
	}
	if again := node.Node.SetDiscovered(net.Now, []netip.AddrPort{seed.Addr}); again != id {
		t.Errorf("the same set again returned %d, want the open attempt %d", again, id)
	}
	net.Flush(node)
	if got := len(w.times(node, seed.Addr)); got != 1 {
		t.Errorf("asked %d times at once, want 1", got)
	}
	net.Run(3 * time.Second)
	if r := lastReport(t, node, id); r.End != core.JoinUnanswered || r.Cause != core.JoinDiscovered {
		t.Errorf("report %+v, want a discovery attempt that ended unanswered", r)
	}
	if again := node.Node.SetDiscovered(net.Now, []netip.AddrPort{seed.Addr}); again != 0 {
		t.Errorf("with no attempt open, the same set returned %d, want 0", again)
	}
}
