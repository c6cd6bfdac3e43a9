package heartbeat

import (
	"errors"
	"math/rand/v2"
	"net/netip"
	"testing"
	"time"
)

// t0 is an arbitrary fixed instant; tests never read the wall clock.
var t0 = time.Date(2025, 3, 1, 12, 0, 0, 0, time.UTC)

func key(b byte) []byte {
	k := make([]byte, 32)
	for i := range k {
		k[i] = b
	}
	return k
}

// seqReader is a deterministic nonce source: never repeats within a test.
type seqReader struct{ n uint64 }

func (r *seqReader) Read(p []byte) (int, error) {
	for i := range p {
		r.n++
		p[i] = byte(r.n*2654435761>>24) ^ byte(r.n)
	}
	return len(p), nil
}

func newProto(t testing.TB, cfg Config) *Protocol {
	t.Helper()
	if cfg.Cluster == "" {
		cfg.Cluster = "test"
	}
	p, err := New(cfg, rand.New(rand.NewPCG(1, 2)), &seqReader{})
	if err != nil {
		t.Fatalf("New(%+v): %v", cfg, err)
	}
	return p
}

func announce(name string, last byte) Announce {
	return Announce{
		Name:        name,
		Addr:        netip.AddrPortFrom(netip.AddrFrom4([4]byte{10, 0, 0, last}), 7946),
		Incarnation: 3,
		Digest:      0xfeed,
		Count:       5,
	}
}

// fakeView is a member table for Receive.
type fakeView struct {
	known  map[string]bool
	digest uint64
}

func (v *fakeView) Known(name string) bool { return v.known[name] }
func (v *fakeView) Digest() uint64         { return v.digest }

func viewOf(digest uint64, names ...string) *fakeView {
	v := &fakeView{known: map[string]bool{}, digest: digest}
	for _, n := range names {
		v.known[n] = true
	}
	return v
}

var src = netip.MustParseAddrPort("10.0.0.99:45892")

// mustTick returns the heartbeat of p at now or fails.
func mustTick(t testing.TB, p *Protocol, now time.Time, self Announce) []byte {
	t.Helper()
	pkt := p.Tick(now, self)
	if pkt == nil {
		t.Fatalf("Tick at %v produced nothing (stats %+v)", now, p.Stats())
	}
	return pkt
}

// dropReason returns the reason of a Receive error, or nil for nil. It
// checks that errors.Is matches the reason, as the core relies on.
func dropReason(t testing.TB, err error) error {
	t.Helper()
	if err == nil {
		return nil
	}
	de, ok := err.(*DropError)
	if !ok {
		t.Fatalf("Receive error %T %v, want *DropError", err, err)
	}
	if !errors.Is(err, de.Reason) {
		t.Fatalf("errors.Is(%v, %v) is false", err, de.Reason)
	}
	return de.Reason
}

// checkAccounting asserts that every datagram counted exactly once.
func checkAccounting(t testing.TB, p *Protocol, calls int) {
	t.Helper()
	s := p.Stats()
	total := s.Received
	for _, n := range s.Dropped {
		total += n
	}
	if total != uint64(calls) {
		t.Fatalf("Received %d + Dropped %v = %d, want %d Receive calls", s.Received, s.Dropped, total, calls)
	}
}
