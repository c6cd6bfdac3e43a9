package core_test

import (
	"fmt"
	"math/rand"
	"net/netip"
	"testing"
	"time"

	"github.com/meshd/meshd/internal/core"
	"github.com/meshd/meshd/internal/coretest"
	"github.com/meshd/meshd/internal/wire"
)

// BenchmarkSteadyBytes reports the bytes each node sends per second in an
// idle, converged cluster (probes, acks and digest anti-entropy): the figure
// must not grow with N.
func BenchmarkSteadyBytes(b *testing.B) {
	for _, n := range []int{100, 1000} {
		b.Run(fmt.Sprintf("N=%d", n), func(b *testing.B) {
			for i := 0; i < b.N; i++ {
				net := joinStorm(int64(i+1), n)
				if _, ok := net.RunUntil(time.Second, 5*time.Minute, net.Converged); !ok {
					b.Fatal("no convergence")
				}
				net.Run(60 * time.Second) // let join gossip die out
				before := net.Bytes
				const window = 120 * time.Second
				net.Run(window)
				b.ReportMetric(float64(net.Bytes-before)/float64(n)/window.Seconds(), "bytes/node/s")
			}
		})
	}
}

// BenchmarkJoinConvergence reports the simulated seconds until 1,000 nodes
// that join one seed at once all see each other.
func BenchmarkJoinConvergence(b *testing.B) {
	for i := 0; i < b.N; i++ {
		net := joinStorm(int64(i+1), 1000)
		d, ok := net.RunUntil(250*time.Millisecond, 5*time.Minute, net.Converged)
		if !ok {
			b.Fatal("no convergence")
		}
		b.ReportMetric(d.Seconds(), "sim-s")
	}
}

func BenchmarkEncodeDecode(b *testing.B) {
	enc, dec := wire.NewEncoder(), wire.NewDecoder()
	msgs := []wire.Msg{
		wire.Ping{Seq: 12345, Target: "node-123"},
		wire.Alive{Name: "node-77", Addr: netip.MustParseAddrPort("10.0.0.7:7946"), Inc: 9, MetaVer: 1, Meta: map[string]string{"role": "api"}},
		wire.Suspect{Name: "node-9", Inc: 3, From: "node-1"},
	}
	var buf []byte
	b.ReportAllocs()
	for i := 0; i < b.N; i++ {
		buf = buf[:0]
		for _, m := range msgs {
			buf = enc.Append(buf, m)
		}
		if err := dec.DecodeAll(buf, func(wire.Msg) {}); err != nil {
			b.Fatal(err)
		}
	}
	b.SetBytes(int64(len(buf)))
}

// BenchmarkStepTick measures one node's throughput handling probes: each
// iteration steps one ping (answering it with an ack) and ticks the clock.
func BenchmarkStepTick(b *testing.B) {
	now := coretest.Epoch
	p := coretest.LANParams()
	mk := func(name string, ip byte) *core.Node {
		n, err := core.New(core.Config{Name: name, Addr: netip.AddrPortFrom(netip.AddrFrom4([4]byte{10, 0, 0, ip}), 7946),
			Cluster: "bench", Params: p, Rand: rand.New(rand.NewSource(1))}, now)
		if err != nil {
			b.Fatal(err)
		}
		return n
	}
	a, c := mk("a", 1), mk("c", 2)
	codec, _ := wire.NewCodec("bench", nil, nil)
	enc := wire.NewEncoder()
	from := netip.MustParseAddrPort("10.0.0.2:7946")
	_ = c
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		now = now.Add(time.Millisecond)
		pkt, _ := codec.Frame(nil, enc.Encode(wire.Ping{Seq: uint32(i), Target: "a"}), now)
		a.Step(now, from, pkt)
		a.Tick(now)
		_ = a.Ready()
	}
}
