package heartbeat

import (
	"bytes"
	"testing"
	"time"
)

// fuzzSeeds are valid and near-valid datagrams; testdata/fuzz holds more.
func fuzzSeeds(t testing.TB) [][]byte {
	plain := newProto(t, Config{Name: "a"})
	sealed := newProto(t, Config{Name: "a", Keys: [][]byte{key(1)}})
	return [][]byte{
		mustTick(t, plain, t0, announce("a", 1)),
		mustTick(t, sealed, t0, announce("a", 1)),
		libclusterHeartbeat("app@10.0.0.7"),
		[]byte("MH\x01\x00"),
		{},
	}
}

// FuzzReceive feeds arbitrary datagrams to a keyed and an unkeyed receiver:
// nothing may panic, every datagram counts once, and whatever is accepted
// is a well-formed announce.
func FuzzReceive(f *testing.F) {
	for _, s := range fuzzSeeds(f) {
		f.Add(s)
	}
	plain := newProto(f, Config{Name: "b", JoinRate: 1e9, JoinBurst: 1 << 30})
	sealed := newProto(f, Config{Name: "b", Keys: [][]byte{key(1)}, JoinRate: 1e9, JoinBurst: 1 << 30})
	calls := 0
	f.Fuzz(func(t *testing.T, pkt []byte) {
		calls++
		for _, p := range []*Protocol{plain, sealed} {
			d, err := p.Receive(t0, src, pkt, viewOf(0, "b"))
			checkAccounting(t, p, calls)
			if err != nil {
				if d != (Decision{}) {
					t.Fatalf("dropped, yet decision %+v", d)
				}
				continue
			}
			a := d.Announce
			if a.Cluster != "test" || a.Name == "" || len(a.Name) > MaxNameLen || checkAddr(a.Addr) != nil {
				t.Fatalf("accepted an invalid announce %+v", a)
			}
		}
	})
}

// FuzzBody checks that every body the decoder accepts encodes back to a body
// that decodes to the same value.
func FuzzBody(f *testing.F) {
	for _, s := range fuzzSeeds(f) {
		if len(s) > headerLen && s[0] == magic0 && s[1] == magic1 && s[3] == 0 {
			f.Add(s[headerLen:])
		}
	}
	f.Fuzz(func(t *testing.T, src []byte) {
		b, err := decodeBody(src)
		if err != nil {
			return
		}
		var buf bytes.Buffer
		if err := encodeBody(&buf, b); err != nil {
			t.Fatalf("re-encode of %+v: %v", b, err)
		}
		again, err := decodeBody(buf.Bytes())
		if err != nil || again != b {
			t.Fatalf("round trip: %+v -> %+v, %v", b, again, err)
		}
	})
}

// BenchmarkReceiveSealed is the per-heartbeat cost on the receiving side.
func BenchmarkReceiveSealed(b *testing.B) {
	a := newProto(b, Config{Name: "a", Keys: [][]byte{key(1)}})
	r := newProto(b, Config{Name: "r", Keys: [][]byte{key(1)}, MaxSkew: time.Hour})
	view := viewOf(0xfeed, "a", "r")
	pkts := make([][]byte, 1024)
	now := t0
	for i := range pkts {
		a.next = time.Time{}
		pkts[i] = mustTick(b, a, now.Add(time.Duration(i)), announce("a", 1))
	}
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if i%len(pkts) == 0 {
			r.seen = newLRU[seen](MaxSenders)
		}
		if _, err := r.Receive(now, src, pkts[i%len(pkts)], view); err != nil {
			b.Fatal(err)
		}
	}
}
