package failure

import (
	"math/rand"
	"net/netip"
	"testing"
	"time"
)

type fakeMembers []Target

func (f fakeMembers) Probeable(dst []string) []string {
	for _, t := range f {
		dst = append(dst, t.Name)
	}
	return dst
}
func (f fakeMembers) Lookup(name string) (Target, bool) {
	for _, t := range f {
		if t.Name == name {
			return t, true
		}
	}
	return Target{}, false
}
func (f fakeMembers) Helper(name string) (Target, bool) { return f.Lookup(name) }
func (f fakeMembers) Size() int                         { return len(f) + 1 }

func members(n int) fakeMembers {
	var f fakeMembers
	for i := 0; i < n; i++ {
		f = append(f, Target{Name: string(rune('a' + i)), Addr: netip.AddrPortFrom(netip.AddrFrom4([4]byte{10, 0, 0, byte(i + 1)}), 1)})
	}
	return f
}

var t0 = time.Unix(1_700_000_000, 0)

func cfg() Config {
	return Config{ProbeInterval: time.Second, ProbeTimeout: 500 * time.Millisecond, IndirectChecks: 3,
		SuspicionMult: 4, SuspicionMaxTimeoutMult: 6, AwarenessMax: 8}
}

func kinds(as []Action) []ActionKind {
	var k []ActionKind
	for _, a := range as {
		k = append(k, a.Kind)
	}
	return k
}

// No ack: indirect probes at the timeout, suspicion at the end of the period;
// missing nacks raise the local health multiplier by one each.
func TestProbeFailureAndLocalHealth(t *testing.T) {
	d := New(cfg(), rand.New(rand.NewSource(2)))
	m := members(5)
	d.Tick(t0, m)
	if k := kinds(d.Actions()); len(k) != 1 || k[0] != SendPing {
		t.Fatalf("first tick: %v", k)
	}
	d.Tick(t0.Add(500*time.Millisecond), m)
	acts := d.Actions()
	if len(acts) != 1 || acts[0].Kind != SendPingReq || len(acts[0].Helpers) != 3 {
		t.Fatalf("at the timeout: %+v", acts)
	}
	for _, h := range acts[0].Helpers {
		if h.Name == acts[0].Target.Name {
			t.Fatal("the target was asked to probe itself")
		}
	}
	d.HandleNack(acts[0].Seq) // one helper answered nack, two stayed silent
	d.Tick(t0.Add(time.Second), m)
	var suspected bool
	for _, a := range d.Actions() {
		suspected = suspected || a.Kind == Suspect
	}
	if !suspected {
		t.Fatal("no suspicion after an unanswered probe")
	}
	if got := d.Multiplier(); got != 3 {
		t.Fatalf("multiplier %d after two missing nacks, want 3", got)
	}
	// The next probe period is stretched by the multiplier.
	if dl := d.Deadline(); dl.Sub(t0.Add(time.Second)) != 3*500*time.Millisecond {
		t.Fatalf("next deadline %v after the period, want the 1.5s stretched timeout", dl.Sub(t0.Add(time.Second)))
	}
}

// helperMembers are fakeMembers where some members may not help (suspected).
type helperMembers struct {
	fakeMembers
	notHelper map[string]bool
}

func (h helperMembers) Helper(name string) (Target, bool) {
	if h.notHelper[name] {
		return Target{}, false
	}
	return h.fakeMembers.Lookup(name)
}

// Indirect probes go only through members that may help (alive, not
// suspected), and a failed probe whose every helper sent a nack costs no
// local health: the helpers vouch that this node can talk.
func TestHelpersAndNackedFailure(t *testing.T) {
	for seed := int64(1); seed <= 10; seed++ {
		d := New(cfg(), rand.New(rand.NewSource(seed)))
		m := helperMembers{members(8), map[string]bool{"b": true, "c": true, "d": true}}
		d.Tick(t0, m)
		d.Actions()
		d.Tick(t0.Add(500*time.Millisecond), m)
		acts := d.Actions()
		if len(acts) != 1 || acts[0].Kind != SendPingReq {
			t.Fatalf("seed %d: at the timeout: %+v", seed, acts)
		}
		for _, h := range acts[0].Helpers {
			if m.notHelper[h.Name] {
				t.Fatalf("seed %d: %s, which may not help, was asked to", seed, h.Name)
			}
		}
		for range acts[0].Helpers {
			d.HandleNack(acts[0].Seq)
		}
		d.Tick(t0.Add(time.Second), m)
		if got := d.Multiplier(); got != 1 {
			t.Fatalf("seed %d: multiplier %d after a failed probe every helper nacked, want 1", seed, got)
		}
	}
}

// A helper's nack reaches the requester before the requester's probe
// period ends, so probing a dead member through live helpers costs the
// requester no local health: a helper asked at ProbeTimeout waits 80% of
// ProbeTimeout, not a whole one (which made every nack arrive just late).
func TestHelperNacksArriveInTime(t *testing.T) {
	req := New(cfg(), rand.New(rand.NewSource(4)))
	m := members(4)
	helpers := map[string]*Detector{}
	for _, x := range m {
		helpers[x.Name] = New(cfg(), rand.New(rand.NewSource(5)))
	}
	const lat = 2 * time.Millisecond
	now := t0
	req.Tick(now, m)
	ping := req.Actions()[0]
	now = now.Add(cfg().ProbeTimeout)
	req.Tick(now, m)
	preq := req.Actions()[0]
	if preq.Kind != SendPingReq {
		t.Fatalf("no ping-req at the timeout: %+v", preq)
	}
	// Each helper gets the request after lat, pings the dead target and
	// nacks at its deadline; the nacks arrive lat later.
	var nackAt []time.Time
	for _, h := range preq.Helpers {
		hd := helpers[h.Name]
		at := now.Add(lat)
		hd.Relay(at, preq.Seq, netip.MustParseAddrPort("10.0.0.99:1"), ping.Target)
		hd.Actions()
		for step := at; step.Before(t0.Add(2 * time.Second)); step = step.Add(10 * time.Millisecond) {
			hd.Tick(step, m)
			for _, a := range hd.Actions() {
				if a.Kind == SendNack {
					nackAt = append(nackAt, step.Add(lat))
				}
			}
		}
	}
	end := t0.Add(cfg().ProbeInterval)
	for _, at := range nackAt {
		if !at.Before(end) {
			t.Fatalf("a nack arrives at %v, after the requester's period ends at %v", at.Sub(t0), end.Sub(t0))
		}
		req.Tick(at, m)
		req.HandleNack(preq.Seq)
	}
	if len(nackAt) != len(preq.Helpers) {
		t.Fatalf("%d nacks from %d helpers", len(nackAt), len(preq.Helpers))
	}
	req.Tick(end, m)
	if got := req.Multiplier(); got != 1 {
		t.Fatalf("multiplier %d after a dead target every helper nacked in time, want 1", got)
	}
}

// The suspicion timeout starts at its maximum and shrinks with independent
// confirmations, never below the minimum; the accuser does not count.
func TestSuspicionShrinks(t *testing.T) {
	d := New(cfg(), rand.New(rand.NewSource(3)))
	lo, hi := d.SuspicionTimeouts(10)
	if lo != 4*time.Second || hi != 24*time.Second {
		t.Fatalf("timeouts %v..%v for 10 members, want 4s..24s", lo, hi)
	}
	d.StartSuspicion(t0, "x", 1, "a", 10)
	if dl := d.susp["x"].deadline; dl.Sub(t0) != hi {
		t.Fatalf("initial timeout %v, want %v", dl.Sub(t0), hi)
	}
	if d.Confirm(t0, "x", "a") {
		t.Fatal("the accuser confirmed its own suspicion")
	}
	prev := hi
	for _, from := range []string{"b", "c"} {
		if !d.Confirm(t0, "x", from) {
			t.Fatalf("confirmation by %s not counted", from)
		}
		dl := d.susp["x"].deadline.Sub(t0)
		if dl >= prev || dl < lo {
			t.Fatalf("after %s: timeout %v, want below %v and at least %v", from, dl, prev, lo)
		}
		prev = dl
	}
	if prev != lo {
		t.Fatalf("after k=2 confirmations the timeout is %v, want the minimum %v", prev, lo)
	}
	d.Tick(t0.Add(lo), fakeMembers{})
	var dead bool
	for _, a := range d.Actions() {
		dead = dead || (a.Kind == Dead && a.Target.Name == "x" && a.Inc == 1)
	}
	if !dead {
		t.Fatal("no dead verdict when the suspicion expired")
	}
}

// A helper relays an ack, or answers nack when the target stays silent.
func TestRelay(t *testing.T) {
	d := New(cfg(), rand.New(rand.NewSource(4)))
	req := netip.MustParseAddrPort("10.9.9.9:1")
	d.Relay(t0, 77, req, Target{Name: "y", Addr: netip.MustParseAddrPort("10.0.0.2:1")})
	ping := d.Actions()[0]
	d.HandleAck(t0, ping.Seq)
	if a := d.Actions(); len(a) != 1 || a[0].Kind != SendAck || a[0].Seq != 77 || a[0].To != req {
		t.Fatalf("relayed ack: %+v", a)
	}
	d.Relay(t0, 78, req, Target{Name: "y", Addr: netip.MustParseAddrPort("10.0.0.2:1")})
	d.Actions()
	d.Tick(t0.Add(time.Second), fakeMembers{})
	var nack bool
	for _, a := range d.Actions() {
		nack = nack || (a.Kind == SendNack && a.Seq == 78)
	}
	if !nack {
		t.Fatal("no nack after the relayed probe timed out")
	}
}

// HoldVerdicts postpones a verdict falling due before the hold, once, and
// confirmations do not bring it back; the accuser is reminded every half
// of the shortest timeout, a node that only heard the suspicion is not.
func TestHoldVerdictsAndRemind(t *testing.T) {
	c := cfg()
	c.Self = "me"
	d := New(c, rand.New(rand.NewSource(5)))
	lo, _ := d.SuspicionTimeouts(10)
	d.StartSuspicion(t0, "x", 1, "me", 10) // our own accusation
	d.StartSuspicion(t0, "y", 1, "a", 10)  // heard from a
	for _, from := range []string{"b", "c"} {
		d.Confirm(t0, "x", from)
	}
	d.Tick(t0.Add(lo/2), fakeMembers{})
	var reminded []string
	for _, a := range d.Actions() {
		if a.Kind == Remind {
			reminded = append(reminded, a.Target.Name)
		}
	}
	if len(reminded) != 1 || reminded[0] != "x" {
		t.Fatalf("reminders %v at half the minimum timeout, want [x]", reminded)
	}
	hold := t0.Add(lo + 3*time.Second)
	d.HoldVerdicts(hold)
	verdicts := func() (n int) {
		for _, a := range d.Actions() {
			if a.Kind == Dead {
				n++
			}
		}
		return n
	}
	d.Tick(t0.Add(lo), fakeMembers{})
	if n := verdicts(); n != 0 {
		t.Fatalf("%d verdicts at the minimum timeout under a hold, want none", n)
	}
	d.Confirm(t0.Add(lo), "x", "d")
	d.Tick(hold.Add(-time.Millisecond), fakeMembers{})
	if n := verdicts(); n != 0 {
		t.Fatalf("%d verdicts before the hold ends, want none", n)
	}
	d.HoldVerdicts(hold.Add(time.Minute)) // a second hold does not extend it again
	d.Tick(hold, fakeMembers{})
	var dead bool
	for _, a := range d.Actions() {
		dead = dead || (a.Kind == Dead && a.Target.Name == "x")
	}
	if !dead {
		t.Fatal("no verdict when the hold ended")
	}
}
