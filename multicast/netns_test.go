//go:build linux

package multicast

import (
	"fmt"
	"testing"
	"time"

	"github.com/meshd/meshd/multicast/lab/netns"
)

// lab builds, inside namespaces only, hosts a and b on one bridge
// (10.78.0.0/24, fd78::/64) and hosts b and c on another (10.79.0.0/24), so
// b has two interfaces: eth0 towards a and eth1 towards c.
func lab(t *testing.T) *netns.Lab {
	t.Helper()
	if err := netns.Available(); err != nil {
		t.Skipf("skipping the namespace lab: %v", err)
	}
	if err := netns.RemoveStale(); err != nil {
		t.Logf("removing stale lab namespaces: %v", err)
	}
	l := netns.New()
	t.Cleanup(func() {
		if err := l.Close(); err != nil {
			t.Errorf("lab cleanup: %v", err)
		}
	})
	must := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	for _, ns := range []string{"sw", "a", "b", "c"} {
		must(l.Add(ns))
	}
	must(l.Bridge("sw", "br0"))
	must(l.Bridge("sw", "br1"))
	must(l.Wire("sw", "br0", "pa", "a", "eth0", "10.78.0.1/24", "fd78::1/64"))
	must(l.Wire("sw", "br0", "pb", "b", "eth0", "10.78.0.2/24", "fd78::2/64"))
	must(l.Wire("sw", "br1", "pb1", "b", "eth1", "10.79.0.2/24"))
	must(l.Wire("sw", "br1", "pc", "c", "eth0", "10.79.0.3/24"))
	return l
}

// listenIn opens a Conn inside namespace ns of l.
func listenIn(t *testing.T, l *netns.Lab, ns string, cfg Config) *Conn {
	t.Helper()
	var c *Conn
	err := l.Do(ns, func() (err error) {
		c, err = Listen(cfg)
		return err
	})
	if err != nil {
		t.Fatalf("Listen in %s: %v", ns, err)
	}
	t.Cleanup(func() { c.Close() })
	return c
}

func TestLabIPv6MulticastAcrossABridge(t *testing.T) {
	l := lab(t)
	cfg := Config{Group: DefaultGroup6, Interfaces: []string{"eth0"}, TTL: 1, Loopback: true}
	a := listenIn(t, l, "a", cfg)
	b := listenIn(t, l, "b", cfg)
	exchange(t, []*Conn{a, b})

	// Named by address works the same.
	cfg.Interfaces = []string{"fd78::1"}
	cfg.Group = "[ff12::230:1:1:252]:45892"
	a2 := listenIn(t, l, "a", cfg)
	cfg.Interfaces = []string{"fd78::2"}
	b2 := listenIn(t, l, "b", cfg)
	exchange(t, []*Conn{a2, b2})
}

func TestLabIPv4TTLZeroStaysOnTheHost(t *testing.T) {
	l := lab(t)
	cfg := Config{Group: DefaultGroup, Interfaces: []string{"eth0"}, TTL: 0, Loopback: true}
	a := listenIn(t, l, "a", cfg)
	b := listenIn(t, l, "b", cfg)
	prefix := token(t)
	msg := prefix + "ttl0"
	if err := a.Send([]byte(msg)); err != nil {
		t.Fatal(err)
	}
	if got := collect(t, a, prefix, map[string]bool{msg: true}, time.Now().Add(2*time.Second)); len(got) != 1 {
		t.Fatal("a did not hear its own TTL 0 datagram over loopback")
	}
	if got := collect(t, b, prefix, map[string]bool{msg: true}, time.Now().Add(500*time.Millisecond)); len(got) != 0 {
		t.Fatal("a TTL 0 datagram left the host")
	}
	// The same with TTL 1 crosses the bridge.
	cfg.TTL = 1
	exchange(t, []*Conn{listenIn(t, l, "a", cfg), listenIn(t, l, "b", cfg)})
}

func TestLabBroadcastMode(t *testing.T) {
	l := lab(t)
	cfg := Config{Group: "230.1.1.251:45893", Interfaces: []string{"eth0"}, Broadcast: true}
	exchange(t, []*Conn{listenIn(t, l, "a", cfg), listenIn(t, l, "b", cfg)})
}

// A socket never hands over a datagram that arrived on an interface it was
// not given, whether the kernel (multicast) or the Conn (broadcast, bound to
// the wildcard) filters it.
func TestLabOtherInterfacesAreNotHeard(t *testing.T) {
	for _, broadcast := range []bool{false, true} {
		t.Run(fmt.Sprintf("broadcast=%v", broadcast), func(t *testing.T) {
			l := lab(t)
			cfg := Config{Group: DefaultGroup, TTL: 1, Loopback: true, Broadcast: broadcast}
			cfg.Interfaces = []string{"eth0"}
			a := listenIn(t, l, "a", cfg)
			bEth0 := listenIn(t, l, "b", cfg)
			c := listenIn(t, l, "c", cfg)
			cfg.Interfaces = []string{"eth1"}
			bEth1 := listenIn(t, l, "b", cfg)

			prefix := token(t)
			fromA, fromC := prefix+"a", prefix+"c"
			both := map[string]bool{fromA: true, fromC: true}
			var heard0, heard1 map[string]bool = map[string]bool{}, map[string]bool{}
			for round := 0; round < 3 && (!heard0[fromA] || !heard1[fromC]); round++ {
				if err := c.Send([]byte(fromC)); err != nil {
					t.Fatal(err)
				}
				if err := a.Send([]byte(fromA)); err != nil {
					t.Fatal(err)
				}
				for k := range collect(t, bEth0, prefix, both, time.Now().Add(time.Second)) {
					heard0[k] = true
				}
				for k := range collect(t, bEth1, prefix, both, time.Now().Add(time.Second)) {
					heard1[k] = true
				}
			}
			if !heard0[fromA] || !heard1[fromC] {
				t.Fatalf("eth0 socket heard %v, eth1 socket heard %v: each must hear its own link", heard0, heard1)
			}
			if heard0[fromC] || heard1[fromA] {
				t.Fatalf("eth0 socket heard %v, eth1 socket heard %v: a datagram crossed to the other interface's socket", heard0, heard1)
			}
			if broadcast {
				// Bound to the wildcard, the socket sees the other link's
				// broadcasts and drops them itself.
				if s := bEth0.Stats(); s.Dropped[DropOtherInterface] == 0 {
					t.Fatalf("eth0 socket stats %+v: want other-interface drops", s)
				}
			}
		})
	}
}
