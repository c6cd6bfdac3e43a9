package core_test

import (
	"net/netip"
	"testing"

	"github.com/meshd/meshd/internal/coretest"
	"github.com/meshd/meshd/internal/wire"
)

// FuzzStep hands arbitrary datagrams (framed for the right cluster, so they
// reach the message handlers) to a node that knows a few members: it must
// never panic, and keep answering.
func FuzzStep(f *testing.F) {
	e := wire.NewEncoder()
	for _, m := range []wire.Msg{
		wire.Ping{Seq: 1, Target: "a"}, wire.PingReq{Seq: 2, Target: "b", TargetAddr: netip.MustParseAddrPort("10.0.0.2:7946")},
		wire.Alive{Name: "c", Addr: netip.MustParseAddrPort("10.0.0.3:7946"), Inc: 1},
		wire.Suspect{Name: "a", Inc: 0, From: "b"}, wire.Dead{Name: "b", Inc: 5, From: "x"},
		wire.Digest{Root: 1}, wire.Buckets{Hashes: make([]uint64, 128)}, wire.SyncReq{Buckets: []uint16{0, 5, 9999}},
		wire.JoinReq{Self: wire.Alive{Name: "d", Addr: netip.MustParseAddrPort("10.0.0.4:7946")}},
		wire.Alive{Name: "a", Addr: netip.MustParseAddrPort("10.0.0.9:7946"), Inc: 3},
		wire.NameProbe{Seq: 3, Claim: wire.NameClaim{Name: "a", Addr: netip.MustParseAddrPort("10.0.0.9:7946"), Started: 1}},
		wire.NameHeld{Seq: 3, Claim: wire.NameClaim{Name: "a", Addr: netip.MustParseAddrPort("10.0.0.9:7946"), Inc: 9}},
	} {
		f.Add(append([]byte(nil), e.Encode(m)...))
	}
	f.Fuzz(func(t *testing.T, payload []byte) {
		now := coretest.Epoch
		n := newLoneNode(t)
		pkt, _ := loneCodec().Frame(nil, payload, now)
		from := netip.MustParseAddrPort("10.0.0.9:7946")
		n.Step(now, from, pkt)
		n.Step(now, from, payload)
		n.Tick(now.Add(10e9))
		rd := n.Ready()
		for _, p := range rd.Packets {
			if len(p.Data) > 1400 {
				t.Fatalf("sent a %d-byte packet", len(p.Data))
			}
		}
	})
}
