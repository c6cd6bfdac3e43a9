package transport

import (
	"net/netip"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/meshd/meshd/internal/clock"
)

// memConn records what is written to it; it is never read.
type memConn struct {
	mu  sync.Mutex
	got []Packet
}

func (m *memConn) ReadPackets([]Packet) (int, error) { return 0, ErrClosed }
func (m *memConn) WritePackets(ps []Packet) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.got = append(m.got, ps...)
	return nil
}
func (m *memConn) LocalAddr() netip.AddrPort { return netip.MustParseAddrPort("127.0.0.1:1") }
func (m *memConn) Close() error              { return nil }

func (m *memConn) payloads() []byte {
	m.mu.Lock()
	defer m.mu.Unlock()
	var out []byte
	for _, p := range m.got {
		out = append(out, p.Data...)
	}
	return out
}

var peer = netip.MustParseAddrPort("127.0.0.1:2")

func TestFaultyDelayWaitsOnItsClock(t *testing.T) {
	inner := &memConn{}
	fc := clock.NewFake(time.Unix(0, 0))
	f := NewFaulty(inner, 1)
	f.SetClock(fc)
	f.SetDelay(time.Second, 0)
	buf := []byte{1}
	if err := f.WritePackets([]Packet{{Addr: peer, Data: buf}}); err != nil {
		t.Fatal(err)
	}
	buf[0] = 9 // the caller reuses its buffer: the delayed packet is a copy
	fc.Advance(999 * time.Millisecond)
	if got := inner.payloads(); len(got) != 0 {
		t.Fatalf("%v written before the delay passed", got)
	}
	fc.Advance(time.Millisecond)
	if got := inner.payloads(); !slices.Equal(got, []byte{1}) {
		t.Fatalf("after the delay: %v written, want [1]", got)
	}
}

func TestFaultyJitterReordersAndDuplicates(t *testing.T) {
	inner := &memConn{}
	fc := clock.NewFake(time.Unix(0, 0))
	f := NewFaulty(inner, 1)
	f.SetClock(fc)
	f.SetDelay(10*time.Millisecond, 10*time.Millisecond)
	var sent []byte
	for i := range 50 {
		sent = append(sent, byte(i))
		f.WritePackets([]Packet{{Addr: peer, Data: []byte{byte(i)}}})
	}
	fc.Advance(20 * time.Millisecond) // delay plus the largest jitter
	got := inner.payloads()
	if slices.Equal(got, sent) {
		t.Fatal("jitter did not reorder 50 packets")
	}
	if !slices.Equal(slices.Sorted(slices.Values(got)), sent) {
		t.Fatalf("jittered packets %v are not the 50 sent", got)
	}

	dup := &memConn{}
	g := NewFaulty(dup, 1)
	g.SetDuplicate(1)
	g.WritePackets([]Packet{{Addr: peer, Data: []byte{7}}})
	if got := dup.payloads(); !slices.Equal(got, []byte{7, 7}) {
		t.Fatalf("duplicated: %v, want [7 7]", got)
	}
}
