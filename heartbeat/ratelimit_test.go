package heartbeat

import (
	"fmt"
	"net/netip"
	"testing"
	"time"
)

// heartbeatsOf returns one unsealed heartbeat from each of n senders at now.
func heartbeatsOf(t *testing.T, n int, now time.Time) [][]byte {
	var out [][]byte
	for i := 0; i < n; i++ {
		name := fmt.Sprintf("n%03d", i)
		p := newProto(t, Config{Name: name})
		a := announce(name, 0)
		a.Addr = netip.AddrPortFrom(netip.AddrFrom4([4]byte{10, 1, byte(i >> 8), byte(i)}), 7946)
		out = append(out, mustTick(t, p, now, a))
	}
	return out
}

func TestJoinStormIsRateLimited(t *testing.T) {
	const nodes = 200
	b := newProto(t, Config{Name: "b", JoinRate: 20, JoinBurst: 20})
	view := viewOf(0, "b")
	joins := 0
	calls := 0
	// Every second for 10s, all 200 strangers announce themselves; b joins
	// none of them (the fake view never learns), the worst case.
	for sec := 0; sec < 10; sec++ {
		now := t0.Add(time.Duration(sec) * time.Second)
		for _, pkt := range heartbeatsOf(t, nodes, now) {
			calls++
			d, err := b.Receive(now, src, pkt, view)
			if err != nil && dropReason(t, err) != ErrRateLimited {
				t.Fatalf("unexpected drop %v", err)
			}
			if d.Join {
				joins++
			}
		}
		// Burst at first, then the refill rate.
		if max := 20 + 20*sec; joins > max {
			t.Fatalf("after %ds: %d joins, want at most %d", sec, joins, max)
		}
	}
	if joins < 20*9 {
		t.Fatalf("%d joins in 10s, want about 20 per second", joins)
	}
	s := b.Stats()
	if s.Dropped[ErrRateLimited.Error()] == 0 {
		t.Fatalf("no rate-limited drops counted: %+v", s)
	}
	checkAccounting(t, b, calls)
}

func TestSameSenderIsNotRejoinedWithinCooldown(t *testing.T) {
	a := newProto(t, Config{Name: "a", Interval: time.Second})
	b := newProto(t, Config{Name: "b", Interval: time.Second}) // cooldown 2s
	view := viewOf(0, "b")
	var joinedAt []time.Duration
	for ms := 0; ms <= 6000; ms += 100 {
		now := t0.Add(time.Duration(ms) * time.Millisecond)
		pkt := a.Tick(now, announce("a", 1))
		if pkt == nil {
			continue
		}
		d, err := b.Receive(now, src, pkt, view)
		if err != nil {
			t.Fatalf("at %dms: %v", ms, err)
		}
		if d.Join {
			joinedAt = append(joinedAt, now.Sub(t0))
		}
	}
	if len(joinedAt) < 2 || len(joinedAt) > 4 {
		t.Fatalf("joins at %v, want one per 2s cooldown", joinedAt)
	}
	for i := 1; i < len(joinedAt); i++ {
		if joinedAt[i]-joinedAt[i-1] < 2*time.Second {
			t.Fatalf("joins at %v: closer than the cooldown", joinedAt)
		}
	}
}

func TestBucketRefillsAndToleratesClockSteps(t *testing.T) {
	b := newBucket(2, 3)
	for i := 0; i < 3; i++ {
		if !b.take(t0) {
			t.Fatalf("burst token %d refused", i)
		}
	}
	if b.take(t0) {
		t.Fatal("took a 4th token from a burst of 3")
	}
	if !b.take(t0.Add(600 * time.Millisecond)) {
		t.Fatal("no token after 0.6s at 2/s")
	}
	if b.take(t0.Add(-time.Hour)) {
		t.Fatal("a clock step back refilled the bucket")
	}
	if !b.take(t0.Add(time.Hour)) || !b.take(t0.Add(time.Hour)) || !b.take(t0.Add(time.Hour)) || b.take(t0.Add(time.Hour)) {
		t.Fatal("an hour refills exactly the burst")
	}
}

func TestSenderTablesStayBounded(t *testing.T) {
	b := newProto(t, Config{Name: "b", Keys: [][]byte{key(1)}, JoinRate: 1e9, JoinBurst: 1 << 30})
	for i := 0; i < MaxSenders+500; i++ {
		name := fmt.Sprintf("s%d", i)
		a := newProto(t, Config{Name: name, Keys: [][]byte{key(1)}})
		if _, err := b.Receive(t0, src, mustTick(t, a, t0, announce(name, 1)), nil); err != nil {
			t.Fatal(err)
		}
	}
	if b.seen.len() != MaxSenders || b.acted.len() != MaxSenders {
		t.Fatalf("tables hold %d and %d senders, want %d", b.seen.len(), b.acted.len(), MaxSenders)
	}
	if _, ok := b.seen.get("s0"); ok {
		t.Fatal("the least recently heard sender was kept")
	}
	if _, ok := b.seen.get(fmt.Sprintf("s%d", MaxSenders+499)); !ok {
		t.Fatal("the most recent sender was forgotten")
	}
}
