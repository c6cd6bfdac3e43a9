package meshsys

import (
	"testing"
	"time"

	"github.com/meshd/meshd/bench/harness"
	"github.com/meshd/meshd/internal/transport"
	"github.com/meshd/meshd/internal/wire"
)

type nopConn struct{ transport.PacketConn }

func (nopConn) WritePackets([]transport.Packet) error { return nil }

// The sniffer reports the originator of every suspect message sent, only
// while on, and counts what it cannot decode instead of failing.
func TestSnifferReportsSuspectOriginators(t *testing.T) {
	var got []harness.Event
	c := newCountingConn(nopConn{}, func(e harness.Event) { got = append(got, e) })
	codec, err := wire.NewCodec("bench", nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	enc := wire.NewEncoder()
	payload := enc.Append(nil, wire.Ping{Seq: 1, Target: "n002"})
	payload = enc.Append(payload, wire.Suspect{Name: "n003", Inc: 2, From: "n001"})
	pkt, err := codec.Frame(nil, payload, time.Now())
	if err != nil {
		t.Fatal(err)
	}
	send := func() { _ = c.WritePackets([]transport.Packet{{Data: pkt}, {Data: []byte("junk")}}) }
	send()
	if len(got) != 0 {
		t.Fatalf("reported %v with sniffing off", got)
	}
	c.sniff.Store(true)
	send()
	if len(got) != 1 || got[0].Observer != "n001" || got[0].Subject != "n003" || got[0].Kind != harness.EventSuspect {
		t.Fatalf("reported %+v, want one suspicion of n003 by n001", got)
	}
	if c.malformed.Load() != 1 {
		t.Errorf("malformed = %d, want 1 (the junk datagram)", c.malformed.Load())
	}
	if want := uint64(2 * (len(pkt) + 4)); c.bytes.Load() != want {
		t.Errorf("bytes = %d, want %d", c.bytes.Load(), want)
	}
}
