package multicast

import (
	"bytes"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"net"
	"net/netip"
	"os"
	"testing"
	"time"

	"go.uber.org/goleak"
)

func TestMain(m *testing.M) {
	goleak.VerifyTestMain(m)
}

// freePort returns a UDP port that was free a moment ago, so that tests do
// not hear each other (or other programs using the default port).
func freePort(t *testing.T) uint16 {
	t.Helper()
	c, err := net.ListenPacket("udp4", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	return uint16(c.LocalAddr().(*net.UDPAddr).Port)
}

// token is a unique payload prefix for one test, so that datagrams of other
// programs on the same group are told apart.
func token(t *testing.T) string {
	var b [6]byte
	rand.Read(b[:])
	return "mctest-" + hex.EncodeToString(b[:]) + "-"
}

func mustListen(t *testing.T, cfg Config) *Conn {
	t.Helper()
	c, err := Listen(cfg)
	if err != nil {
		t.Fatalf("Listen(%+v): %v", cfg, err)
	}
	t.Cleanup(func() { c.Close() })
	return c
}

// collect reads from c until it has seen every payload in want (payloads
// not starting with prefix are ignored) or the deadline passes, and
// returns what it saw with each source.
func collect(t *testing.T, c *Conn, prefix string, want map[string]bool, deadline time.Time) map[string]netip.AddrPort {
	t.Helper()
	got := map[string]netip.AddrPort{}
	buf := make([]byte, 1500)
	c.SetReadDeadline(deadline)
	defer c.SetReadDeadline(time.Time{})
	for len(got) < len(want) {
		n, from, err := c.Receive(buf)
		if errors.Is(err, os.ErrDeadlineExceeded) {
			return got
		}
		if err != nil {
			t.Fatalf("Receive: %v", err)
		}
		if p := buf[:n]; bytes.HasPrefix(p, []byte(prefix)) && want[string(p)] {
			got[string(p)] = from
		}
	}
	return got
}
