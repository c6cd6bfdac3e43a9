package multicast

import (
	"errors"
	"fmt"
	"net"
	"net/netip"
	"os"
	"strings"
	"testing"
	"time"
)

// loopbackConfig keeps every datagram on this host: loopback interface,
// IP_MULTICAST_IF 127.0.0.1, TTL 0.
func loopbackConfig(group string) Config {
	return Config{Group: group, Interfaces: []string{"127.0.0.1"}, TTL: 0, Loopback: true}
}

// exchange has every conn send one datagram (in up to 3 rounds, for the
// unlikely loss) and checks that every conn hears every datagram.
func exchange(t *testing.T, conns []*Conn) {
	t.Helper()
	prefix := token(t)
	want := map[string]bool{}
	for i := range conns {
		want[fmt.Sprintf("%s%d", prefix, i)] = true
	}
	heard := make([]map[string]netip.AddrPort, len(conns))
	for round := 0; round < 3; round++ {
		for i, c := range conns {
			if err := c.Send([]byte(fmt.Sprintf("%s%d", prefix, i))); err != nil {
				t.Fatalf("conn %d: Send: %v", i, err)
			}
		}
		done := true
		for i, c := range conns {
			got := collect(t, c, prefix, want, time.Now().Add(2*time.Second))
			if heard[i] == nil {
				heard[i] = got
			}
			for k, v := range got {
				heard[i][k] = v
			}
			if len(heard[i]) < len(want) {
				done = false
			}
		}
		if done {
			break
		}
	}
	for i := range conns {
		if len(heard[i]) != len(want) {
			t.Errorf("conn %d heard %d of %d datagrams", i, len(heard[i]), len(want))
		}
	}
}

func TestManyConnsShareTheDefaultPortOnLoopback(t *testing.T) {
	const n = 5
	var conns []*Conn
	for i := 0; i < n; i++ {
		conns = append(conns, mustListen(t, loopbackConfig(DefaultGroup)))
	}
	if got := conns[0].LocalAddr().Port(); got != 45892 {
		t.Fatalf("bound port %d, want 45892", got)
	}
	exchange(t, conns)
	// The source is the loopback address, not another interface's: the
	// socket selects the interface by its address.
	prefix := token(t)
	if err := conns[0].Send([]byte(prefix + "src")); err != nil {
		t.Fatal(err)
	}
	got := collect(t, conns[1], prefix, map[string]bool{prefix + "src": true}, time.Now().Add(2*time.Second))
	if from := got[prefix+"src"]; from.Addr() != netip.MustParseAddr("127.0.0.1") || from.Port() != 45892 {
		t.Fatalf("source %v, want 127.0.0.1:45892", from)
	}
	for i, c := range conns {
		if s := c.Stats(); s.Sent == 0 || s.Received == 0 || s.SendErrors != 0 {
			t.Errorf("conn %d stats %+v", i, s)
		}
	}
}

func TestInterfaceByNameAndAddressIsOneInterface(t *testing.T) {
	lo := loopbackName(t)
	cfg := loopbackConfig(fmt.Sprintf("239.255.77.1:%d", freePort(t)))
	cfg.Interfaces = []string{lo, "127.0.0.1"}
	c := mustListen(t, cfg)
	if got := c.Interfaces(); len(got) != 1 || got[0] != lo {
		t.Fatalf("Interfaces() = %v, want [%s] once", got, lo)
	}
	other := mustListen(t, cfg)
	exchange(t, []*Conn{c, other})
	// Named twice, but sent once: one Send, one datagram.
	if s := c.Stats(); s.Sent > 3 {
		t.Fatalf("Sent %d after at most 3 Sends on one interface", s.Sent)
	}
}

func TestBroadcastOnLoopback(t *testing.T) {
	port := freePort(t)
	cfg := Config{Group: fmt.Sprintf("127.0.0.1:%d", port), Interfaces: []string{"127.0.0.1"}, Broadcast: true}
	a, b := mustListen(t, cfg), mustListen(t, cfg)
	exchange(t, []*Conn{a, b})
}

func TestTruncatedDatagramsAreSkippedAndCounted(t *testing.T) {
	c := mustListen(t, loopbackConfig(fmt.Sprintf("239.255.77.2:%d", freePort(t))))
	prefix := token(t)
	long := prefix + strings.Repeat("x", 200)
	short := prefix + "short"
	for _, p := range []string{long, short} {
		if err := c.Send([]byte(p)); err != nil {
			t.Fatal(err)
		}
	}
	buf := make([]byte, len(short))
	c.SetReadDeadline(time.Now().Add(5 * time.Second))
	n, _, err := c.Receive(buf)
	if err != nil || string(buf[:n]) != short {
		t.Fatalf("Receive = %q, %v; want the short datagram after skipping the long one", buf[:n], err)
	}
	if s := c.Stats(); s.Dropped[DropTruncated] != 1 {
		t.Fatalf("stats %+v, want one truncated drop", s)
	}
}

func TestCloseUnblocksReceive(t *testing.T) {
	c, err := Listen(loopbackConfig(fmt.Sprintf("239.255.77.3:%d", freePort(t))))
	if err != nil {
		t.Fatal(err)
	}
	errc := make(chan error, 1)
	go func() {
		_, _, err := c.Receive(make([]byte, 100))
		errc <- err
	}()
	time.Sleep(50 * time.Millisecond)
	c.Close()
	select {
	case err := <-errc:
		if !errors.Is(err, net.ErrClosed) {
			t.Fatalf("Receive after Close: %v, want net.ErrClosed", err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("Receive still blocked 10s after Close")
	}
}

func TestReceiveDeadline(t *testing.T) {
	c := mustListen(t, loopbackConfig(fmt.Sprintf("239.255.77.4:%d", freePort(t))))
	c.SetReadDeadline(time.Now().Add(20 * time.Millisecond))
	if _, _, err := c.Receive(make([]byte, 10)); !errors.Is(err, os.ErrDeadlineExceeded) {
		t.Fatalf("Receive: %v, want deadline exceeded", err)
	}
}

func TestSendRejectsOversizedDatagram(t *testing.T) {
	c := mustListen(t, loopbackConfig(fmt.Sprintf("239.255.77.5:%d", freePort(t))))
	if err := c.Send(make([]byte, MaxDatagram+1)); err == nil {
		t.Fatal("Send of 65508 bytes succeeded")
	}
}

func TestLoopbackOffStillListens(t *testing.T) {
	cfg := loopbackConfig(fmt.Sprintf("239.255.77.6:%d", freePort(t)))
	cfg.Loopback = false
	c := mustListen(t, cfg)
	if c.Group().Port() != cfg.groupPort(t) {
		t.Fatalf("Group() = %v", c.Group())
	}
}

func (c Config) groupPort(t *testing.T) uint16 {
	ap, err := netip.ParseAddrPort(c.Group)
	if err != nil {
		t.Fatal(err)
	}
	return ap.Port()
}

func loopbackName(t *testing.T) string {
	ifs, err := net.Interfaces()
	if err != nil {
		t.Fatal(err)
	}
	for _, ifi := range ifs {
		if ifi.Flags&net.FlagLoopback != 0 {
			return ifi.Name
		}
	}
	t.Fatal("no loopback interface")
	return ""
}

func TestUnicastToThePortIsDropped(t *testing.T) {
	port := freePort(t)
	c := mustListen(t, loopbackConfig(fmt.Sprintf("239.255.77.7:%d", port)))
	u, err := net.ListenUDP("udp4", &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1)})
	if err != nil {
		t.Fatal(err)
	}
	defer u.Close()
	prefix := token(t)
	if _, err := u.WriteToUDP([]byte(prefix+"unicast"), &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1), Port: int(port)}); err != nil {
		t.Fatal(err)
	}
	if err := c.Send([]byte(prefix + "group")); err != nil {
		t.Fatal(err)
	}
	got := collect(t, c, prefix, map[string]bool{prefix + "group": true, prefix + "unicast": true}, time.Now().Add(time.Second))
	if _, ok := got[prefix+"group"]; !ok {
		t.Fatalf("group datagram not received: %v", got)
	}
	if _, ok := got[prefix+"unicast"]; ok {
		t.Fatal("a unicast datagram to the port was handed over")
	}
	if s := c.Stats(); s.Dropped[DropNotGroup] != 1 {
		t.Fatalf("stats %+v, want one not-group drop", s)
	}
}

func TestBindAddresses(t *testing.T) {
	port := freePort(t)
	group := fmt.Sprintf("239.255.77.8:%d", port)
	for _, bind := range []string{"0.0.0.0", "239.255.77.8"} {
		cfg := loopbackConfig(group)
		cfg.Bind = bind
		c := mustListen(t, cfg)
		if !c.LocalAddr().Addr().IsUnspecified() || c.LocalAddr().Port() != port {
			t.Errorf("Bind %s: bound %v", bind, c.LocalAddr())
		}
	}
	cfg := loopbackConfig(group)
	cfg.Bind = "127.0.0.1"
	if _, err := Listen(cfg); err == nil || !strings.Contains(err.Error(), "Config.Bind") {
		t.Errorf("unicast Bind: %v, want a Config.Bind error", err)
	}
	bc := Config{Group: group, Interfaces: []string{"127.0.0.1"}, Broadcast: true, Bind: "127.255.255.255"}
	mustListen(t, bc)
	bc.Bind = "127.0.0.2"
	if _, err := Listen(bc); err == nil || !strings.Contains(err.Error(), "Config.Bind") {
		t.Errorf("unicast Bind in broadcast mode: %v, want a Config.Bind error", err)
	}
}
