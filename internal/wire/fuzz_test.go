package wire

import (
	"bytes"
	"net/netip"
	"testing"
	"time"
)

func seedPayloads() [][]byte {
	e := NewEncoder()
	var out [][]byte
	for _, m := range []Msg{
		Ping{Seq: 7, Target: "n1"}, Ack{Seq: 7}, Nack{Seq: 7},
		PingReq{Seq: 9, Target: "n2", TargetAddr: netip.MustParseAddrPort("[::1]:7946")},
		Alive{Name: "n3", Addr: netip.MustParseAddrPort("10.1.2.3:7946"), Inc: 4, MetaVer: 2, Meta: map[string]string{"a": "b"}},
		Suspect{Name: "n4", Inc: 1, From: "n1"}, Dead{Name: "n5", Inc: 2, From: "n1"}, Left{Name: "n6", Inc: 3},
		Digest{Root: 99, Count: 5}, Buckets{Hashes: []uint64{1, 2, 3}}, SyncReq{Buckets: []uint16{1, 127}},
		Entry{Name: "n7", Addr: netip.MustParseAddrPort("10.0.0.7:1"), Inc: 1, State: 2, MetaVer: 0},
		JoinReq{Self: Alive{Name: "n8", Addr: netip.MustParseAddrPort("10.0.0.8:2")}}, JoinDone{Count: 3},
		NameProbe{Seq: 5, Claim: NameClaim{Name: "n9", Addr: netip.MustParseAddrPort("10.0.0.9:7946"), Inc: 2, Started: 1_800_000_000_123}},
		NameHeld{Seq: 5, Claim: NameClaim{Name: "n9", Addr: netip.MustParseAddrPort("[fd00::9]:7946"), Inc: 7, Started: 1_700_000_000_456}},
	} {
		out = append(out, append([]byte(nil), e.Encode(m)...))
	}
	return out
}

// FuzzDecodeAll feeds arbitrary payloads to the message decoder: it must
// never panic, and whatever it accepts must re-encode to something that
// decodes to the same messages.
func FuzzDecodeAll(f *testing.F) {
	for _, p := range seedPayloads() {
		f.Add(p)
	}
	f.Add([]byte{0x91, 0xcc, 0xff})
	f.Add([]byte{0x93, 0x01, 0xce, 0xff, 0xff, 0xff, 0xff, 0xdb, 0x7f, 0xff, 0xff, 0xff})
	f.Fuzz(func(t *testing.T, payload []byte) {
		d := NewDecoder()
		var msgs []Msg
		if err := d.DecodeAll(payload, func(m Msg) { msgs = append(msgs, m) }); err != nil {
			return
		}
		e := NewEncoder()
		var again []byte
		for _, m := range msgs {
			again = e.Append(again, m)
		}
		var msgs2 []Msg
		if err := d.DecodeAll(again, func(m Msg) { msgs2 = append(msgs2, m) }); err != nil {
			t.Fatalf("re-encoded messages do not decode: %v", err)
		}
		if len(msgs) != len(msgs2) {
			t.Fatalf("%d messages became %d", len(msgs), len(msgs2))
		}
	})
}

// FuzzOpen feeds arbitrary packets to the framing layer, with and without
// keys: no panic, and nothing opens that was not sealed by the key.
func FuzzOpen(f *testing.F) {
	now := time.Unix(1_800_000_000, 0)
	plain, _ := NewCodec("c", nil, nil)
	sealed, _ := NewCodec("c", [][]byte{bytes.Repeat([]byte{1}, 32)}, nil)
	for _, p := range seedPayloads() {
		pkt, _ := plain.Frame(nil, p, now)
		f.Add(pkt)
		pkt, _ = sealed.Frame(nil, p, now)
		f.Add(pkt)
	}
	f.Add([]byte("heartbeat::\x83"))
	f.Fuzz(func(t *testing.T, pkt []byte) {
		if p, err := plain.Open(pkt, now); err == nil {
			NewDecoder().DecodeAll(p, func(Msg) {})
		}
		if p, err := sealed.Open(pkt, now); err == nil {
			NewDecoder().DecodeAll(p, func(Msg) {})
		}
	})
}

func TestRoundTrip(t *testing.T) {
	d := NewDecoder()
	for _, p := range seedPayloads() {
		n := 0
		if err := d.DecodeAll(p, func(Msg) { n++ }); err != nil || n != 1 {
			t.Fatalf("%x: %v (%d messages)", p, err, n)
		}
	}
}

func TestForgedLengthsDoNotAllocate(t *testing.T) {
	// A str32 header claiming 4 GiB, an array32 claiming 4G elements.
	for _, p := range [][]byte{
		{0x93, 0x01, 0xce, 0, 0, 0, 1, 0xdb, 0xff, 0xff, 0xff, 0xff},
		{0x92, 0x0a, 0xdd, 0xff, 0xff, 0xff, 0xff},
		{0x97, 0x0c, 0xa1, 'x', 0xc4, 4, 1, 2, 3, 4, 0x01, 0x01, 0x01, 0x01, 0xdf, 0xff, 0xff, 0xff, 0xff},
	} {
		allocs := testing.AllocsPerRun(10, func() { NewDecoder().DecodeAll(p, func(Msg) {}) })
		if allocs > 40 {
			t.Fatalf("%x: %v allocations", p, allocs)
		}
		if err := NewDecoder().DecodeAll(p, func(Msg) {}); err == nil {
			t.Fatalf("%x: accepted", p)
		}
	}
}
