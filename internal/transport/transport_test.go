package transport

import (
	"net/netip"
	"testing"
	"time"
)

func pair(t *testing.T, bind string) (*UDP, *UDP) {
	a, err := ListenUDP(bind)
	if err != nil {
		t.Skipf("cannot bind %s: %v", bind, err)
	}
	b, err := ListenUDP(bind)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { a.Close(); b.Close() })
	return a, b
}

func readN(t *testing.T, c PacketConn, n int) []Packet {
	var got []Packet
	deadline := time.Now().Add(5 * time.Second)
	for len(got) < n && time.Now().Before(deadline) {
		ps := make([]Packet, 8)
		for i := range ps {
			ps[i].Data = make([]byte, 64)
		}
		k, err := c.ReadPackets(ps)
		if err != nil {
			t.Fatal(err)
		}
		got = append(got, ps[:k]...)
	}
	return got
}

func TestUDPBatches(t *testing.T) {
	for _, bind := range []string{"127.0.0.1:0", "[::1]:0"} {
		a, b := pair(t, bind)
		var out []Packet
		for i := 0; i < 20; i++ {
			out = append(out, Packet{Addr: b.LocalAddr(), Data: []byte{byte(i)}})
		}
		if err := a.WritePackets(out); err != nil {
			t.Fatal(err)
		}
		got := readN(t, b, 20)
		if len(got) != 20 || got[0].Addr != a.LocalAddr() {
			t.Fatalf("%s: got %d packets from %v", bind, len(got), got[0].Addr)
		}
	}
}

func TestCloseUnblocksRead(t *testing.T) {
	a, b := pair(t, "127.0.0.1:0")
	first := make(chan struct{})
	done := make(chan error)
	go func() {
		ps := []Packet{{Data: make([]byte, 16)}}
		if _, err := a.ReadPackets(ps); err != nil {
			done <- err
			return
		}
		close(first)
		_, err := a.ReadPackets(ps) // blocks: nothing more is sent
		done <- err
	}()
	// Once the reader got the first packet it is on its way into the
	// second, blocking read; Close must end it whether it is already
	// blocked or not yet.
	if err := b.WritePackets([]Packet{{Addr: a.LocalAddr(), Data: []byte("x")}}); err != nil {
		t.Fatal(err)
	}
	select {
	case <-first:
	case err := <-done:
		t.Fatalf("first read: %v", err)
	}
	a.Close()
	if err := <-done; err != ErrClosed {
		t.Fatalf("read after close: %v", err)
	}
}

func TestFaultyLossAndCut(t *testing.T) {
	a, b := pair(t, "127.0.0.1:0")
	f := NewFaulty(a, 1)
	f.SetCut(func(p netip.AddrPort) bool { return p == b.LocalAddr() })
	f.WritePackets([]Packet{{Addr: b.LocalAddr(), Data: []byte("cut")}})
	f.SetCut(nil)
	f.SetLoss(0.5)
	var out []Packet
	for i := 0; i < 200; i++ {
		out = append(out, Packet{Addr: b.LocalAddr(), Data: []byte("x")})
	}
	f.WritePackets(out)
	f.SetLoss(0)
	f.WritePackets([]Packet{{Addr: b.LocalAddr(), Data: []byte("end")}})
	var got []Packet
	for len(got) == 0 || string(got[len(got)-1].Data) != "end" {
		got = append(got, readN(t, b, 1)...)
	}
	for _, p := range got {
		if string(p.Data) == "cut" {
			t.Fatal("a packet to a cut peer went through")
		}
	}
	if n := len(got) - 1; n < 60 || n > 140 {
		t.Fatalf("%d of 200 packets passed at 50%% loss", n)
	}
}
