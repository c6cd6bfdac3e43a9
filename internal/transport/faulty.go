package transport

import (
	"math/rand"
	"net/netip"
	"sync"
	"time"

	"github.com/meshd/meshd/internal/clock"
)

// Faulty wraps a PacketConn and injects faults in both directions: random
// loss, duplication, delay with jitter (which also reorders), and cuts to
// chosen peers. Tests and benchmarks use it where tc netem is not available;
// the simulator's virtual network applies the same kinds of faults.
type Faulty struct {
	inner PacketConn
	mu    sync.Mutex
	clock clock.Clock // times delayed packets
	rng   *rand.Rand
	loss  float64
	dup   float64
	delay time.Duration
	jit   time.Duration
	cut   func(peer netip.AddrPort) bool

	wmu     sync.Mutex // serialises writes to inner (delayed ones come from timers)
	Dropped uint64
}

// NewFaulty wraps inner; seed makes the fault pattern repeatable.
func NewFaulty(inner PacketConn, seed int64) *Faulty {
	return &Faulty{inner: inner, rng: rand.New(rand.NewSource(seed)), clock: clock.Real{}}
}

// SetClock makes delayed packets wait on c (tests pass a fake clock and
// advance it). Default: the system clock.
func (f *Faulty) SetClock(c clock.Clock) { f.mu.Lock(); f.clock = c; f.mu.Unlock() }

// SetLoss drops each packet, sent or received, with probability p.
func (f *Faulty) SetLoss(p float64) { f.mu.Lock(); f.loss = p; f.mu.Unlock() }

// SetDuplicate sends each packet twice with probability p.
func (f *Faulty) SetDuplicate(p float64) { f.mu.Lock(); f.dup = p; f.mu.Unlock() }

// SetDelay delays each sent packet by d plus up to jitter.
func (f *Faulty) SetDelay(d, jitter time.Duration) {
	f.mu.Lock()
	f.delay, f.jit = d, jitter
	f.mu.Unlock()
}

// SetCut drops all traffic to and from peers for which cut returns true
// (nil heals).
func (f *Faulty) SetCut(cut func(peer netip.AddrPort) bool) { f.mu.Lock(); f.cut = cut; f.mu.Unlock() }

func (f *Faulty) drop(peer netip.AddrPort) bool {
	if f.cut != nil && f.cut(peer) {
		return true
	}
	return f.loss > 0 && f.rng.Float64() < f.loss
}

// ReadPackets reads from inner and discards what the faults drop.
func (f *Faulty) ReadPackets(ps []Packet) (int, error) {
	for {
		n, err := f.inner.ReadPackets(ps)
		if err != nil {
			return 0, err
		}
		f.mu.Lock()
		k := 0
		for i := 0; i < n; i++ {
			if f.drop(ps[i].Addr) {
				f.Dropped++
				continue
			}
			ps[k], ps[i] = ps[i], ps[k]
			k++
		}
		f.mu.Unlock()
		if k > 0 {
			return k, nil
		}
	}
}

// WritePackets sends what the faults let through.
func (f *Faulty) WritePackets(ps []Packet) error {
	f.mu.Lock()
	var now []Packet
	for _, p := range ps {
		if f.drop(p.Addr) {
			f.Dropped++
			continue
		}
		copies := 1
		if f.dup > 0 && f.rng.Float64() < f.dup {
			copies = 2
		}
		for c := 0; c < copies; c++ {
			if f.delay == 0 && f.jit == 0 {
				now = append(now, p)
				continue
			}
			d := f.delay
			if f.jit > 0 {
				d += time.Duration(f.rng.Int63n(int64(f.jit)))
			}
			// The caller may reuse its buffers once WritePackets returns.
			p := Packet{Addr: p.Addr, Data: append([]byte(nil), p.Data...)}
			f.clock.AfterFunc(d, func() { f.write([]Packet{p}) })
		}
	}
	f.mu.Unlock()
	if len(now) == 0 {
		return nil
	}
	return f.write(now)
}

func (f *Faulty) write(ps []Packet) error {
	f.wmu.Lock()
	defer f.wmu.Unlock()
	return f.inner.WritePackets(ps)
}

// LocalAddr is inner's.
func (f *Faulty) LocalAddr() netip.AddrPort { return f.inner.LocalAddr() }

// Close closes inner.
func (f *Faulty) Close() error { return f.inner.Close() }
