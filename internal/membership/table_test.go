package membership

import (
	"fmt"
	"net/netip"
	"testing"
	"time"
)

var t0 = time.Unix(1_700_000_000, 0)

func addr(s string) netip.AddrPort { return netip.MustParseAddrPort(s) }

func newTable() *Table {
	return New(Member{Name: "self", Addr: addr("10.0.0.1:7946")}, t0)
}

func alive(name, a string, inc uint64) Update {
	return Update{Name: name, Addr: addr(a), Inc: inc, State: StateAlive}
}

func TestRules(t *testing.T) {
	tb := newTable()
	steps := []struct {
		u    Update
		want Outcome
		st   State
		inc  uint64
	}{
		{alive("x", "10.0.0.2:1", 1), Applied, StateAlive, 1},
		{alive("x", "10.0.0.2:1", 1), Ignored, StateAlive, 1},                           // redundant
		{Update{Name: "x", Inc: 0, State: StateSuspect}, Ignored, StateAlive, 1},        // stale
		{Update{Name: "x", Inc: 1, State: StateSuspect}, Applied, StateSuspect, 1},      // suspect beats alive
		{Update{Name: "x", Inc: 1, State: StateSuspect}, Confirmed, StateSuspect, 1},    // again: a confirmation
		{alive("x", "10.0.0.2:1", 1), Ignored, StateSuspect, 1},                         // alive needs a higher inc
		{alive("x", "10.0.0.2:1", 2), Applied, StateAlive, 2},                           // refuted
		{alive("x", "10.0.0.9:1", 2), AddrConflict, StateAlive, 2},                      // a second live owner
		{Update{Name: "x", Inc: 2, State: StateDead, From: "y"}, Applied, StateDead, 2}, // dead beats alive
		{alive("x", "10.0.0.2:1", 2), Ignored, StateDead, 2},                            // old news cannot revive
		{alive("x", "10.0.0.3:1", 0), Applied, StateAlive, 0},                           // back at a new address
		{Update{Name: "x", Inc: 0, State: StateLeft}, Applied, StateLeft, 0},
		{Update{Name: "ghost", Inc: 9, State: StateDead}, Ignored, 0, 0}, // verdicts about strangers are dropped
	}
	for i, s := range steps {
		if got := tb.Apply(t0, s.u, false); got != s.want {
			t.Fatalf("step %d %+v: outcome %d, want %d", i, s.u, got, s.want)
		}
		if s.u.Name == "ghost" {
			if _, ok := tb.Get("ghost"); ok {
				t.Fatal("a stranger's tombstone was kept")
			}
			continue
		}
		m, _ := tb.Get("x")
		if m.State != s.st || m.Incarnation != s.inc {
			t.Fatalf("step %d: x is %v inc %d, want %v inc %d", i, m.State, m.Incarnation, s.st, s.inc)
		}
	}
	evs := tb.TakeEvents()
	var types []EventType
	for _, e := range evs {
		types = append(types, e.Type)
	}
	want := []EventType{EventJoin, EventSuspect, EventAlive, EventFail, EventJoin, EventLeave}
	if len(types) != len(want) {
		t.Fatalf("events %v, want %v", types, want)
	}
	for i := range want {
		if types[i] != want[i] {
			t.Fatalf("events %v, want %v", types, want)
		}
	}
}

// Suspicion is an event when it starts and when it is refuted, not when a
// suspicion at a higher incarnation replaces an older one.
func TestSuspicionEvents(t *testing.T) {
	tb := newTable()
	tb.Apply(t0, alive("x", "10.0.0.2:1", 1), false)
	tb.Apply(t0, Update{Name: "x", Inc: 1, State: StateSuspect}, false)
	tb.Apply(t0, Update{Name: "x", Inc: 2, State: StateSuspect}, false) // still suspect
	tb.Apply(t0, Update{Name: "x", Inc: 3, Addr: addr("10.0.0.2:1"), State: StateAlive,
		Meta: map[string]string{"k": "v"}, MetaVer: 1}, false) // refuted, with new metadata
	tb.Apply(t0, Update{Name: "x", Inc: 3, State: StateSuspect}, false)
	tb.Apply(t0, Update{Name: "x", Inc: 3, State: StateDead}, false)
	var got []string
	for _, e := range tb.TakeEvents() {
		got = append(got, fmt.Sprintf("%v/%v/%d", e.Type, e.Member.State, e.Member.Incarnation))
	}
	want := "[join/alive/1 suspect/suspect/1 alive/alive/3 suspect/suspect/3 fail/dead/3]"
	if fmt.Sprint(got) != want {
		t.Fatalf("events %v, want %v", got, want)
	}
	if EventAlive.String() != "alive" || EventSuspect.String() != "suspect" || EventType(EventTypes).String() != "unknown" {
		t.Fatal("event names")
	}
}

func TestSelfConflictAndRefute(t *testing.T) {
	tb := newTable()
	if got := tb.Apply(t0, Update{Name: "self", Inc: 0, State: StateSuspect}, false); got != SelfConflict {
		t.Fatalf("suspicion of self: %d", got)
	}
	if s := tb.Refute(0); s.Incarnation != 1 {
		t.Fatalf("refuted to inc %d, want 1", s.Incarnation)
	}
	if got := tb.Apply(t0, Update{Name: "self", Inc: 0, State: StateDead}, false); got != StaleSelfClaim {
		t.Fatalf("stale verdict about self: %d", got)
	}
	if got := tb.Apply(t0, Update{Name: "self", Inc: 0, State: StateAlive}, false); got != Ignored {
		t.Fatalf("stale alive about self: %d", got)
	}
	tb.SetSelfLeft(t0)
	if got := tb.Apply(t0, Update{Name: "self", Inc: 2, State: StateLeft}, true); got != Ignored {
		t.Fatalf("own leave echoed back while leaving: %d", got)
	}
}

// The digest depends only on the live members' names, incarnations and
// metadata versions, whatever the order they were learnt in.
func TestDigestIsOrderIndependent(t *testing.T) {
	a, b := newTable(), newTable()
	ups := []Update{alive("p", "10.0.0.2:1", 3), alive("q", "10.0.0.3:1", 1), alive("r", "10.0.0.4:1", 7)}
	for _, u := range ups {
		a.Apply(t0, u, false)
	}
	for i := len(ups) - 1; i >= 0; i-- {
		b.Apply(t0, ups[i], false)
	}
	if a.Root() != b.Root() || a.LiveHash() != b.LiveHash() || a.Live() != 4 {
		t.Fatal("same members, different digests")
	}
	b.Apply(t0, Update{Name: "q", Inc: 1, State: StateSuspect}, false)
	if a.Root() != b.Root() {
		t.Fatal("a suspicion changed the digest")
	}
	b.Apply(t0, Update{Name: "q", Inc: 1, State: StateDead}, false)
	if a.Root() == b.Root() || b.Live() != 3 {
		t.Fatal("a death did not change the digest")
	}
	diff := 0
	ha, hb := a.BucketHashes(), b.BucketHashes()
	for i := range ha {
		if ha[i] != hb[i] {
			diff++
		}
	}
	if diff != 1 {
		t.Fatalf("%d buckets differ for one changed member, want 1", diff)
	}
}

func TestReap(t *testing.T) {
	tb := newTable()
	tb.Apply(t0, alive("x", "10.0.0.2:1", 1), false)
	tb.Apply(t0, Update{Name: "x", Inc: 1, State: StateDead}, false)
	if n := tb.Reap(t0.Add(time.Minute), 2*time.Minute); n != 0 {
		t.Fatal("reaped before the reclaim time")
	}
	if n := tb.Reap(t0.Add(2*time.Minute), 2*time.Minute); n != 1 || tb.Len() != 1 {
		t.Fatal("tombstone not reaped")
	}
}

// Addresses come back from the table exactly as they went in: IPv4, IPv6,
// IPv4-mapped IPv6 and IPv6 with a zone (kept aside), through changes and
// removals.
func TestAddressesRoundTrip(t *testing.T) {
	addrs := []string{"10.0.0.2:7946", "[2001:db8::1]:7946", "[::ffff:10.0.0.3]:7946", "[fe80::1%eth0]:7946", "[fe80::2%lo]:1"}
	tb := New(Member{Name: "self", Addr: netip.MustParseAddrPort("[fe80::9%eth1]:7946")}, t0)
	for i, a := range addrs {
		tb.Apply(t0, Update{Name: fmt.Sprintf("m%d", i), Addr: netip.MustParseAddrPort(a), Inc: 1, State: StateAlive}, false)
	}
	check := func(when string) {
		t.Helper()
		if got := tb.Self().Addr.String(); got != "[fe80::9%eth1]:7946" {
			t.Errorf("%s: self at %s", when, got)
		}
		for i, a := range addrs {
			m, ok := tb.Get(fmt.Sprintf("m%d", i))
			if ok && m.Addr != netip.MustParseAddrPort(a) {
				t.Errorf("%s: m%d at %s, want %s", when, i, m.Addr, a)
			}
		}
	}
	check("after insert")
	// m3 moves from a zoned address to a plain one, m1 to a zoned one.
	tb.Apply(t0, Update{Name: "m3", Addr: netip.MustParseAddrPort("10.0.0.4:1"), Inc: 2, State: StateAlive}, false)
	tb.Apply(t0, Update{Name: "m1", Addr: netip.MustParseAddrPort("[fe80::5%eth2]:2"), Inc: 2, State: StateAlive}, false)
	addrs[3], addrs[1] = "10.0.0.4:1", "[fe80::5%eth2]:2"
	check("after moves")
	// Removing m0 moves the last entry into its place.
	tb.Apply(t0, Update{Name: "m0", Inc: 1, State: StateDead}, false)
	tb.Reap(t0.Add(time.Hour), time.Minute)
	if _, ok := tb.Get("m0"); ok {
		t.Fatal("m0 not reaped")
	}
	check("after a removal")
	if len(tb.zoned) != 3 { // self, m1, m4
		t.Errorf("%d zoned addresses kept, want 3", len(tb.zoned))
	}
}
