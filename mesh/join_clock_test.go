package mesh_test

import (
	"context"
	"net"
	"syscall"
	"testing"
	"time"

	"github.com/meshd/meshd/internal/clock"
	"github.com/meshd/meshd/mesh"
)

// A seed that never answers gets the join request and a fixed number of
// resends, timed on the mesh's clock, once a live seed has answered; Join
// then returns without waiting for it to give up.
func TestJoinResendsToASilentSeedOnTheClock(t *testing.T) {
	live := newNode(t, "live", nil)
	silent, err := net.ListenUDP("udp", &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1)})
	if err != nil {
		t.Fatal(err)
	}
	defer silent.Close()
	fc := clock.NewFake(epoch)
	c := newNode(t, "c", onClock(fc))
	events, cancel := c.Subscribe()
	defer cancel()
	type result struct {
		n   int
		err error
	}
	joined := make(chan result, 1)
	go func() {
		n, err := c.Join(context.Background(), live.Addr().String(), silent.LocalAddr().String())
		joined <- result{n, err}
	}()
	select {
	case ev := <-events:
		if ev.Member.Name != "live" {
			t.Fatalf("first event about %s, want live", ev.Member.Name)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("the live seed's answer never arrived")
	}
	answered := fc.Now()
	probeTimeout := mesh.DefaultLocalConfig().ProbeTimeout
	var res result
	for done := false; !done; {
		if fc.Since(answered) > 10*time.Minute {
			t.Fatal("Join did not return within 10 virtual minutes of the answer")
		}
		select {
		case res = <-joined:
			done = true
			continue
		default:
		}
		parked(t, fc, 1)
		d, _ := fc.Next()
		fc.Advance(d)
	}
	if res.err != nil || res.n != 1 {
		t.Fatalf("Join = %d, %v; want 1 answer", res.n, res.err)
	}
	took := fc.Since(answered)
	if took < 2*probeTimeout || took > 5*mesh.DefaultLocalConfig().ProbeInterval {
		t.Fatalf("Join returned %v (virtual) after the answer; want two resends (%v) and not the give-up time", took, 2*probeTimeout)
	}
	// Everything c sent is in the silent seed's socket by now: a loopback
	// send queues the datagram before it returns.
	requests := queued(t, silent)
	t.Logf("Join returned %v (virtual) after the answer; the silent seed got %d requests", took, requests)
	if requests != 3 {
		t.Fatalf("the silent seed got %d join requests, want the first and 2 resends", requests)
	}
}

// queued counts the datagrams waiting in conn's receive queue, without
// waiting for more.
func queued(t *testing.T, conn *net.UDPConn) int {
	t.Helper()
	rc, err := conn.SyscallConn()
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	buf := make([]byte, 2048)
	rc.Read(func(fd uintptr) bool {
		for {
			if _, _, err := syscall.Recvfrom(int(fd), buf, syscall.MSG_DONTWAIT); err != nil {
				return true
			}
			n++
		}
	})
	return n
}
