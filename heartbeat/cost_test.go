package heartbeat

import (
	"fmt"
	"math/rand/v2"
	"net/netip"
	"testing"
	"time"
)

// ipUDPHeaders is what IPv4 and UDP add to each heartbeat on the wire.
const ipUDPHeaders = 28

// lanSim is n members on a virtual LAN where every heartbeat reaches every
// other member at once, driven by the real Protocol on a virtual clock.
type lanSim struct {
	protos []*Protocol
	selves []Announce
	views  []*fakeView
	now    time.Time

	sentBytes, recvBytes uint64
	joins                uint64
}

func newLANSim(tb testing.TB, n int, interval time.Duration) *lanSim {
	s := &lanSim{now: t0}
	for i := 0; i < n; i++ {
		name := fmt.Sprintf("node-%03d", i)
		p, err := New(Config{Cluster: "lan", Name: name, Keys: [][]byte{key(9)}, Interval: interval},
			rand.New(rand.NewPCG(uint64(i), 1)), &seqReader{n: uint64(i) << 40})
		if err != nil {
			tb.Fatal(err)
		}
		s.protos = append(s.protos, p)
		s.selves = append(s.selves, Announce{Name: name, Incarnation: 1, Digest: 0x5eed5eed5eed5eed, Count: uint32(n),
			Addr: netip.AddrPortFrom(netip.AddrFrom4([4]byte{10, 0, byte(i >> 8), byte(i)}), 7946)})
		s.views = append(s.views, viewOf(0x5eed5eed5eed5eed, name))
	}
	return s
}

// run advances the virtual clock by d, delivering every heartbeat due. A
// Join decision makes the receiver know the sender, as a completed join
// would.
func (s *lanSim) run(tb testing.TB, d time.Duration) {
	end := s.now.Add(d)
	for {
		next, who := end, -1
		for i, p := range s.protos {
			dl := p.NextDeadline()
			if dl.Before(s.now) {
				dl = s.now // a zero deadline (before the first Tick) means now
			}
			if dl.Before(next) {
				next, who = dl, i
			}
		}
		if who < 0 {
			s.now = end
			return
		}
		s.now = next
		pkt := s.protos[who].Tick(s.now, s.selves[who])
		if pkt == nil {
			tb.Fatalf("member %d due at %v sent nothing", who, s.now)
		}
		s.sentBytes += uint64(len(pkt) + ipUDPHeaders)
		for j, p := range s.protos {
			if j == who {
				continue
			}
			s.recvBytes += uint64(len(pkt) + ipUDPHeaders)
			dec, err := p.Receive(s.now, src, pkt, s.views[j])
			if err != nil && dropReason(tb, err) != ErrRateLimited {
				tb.Fatalf("member %d dropped member %d's heartbeat: %v", j, who, err)
			}
			if dec.Join {
				s.joins++
				s.views[j].known[dec.Announce.Name] = true
			}
		}
	}
}

// BenchmarkHeartbeatCost reports what heartbeats cost each member on a LAN,
// in bytes on the wire (payload with IPv4 and UDP headers) per second, and
// how many joins heartbeats trigger per member while the LAN comes up at
// once (rate-limited by the default token bucket).
//
//	go test ./heartbeat -run XXX -bench HeartbeatCost -benchtime 1x
func BenchmarkHeartbeatCost(b *testing.B) {
	const interval = time.Second
	for _, n := range []int{6, 200} {
		b.Run(fmt.Sprintf("members=%d", n), func(b *testing.B) {
			for i := 0; i < b.N; i++ {
				s := newLANSim(b, n, interval)
				// Everyone comes up at once and knows nobody.
				s.run(b, 3*interval)
				startupJoins := float64(s.joins) / float64(n)
				// Steady state over 10 intervals.
				s.sentBytes, s.recvBytes = 0, 0
				const steady = 10 * interval
				s.run(b, steady)
				b.ReportMetric(float64(s.sentBytes)/float64(n)/steady.Seconds(), "B_sent/member/s")
				b.ReportMetric(float64(s.recvBytes)/float64(n)/steady.Seconds(), "B_recv/member/s")
				b.ReportMetric(startupJoins, "joins/member/startup")
			}
		})
	}
}
