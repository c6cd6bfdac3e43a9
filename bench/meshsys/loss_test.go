package meshsys

import (
	"testing"
	"time"

	"github.com/meshd/meshd/bench/harness"
	"github.com/meshd/meshd/internal/transport"
)

// TestLossIsEndToEnd: transport.Faulty drops in both directions, so each
// end gets the per-direction share and a datagram between two nodes with
// loss x arrives with probability 1-x, as with the memberlist wrapper.
func TestLossIsEndToEnd(t *testing.T) {
	const x, sent = 0.3, 2000
	open := func(seed int64) *transport.Faulty {
		u, err := transport.ListenUDP("127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		f := transport.NewFaulty(u, seed)
		f.SetLoss(harness.LossPerDirection(x))
		return f
	}
	a, b := open(1), open(2)
	defer a.Close()
	got := make(chan int)
	go func() {
		ps := make([]transport.Packet, 8)
		for i := range ps {
			ps[i].Data = make([]byte, 2048)
		}
		n := 0
		for {
			k, err := b.ReadPackets(ps)
			if err != nil {
				got <- n
				return
			}
			n += k
			for i := range ps {
				ps[i].Data = ps[i].Data[:cap(ps[i].Data)]
			}
		}
	}()
	for i := range sent {
		if err := a.WritePackets([]transport.Packet{{Addr: b.LocalAddr(), Data: make([]byte, 100)}}); err != nil {
			t.Fatal(err)
		}
		if i%100 == 99 {
			time.Sleep(2 * time.Millisecond)
		}
	}
	time.Sleep(500 * time.Millisecond)
	b.Close()
	n := <-got
	if n < 1300 || n > 1500 {
		t.Errorf("%d of %d datagrams arrived with %.0f%% loss, want about %d", n, sent, x*100, int((1-x)*sent))
	}
}
