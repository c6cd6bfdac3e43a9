package heartbeat

import (
	"bytes"
	"math/rand/v2"
	"runtime"
	"testing"
	"time"
)

// libclusterHeartbeat is what Elixir libcluster's Gossip strategy sends
// without a secret: "heartbeat::" and term_to_binary(%{node: :"app@host"}).
func libclusterHeartbeat(node string) []byte {
	b := []byte("heartbeat::")
	b = append(b, 131, 't', 0, 0, 0, 1) // version, map of one pair
	b = append(b, 'w', 4)               // SMALL_ATOM_UTF8_EXT "node"
	b = append(b, "node"...)
	b = append(b, 'w', byte(len(node)))
	return append(b, node...)
}

func TestDropsAreCountedByReason(t *testing.T) {
	k1, k2 := key(1), key(2)
	plainA := newProto(t, Config{Name: "a"})
	sealedA := newProto(t, Config{Name: "a", Keys: [][]byte{k1}})
	wrongKeyA := newProto(t, Config{Name: "a", Keys: [][]byte{k2}})
	otherCluster := newProto(t, Config{Name: "a", Cluster: "other", Keys: [][]byte{k1}})
	self := newProto(t, Config{Name: "b", Keys: [][]byte{k1}})

	rng := rand.New(rand.NewPCG(3, 4))
	random := make([]byte, 200)
	for i := range random {
		random[i] = byte(rng.Uint32())
	}
	// libcluster with a secret sends a 16-byte IV and AES-CBC blocks:
	// indistinguishable from random bytes, so it counts as malformed.
	libclusterSealed := random[:16+32]

	cases := []struct {
		name   string
		pkt    []byte
		reason error
	}{
		{"wrong key", mustTick(t, wrongKeyA, t0, announce("a", 1)), ErrBadKey},
		{"foreign cluster", mustTick(t, otherCluster, t0, announce("a", 1)), ErrForeignCluster},
		{"unsealed to a keyed receiver", mustTick(t, plainA, t0, announce("a", 1)), ErrUnencrypted},
		{"own heartbeat", mustTick(t, self, t0, announce("b", 2)), ErrSelf},
		{"libcluster", libclusterHeartbeat("app@10.0.0.7"), ErrLibcluster},
		{"libcluster sealed", libclusterSealed, ErrMalformed},
		{"random bytes", random, ErrMalformed},
		{"empty", nil, ErrMalformed},
		{"magic only", []byte("MH"), ErrMalformed},
		{"gossip packet", append([]byte("M\x01"), random[:40]...), ErrMalformed},
		{"oversized", append(mustTick(t, sealedA, t0, announce("a", 1)), make([]byte, MaxPacketLen)...), ErrMalformed},
	}
	b := newProto(t, Config{Name: "b", Keys: [][]byte{k1}})
	for i, c := range cases {
		d, err := b.Receive(t0, src, c.pkt, viewOf(0, "b"))
		if got := dropReason(t, err); got != c.reason {
			t.Errorf("%s: dropped as %q (%v), want %q", c.name, got, err, c.reason)
		}
		if d != (Decision{}) {
			t.Errorf("%s: dropped datagram gave decision %+v", c.name, d)
		}
		checkAccounting(t, b, i+1)
	}
	want := map[string]uint64{}
	for _, c := range cases {
		want[c.reason.Error()]++
	}
	got := b.Stats().Dropped
	for r, n := range want {
		if got[r] != n {
			t.Errorf("Dropped[%q] = %d, want %d (all: %v)", r, got[r], n, got)
		}
	}
	if s := b.Stats(); s.Received != 0 {
		t.Errorf("Received %d, want 0", s.Received)
	}
}

func TestSealedHeartbeatToUnkeyedReceiverIsEncryptedWithoutKey(t *testing.T) {
	a := newProto(t, Config{Name: "a", Keys: [][]byte{key(1)}})
	b := newProto(t, Config{Name: "b"})
	_, err := b.Receive(t0, src, mustTick(t, a, t0, announce("a", 1)), nil)
	if got := dropReason(t, err); got != ErrSealedWithoutKey {
		t.Fatalf("dropped as %v, want encrypted-without-key", got)
	}
}

func TestKeyRotation(t *testing.T) {
	oldKey, newKey := key(1), key(2)
	a := newProto(t, Config{Name: "a", Keys: [][]byte{oldKey}})
	b := newProto(t, Config{Name: "b", Keys: [][]byte{newKey, oldKey}})
	now := t0
	step := func(want error) {
		t.Helper()
		now = now.Add(3 * time.Second)
		_, err := b.Receive(now, src, mustTick(t, a, now, announce("a", 1)), nil)
		if got := dropReason(t, err); got != want {
			t.Fatalf("dropped as %q (%v), want %q", got, err, want)
		}
	}
	step(nil) // b opens with its secondary key
	if err := a.SetKeys([][]byte{newKey, oldKey}); err != nil {
		t.Fatal(err)
	}
	step(nil)
	if err := b.SetKeys([][]byte{newKey}); err != nil {
		t.Fatal(err)
	}
	step(nil) // a seals with newKey now
	if err := a.SetKeys([][]byte{oldKey}); err != nil {
		t.Fatal(err)
	}
	step(ErrBadKey)
	if err := b.SetKeys(nil); err != nil {
		t.Fatal(err)
	}
	step(ErrSealedWithoutKey) // sealed, and b has no ring any more
}

func TestReplayIsRejected(t *testing.T) {
	a := newProto(t, Config{Name: "a", Keys: [][]byte{key(1)}})
	b := newProto(t, Config{Name: "b", Keys: [][]byte{key(1)}})
	first := mustTick(t, a, t0, announce("a", 1))
	second := mustTick(t, a, t0.Add(2*time.Second), announce("a", 1))

	if _, err := b.Receive(t0, src, first, nil); err != nil {
		t.Fatalf("first: %v", err)
	}
	if _, err := b.Receive(t0.Add(time.Millisecond), src, first, nil); dropReason(t, err) != ErrReplay {
		t.Fatalf("same heartbeat again: %v, want replay", err)
	}
	if _, err := b.Receive(t0.Add(2*time.Second), src, second, nil); err != nil {
		t.Fatalf("second: %v", err)
	}
	if _, err := b.Receive(t0.Add(3*time.Second), src, first, nil); dropReason(t, err) != ErrReplay {
		t.Fatalf("older heartbeat after a newer one: %v, want replay", err)
	}
	// Long after, the old heartbeat is outside the skew window.
	late := t0.Add(DefaultMaxSkew + 5*time.Second)
	if _, err := b.Receive(late, src, second, nil); dropReason(t, err) != ErrStale {
		t.Fatalf("replay after MaxSkew: %v, want stale", err)
	}
	checkAccounting(t, b, 5)
}

func TestUnsealedHeartbeatsAreNotReplayChecked(t *testing.T) {
	a := newProto(t, Config{Name: "a"})
	b := newProto(t, Config{Name: "b"})
	pkt := mustTick(t, a, t0, announce("a", 1))
	for i := 0; i < 3; i++ {
		// Anyone can forge an unsealed heartbeat, so there is nothing to
		// protect; and a year-old clock does not matter either.
		if _, err := b.Receive(t0.Add(time.Duration(i)*24*time.Hour), src, pkt, nil); err != nil {
			t.Fatalf("copy %d: %v", i, err)
		}
	}
}

func TestStaleTimestampsAreRejected(t *testing.T) {
	a := newProto(t, Config{Name: "a", Keys: [][]byte{key(1)}})
	b := newProto(t, Config{Name: "b", Keys: [][]byte{key(1)}, MaxSkew: 5 * time.Second})
	for _, skew := range []time.Duration{-6 * time.Second, 6 * time.Second} {
		a.next = time.Time{}
		pkt := mustTick(t, a, t0.Add(skew), announce("a", 1))
		if _, err := b.Receive(t0, src, pkt, nil); dropReason(t, err) != ErrStale {
			t.Errorf("clock %v off: %v, want stale", skew, err)
		}
	}
	a.next = time.Time{}
	pkt := mustTick(t, a, t0.Add(4*time.Second), announce("a", 1))
	if _, err := b.Receive(t0, src, pkt, nil); err != nil {
		t.Errorf("clock 4s off with MaxSkew 5s: %v", err)
	}
}

func TestRestartedSenderWithClockSetBackIsAcceptedAfterTwoSkews(t *testing.T) {
	mk := func() *Protocol {
		return newProto(t, Config{Name: "a", Keys: [][]byte{key(1)}, MaxSkew: 5 * time.Second})
	}
	b := newProto(t, Config{Name: "b", Keys: [][]byte{key(1)}, MaxSkew: 5 * time.Second})
	if _, err := b.Receive(t0, src, mustTick(t, mk(), t0, announce("a", 1)), nil); err != nil {
		t.Fatal(err)
	}
	// The sender restarts with its clock 3s behind: its sequence is lower.
	if _, err := b.Receive(t0.Add(time.Second), src, mustTick(t, mk(), t0.Add(-2*time.Second), announce("a", 1)), nil); dropReason(t, err) != ErrReplay {
		t.Fatalf("lower sequence soon after: %v, want replay", err)
	}
	now := t0.Add(11 * time.Second)
	if _, err := b.Receive(now, src, mustTick(t, mk(), now.Add(-3*time.Second), announce("a", 1)), nil); err != nil {
		t.Fatalf("after 2*MaxSkew: %v, want accepted", err)
	}
}

func TestCopyOnASecondInterfaceCountsAsReplay(t *testing.T) {
	a := newProto(t, Config{Name: "a", Keys: [][]byte{key(1)}})
	b := newProto(t, Config{Name: "b", Keys: [][]byte{key(1)}})
	pkt := mustTick(t, a, t0, announce("a", 1))
	b.Receive(t0, src, pkt, nil)
	_, err := b.Receive(t0, src, bytes.Clone(pkt), nil)
	if dropReason(t, err) != ErrReplay {
		t.Fatalf("duplicate: %v", err)
	}
}

func TestForeignClusterWithCollidingTagIsStillForeign(t *testing.T) {
	b := newProto(t, Config{Name: "b"})
	// Forge the header tag of our cluster over another cluster's body.
	var buf bytes.Buffer
	buf.Write(appendHeader(nil, 0, clusterTag("test")))
	a := announce("a", 1)
	a.Cluster = "other"
	if err := encodeBody(&buf, body{Announce: a, Seq: 1, Time: t0.UnixNano()}); err != nil {
		t.Fatal(err)
	}
	if _, err := b.Receive(t0, src, buf.Bytes(), nil); dropReason(t, err) != ErrForeignCluster {
		t.Fatalf("%v, want foreign-cluster", err)
	}
}

func TestTamperedSealedHeartbeatIsBadKey(t *testing.T) {
	a := newProto(t, Config{Name: "a", Keys: [][]byte{key(1)}})
	b := newProto(t, Config{Name: "b", Keys: [][]byte{key(1)}})
	pkt := mustTick(t, a, t0, announce("a", 1))
	for i := headerLen; i < len(pkt); i++ {
		bad := bytes.Clone(pkt)
		bad[i] ^= 0x40
		if _, err := b.Receive(t0, src, bad, nil); dropReason(t, err) != ErrBadKey {
			t.Fatalf("byte %d flipped: %v, want bad-key", i, err)
		}
	}
	// Truncations are either not a heartbeat or fail authentication.
	for n := 0; n < len(pkt); n++ {
		_, err := b.Receive(t0, src, pkt[:n], nil)
		if r := dropReason(t, err); r != ErrBadKey && r != ErrMalformed {
			t.Fatalf("truncated to %d: %v", n, err)
		}
	}
}

func TestMalformedUnsealedBodies(t *testing.T) {
	b := newProto(t, Config{Name: "b"})
	a := newProto(t, Config{Name: "a"})
	good := mustTick(t, a, t0, announce("a", 1))
	hdr := good[:headerLen]
	with := func(body ...byte) []byte { return append(bytes.Clone(hdr), body...) }
	cases := map[string][]byte{
		"version 2":      append([]byte{'M', 'H', 2}, good[3:]...),
		"unknown flag":   append([]byte{'M', 'H', 1, 0x80}, good[4:]...),
		"trailing byte":  append(bytes.Clone(good), 0xc0),
		"not an array":   with(0xc0),
		"8 fields":       with(0x98),
		"huge str32":     with(0x99, 0xdb, 0xff, 0xff, 0xff, 0xf0, 't'),
		"huge bin32":     with(0x99, 0xa4, 't', 'e', 's', 't', 0xa1, 'a', 0xc6, 0x7f, 0xff, 0xff, 0xff),
		"nil name":       with(0x99, 0xa4, 't', 'e', 's', 't', 0xc0),
		"negative port":  with(0x99, 0xa4, 't', 'e', 's', 't', 0xa1, 'a', 0xc4, 4, 10, 0, 0, 1, 0xff),
		"port too large": with(0x99, 0xa4, 't', 'e', 's', 't', 0xa1, 'a', 0xc4, 4, 10, 0, 0, 1, 0xce, 0, 1, 0, 0),
		"ip of 5 bytes":  with(0x99, 0xa4, 't', 'e', 's', 't', 0xa1, 'a', 0xc4, 5, 10, 0, 0, 1, 1, 0xcd, 0x1f, 0x0a, 1, 1, 1, 1, 1),
		"port 0":         with(0x99, 0xa4, 't', 'e', 's', 't', 0xa1, 'a', 0xc4, 4, 10, 0, 0, 1, 0, 1, 1, 1, 1, 1),
		"empty name":     with(0x99, 0xa4, 't', 'e', 's', 't', 0xa0, 0xc4, 4, 10, 0, 0, 1, 0xcd, 0x1f, 0x0a, 1, 1, 1, 1, 1),
		"truncated":      good[:len(good)-1],
	}
	calls := 0
	for name, pkt := range cases {
		calls++
		if _, err := b.Receive(t0, src, pkt, nil); dropReason(t, err) != ErrMalformed {
			t.Errorf("%s: %v, want malformed", name, err)
		}
	}
	checkAccounting(t, b, calls)

	// A body written with signed integer codes for non-negative values is
	// valid msgpack and accepted.
	signed := with(0x99, 0xa4, 't', 'e', 's', 't', 0xa1, 'a', 0xc4, 4, 10, 0, 0, 1, 0xd1, 0x1f, 0x0a, 0xd0, 1, 1, 1, 1, 1)
	if _, err := b.Receive(t0, src, signed, nil); err != nil {
		t.Errorf("signed codes: %v", err)
	}
}

func TestForgedLengthsDoNotAllocate(t *testing.T) {
	b := newProto(t, Config{Name: "b"})
	pkt := append(appendHeader(nil, 0, clusterTag("test")), 0x99, 0xdb, 0xff, 0xff, 0xff, 0xf0, 't')
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	for i := 0; i < 100; i++ {
		b.Receive(t0, src, pkt, nil)
	}
	runtime.ReadMemStats(&after)
	if perCall := (after.TotalAlloc - before.TotalAlloc) / 100; perCall > 16<<10 {
		t.Fatalf("%d bytes allocated per forged datagram, want far less than the declared 4 GiB or msgpack's 1 MiB cap", perCall)
	}
}
