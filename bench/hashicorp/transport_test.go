package hashicorp

import (
	"errors"
	"net"
	"strconv"
	"testing"
	"time"
)

// TestTransportLossIsEndToEnd: with loss x set on both ends, a datagram
// arrives with probability 1-x, and every byte offered is counted as sent.
func TestTransportLossIsEndToEnd(t *testing.T) {
	a, err := NewTransport(1, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer a.Shutdown()
	b, err := NewTransport(2, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer b.Shutdown()
	const x, sent = 0.3, 2000
	a.SetLoss(x)
	b.SetLoss(x)
	ip, port, err := b.FinalAdvertiseAddr("", 0)
	if err != nil {
		t.Fatal(err)
	}
	addr := net.JoinHostPort(ip.String(), strconv.Itoa(port))
	got := make(chan int)
	go func() {
		n := 0
		for {
			select {
			case <-b.PacketCh():
				n++
			case <-time.After(time.Second):
				got <- n
				return
			}
		}
	}()
	payload := make([]byte, 100)
	for i := range sent {
		if _, err := a.WriteTo(payload, addr); err != nil {
			t.Fatal(err)
		}
		if i%100 == 99 {
			time.Sleep(2 * time.Millisecond) // stay clear of socket buffer limits
		}
	}
	n := <-got
	// 1400 expected; 4 standard deviations (about 80) either side.
	if n < 1300 || n > 1500 {
		t.Errorf("%d of %d datagrams arrived with %.0f%% loss, want about %d", n, sent, x*100, int((1-x)*sent))
	}
	if p, _ := a.Bytes(); p != sent*100 {
		t.Errorf("counted %d bytes sent, want %d (bytes count before loss)", p, sent*100)
	}
}

// TestTransportDialLoss: a lost handshake fails a dial with a deadline
// shorter than the SYN retransmission, and delays one with a longer one.
func TestTransportDialLoss(t *testing.T) {
	a, err := NewTransport(3, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer a.Shutdown()
	b, err := NewTransport(4, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer b.Shutdown()
	done := make(chan struct{})
	defer close(done)
	go func() {
		for {
			select {
			case c := <-b.StreamCh():
				c.Close()
			case <-done:
				return
			}
		}
	}()
	ip, port, _ := b.FinalAdvertiseAddr("", 0)
	addr := net.JoinHostPort(ip.String(), strconv.Itoa(port))

	a.SetLoss(0.999999) // every handshake lost
	start := time.Now()
	if _, err := a.DialTimeout(addr, 100*time.Millisecond); !errors.Is(err, errInjected) {
		t.Errorf("short dial: %v, want the injected failure", err)
	}
	if d := time.Since(start); d < 90*time.Millisecond {
		t.Errorf("short dial failed after %v, want after its deadline", d)
	}
	start = time.Now()
	c, err := a.DialTimeout(addr, 3*time.Second)
	if err != nil {
		t.Fatalf("long dial: %v, want success after the SYN retransmission", err)
	}
	c.Close()
	if d := time.Since(start); d < synRetransmit-50*time.Millisecond {
		t.Errorf("long dial took %v, want at least the SYN retransmission %v", d, synRetransmit)
	}
	a.SetLoss(0)
	start = time.Now()
	c, err = a.DialTimeout(addr, time.Second)
	if err != nil {
		t.Fatal(err)
	}
	c.Close()
	if d := time.Since(start); d > 500*time.Millisecond {
		t.Errorf("dial without loss took %v", d)
	}
}
