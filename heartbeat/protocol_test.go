package heartbeat

import (
	"errors"
	"math/rand/v2"
	"net/netip"
	"strings"
	"testing"
	"time"
)

func TestRoundTripUnsealedJoinsUnknownSender(t *testing.T) {
	a := newProto(t, Config{Name: "a"})
	b := newProto(t, Config{Name: "b"})
	self := announce("ignored", 1)
	self.Cluster = "ignored-too"
	pkt := mustTick(t, a, t0, self)

	d, err := b.Receive(t0, src, pkt, viewOf(1, "b"))
	if err != nil {
		t.Fatalf("Receive: %v", err)
	}
	want := announce("a", 1)
	want.Cluster = "test"
	if d.Announce != want || !d.Join || d.Sync {
		t.Fatalf("decision %+v, want join of %+v", d, want)
	}
	if s := b.Stats(); s.Received != 1 || len(s.Dropped) != 0 {
		t.Fatalf("stats %+v", s)
	}
	if s := a.Stats(); s.Sent != 1 {
		t.Fatalf("sender stats %+v", s)
	}
}

func TestSyncOnlyWhenDigestDiffers(t *testing.T) {
	a := newProto(t, Config{Name: "a"})
	b := newProto(t, Config{Name: "b", Cooldown: time.Nanosecond})
	self := announce("a", 1)

	d, err := b.Receive(t0, src, mustTick(t, a, t0, self), viewOf(self.Digest, "a", "b"))
	if err != nil || d.Join || d.Sync {
		t.Fatalf("same digest: decision %+v err %v, want nothing to do", d, err)
	}
	now := t0.Add(2 * time.Second)
	d, err = b.Receive(now, src, mustTick(t, a, now, self), viewOf(self.Digest+1, "a", "b"))
	if err != nil || d.Join || !d.Sync {
		t.Fatalf("other digest: decision %+v err %v, want sync", d, err)
	}
}

func TestIPv6AnnounceRoundTrips(t *testing.T) {
	a := newProto(t, Config{Name: "a", Keys: [][]byte{key(1)}})
	b := newProto(t, Config{Name: "b", Keys: [][]byte{key(1)}})
	self := announce("a", 0)
	self.Addr = netip.MustParseAddrPort("[fd77::5]:7946")
	d, err := b.Receive(t0, src, mustTick(t, a, t0, self), nil)
	if err != nil || d.Announce.Addr != self.Addr {
		t.Fatalf("decision %+v err %v, want addr %v", d, err, self.Addr)
	}
	// A v4-mapped address is announced as plain IPv4.
	self.Addr = netip.MustParseAddrPort("[::ffff:10.1.2.3]:7946")
	now := t0.Add(2 * time.Second)
	d, err = b.Receive(now, src, mustTick(t, a, now, self), nil)
	if err != nil || d.Announce.Addr != netip.MustParseAddrPort("10.1.2.3:7946") {
		t.Fatalf("decision %+v err %v, want plain IPv4", d, err)
	}
}

func TestTickScheduleAndJitter(t *testing.T) {
	const interval = time.Second
	p := newProto(t, Config{Name: "a", Interval: interval})
	if !p.NextDeadline().IsZero() {
		t.Fatalf("NextDeadline before the first Tick = %v, want zero (send at once)", p.NextDeadline())
	}
	now := t0
	mustTick(t, p, now, announce("a", 1))
	lo, hi := interval, time.Duration(0)
	for i := 0; i < 500; i++ {
		next := p.NextDeadline()
		gap := next.Sub(now)
		lo, hi = min(lo, gap), max(hi, gap)
		if got := p.Tick(next.Add(-time.Nanosecond), announce("a", 1)); got != nil {
			t.Fatalf("Tick before the deadline sent a heartbeat")
		}
		now = next
		mustTick(t, p, now, announce("a", 1))
	}
	if lo < interval*9/10 || hi > interval*11/10 {
		t.Fatalf("gaps in [%v, %v], want within ±10%% of %v", lo, hi, interval)
	}
	if hi-lo < interval/10 {
		t.Fatalf("gaps in [%v, %v]: no jitter", lo, hi)
	}
	if s := p.Stats(); s.Sent != 501 {
		t.Fatalf("Sent %d, want 501", s.Sent)
	}
}

func TestTickIsDeterministicForASeed(t *testing.T) {
	run := func() []time.Time {
		p, err := New(Config{Cluster: "c", Name: "a"}, rand.New(rand.NewPCG(7, 7)), &seqReader{})
		if err != nil {
			t.Fatal(err)
		}
		var out []time.Time
		now := t0
		for i := 0; i < 20; i++ {
			p.Tick(now, announce("a", 1))
			now = p.NextDeadline()
			out = append(out, now)
		}
		return out
	}
	a, b := run(), run()
	for i := range a {
		if !a[i].Equal(b[i]) {
			t.Fatalf("deadline %d: %v vs %v with the same seed", i, a[i], b[i])
		}
	}
}

func TestTickRefusesInvalidSelf(t *testing.T) {
	p := newProto(t, Config{Name: "a"})
	for _, addr := range []string{"0.0.0.0:7946", "10.0.0.1:0", "230.1.1.251:7946", "[fe80::1%eth0]:7946"} {
		self := announce("a", 1)
		self.Addr = netip.MustParseAddrPort(addr)
		p.next = time.Time{}
		if pkt := p.Tick(t0, self); pkt != nil {
			t.Errorf("Tick with Addr %s produced a heartbeat", addr)
		}
	}
	self := announce("a", 1)
	self.Addr = netip.AddrPort{}
	p.next = time.Time{}
	if p.Tick(t0, self) != nil {
		t.Errorf("Tick with no Addr produced a heartbeat")
	}
	if s := p.Stats(); s.SendErrors != 5 || s.Sent != 0 {
		t.Fatalf("stats %+v, want 5 send errors", s)
	}
}

type failingReader struct{}

func (failingReader) Read([]byte) (int, error) { return 0, errors.New("entropy exhausted") }

func TestTickCountsNonceFailure(t *testing.T) {
	p, err := New(Config{Cluster: "c", Name: "a", Keys: [][]byte{key(1)}}, rand.New(rand.NewPCG(1, 1)), failingReader{})
	if err != nil {
		t.Fatal(err)
	}
	if p.Tick(t0, announce("a", 1)) != nil {
		t.Fatal("Tick produced a heartbeat without a nonce")
	}
	if p.NextDeadline().IsZero() {
		t.Fatal("a failed Tick must still schedule the next one, or the caller spins")
	}
	if s := p.Stats(); s.SendErrors != 1 {
		t.Fatalf("stats %+v", s)
	}
}

func TestSequenceGrowsEvenWhenClockStepsBack(t *testing.T) {
	p := newProto(t, Config{Name: "a"})
	var last uint64
	for i, now := range []time.Time{t0, t0.Add(time.Hour), t0, t0.Add(-time.Hour), time.Unix(0, 0).Add(-time.Hour)} {
		p.next = time.Time{}
		pkt := mustTick(t, p, now, announce("a", 1))
		b, err := decodeBody(pkt[headerLen:])
		if err != nil {
			t.Fatal(err)
		}
		if b.Seq <= last {
			t.Fatalf("tick %d: seq %d after %d", i, b.Seq, last)
		}
		last = b.Seq
	}
}

func TestConfigErrorsNameTheField(t *testing.T) {
	long := strings.Repeat("x", MaxNameLen+1)
	cases := []struct {
		cfg   Config
		field string
	}{
		{Config{Name: "a"}, "Cluster"},
		{Config{Cluster: long, Name: "a"}, "Cluster"},
		{Config{Cluster: "c"}, "Name"},
		{Config{Cluster: "c", Name: long}, "Name"},
		{Config{Cluster: "c", Name: "a", Interval: -1}, "Interval"},
		{Config{Cluster: "c", Name: "a", MaxSkew: -1}, "MaxSkew"},
		{Config{Cluster: "c", Name: "a", JoinRate: -1}, "JoinRate"},
		{Config{Cluster: "c", Name: "a", JoinBurst: -1}, "JoinBurst"},
		{Config{Cluster: "c", Name: "a", Cooldown: -1}, "Cooldown"},
		{Config{Cluster: "c", Name: "a", Keys: [][]byte{make([]byte, 16)}}, "Keys"},
	}
	for _, c := range cases {
		_, err := New(c.cfg, rand.New(rand.NewPCG(1, 1)), nil)
		if err == nil || !strings.Contains(err.Error(), "Config."+c.field) {
			t.Errorf("New(%+v) = %v, want an error naming Config.%s", c.cfg, err, c.field)
		}
	}
	if _, err := New(Config{Cluster: "c", Name: "a"}, nil, nil); err == nil || !strings.Contains(err.Error(), "rng") {
		t.Errorf("New without rng = %v, want an error naming rng", err)
	}
}

func TestSetKeysRejectsBadKeyAndKeepsOldRing(t *testing.T) {
	p := newProto(t, Config{Name: "a", Keys: [][]byte{key(1)}})
	if err := p.SetKeys([][]byte{key(2), make([]byte, 31)}); err == nil || !strings.Contains(err.Error(), "key 1") {
		t.Fatalf("SetKeys with a 31-byte key = %v, want an error naming key 1", err)
	}
	if p.keys == nil {
		t.Fatal("a failed SetKeys dropped the old ring")
	}
}

func TestNilViewMeansEmptyTable(t *testing.T) {
	a := newProto(t, Config{Name: "a"})
	b := newProto(t, Config{Name: "b"})
	d, err := b.Receive(t0, src, mustTick(t, a, t0, announce("a", 1)), nil)
	if err != nil || !d.Join {
		t.Fatalf("decision %+v err %v, want join", d, err)
	}
}
