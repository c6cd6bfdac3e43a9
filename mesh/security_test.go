package mesh_test

import (
	"bytes"
	"context"
	"net"
	"strings"
	"testing"
	"time"

	"github.com/meshd/meshd/internal/wire"
	"github.com/meshd/meshd/mesh"
)

func key(b byte) []byte { return bytes.Repeat([]byte{b}, 32) }

func newNode(t *testing.T, name string, mod func(*mesh.Config)) *mesh.Mesh {
	t.Helper()
	cfg := localConfig(name)
	if mod != nil {
		mod(&cfg)
	}
	m, err := mesh.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { m.Close() })
	return m
}

func tryJoin(a, b *mesh.Mesh) error {
	ctx, cancel := context.WithTimeout(context.Background(), time.Second)
	defer cancel()
	_, err := a.Join(ctx, b.Addr().String())
	return err
}

// roundTrip sends m a probe sealed with key (none if nil) from a socket of
// its own and waits for m's answer.
func roundTrip(t *testing.T, m *mesh.Mesh, key []byte) {
	t.Helper()
	conn, err := net.Dial("udp", m.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	var keys [][]byte
	if key != nil {
		keys = [][]byte{key}
	}
	codec, err := wire.NewCodec("test", keys, nil)
	if err != nil {
		t.Fatal(err)
	}
	probe, err := codec.Frame(nil, wire.NewEncoder().Encode(wire.Ping{Seq: 1, Target: m.Local().Name}), time.Now())
	if err != nil {
		t.Fatal(err)
	}
	if _, err := conn.Write(probe); err != nil {
		t.Fatal(err)
	}
	awaitReply(t, conn)
}

// awaitReply reads one datagram from conn, failing the test after 10s.
func awaitReply(t *testing.T, conn net.Conn) {
	t.Helper()
	conn.SetReadDeadline(time.Now().Add(10 * time.Second))
	if _, err := conn.Read(make([]byte, 2048)); err != nil {
		t.Fatalf("no answer to a probe: %v", err)
	}
}

func TestForeignKeyAndClusterNeverJoin(t *testing.T) {
	a := newNode(t, "a", func(c *mesh.Config) { c.Keys = [][]byte{key(1)} })
	b := newNode(t, "b", func(c *mesh.Config) { c.Keys = [][]byte{key(2)} })
	c := newNode(t, "c", func(c *mesh.Config) { c.Cluster = "other"; c.Keys = [][]byte{key(1)} })
	d := newNode(t, "d", nil) // no key at all
	for _, x := range []*mesh.Mesh{b, c, d} {
		if err := tryJoin(x, a); err == nil {
			t.Fatalf("%s joined a with the wrong key or cluster", x.Local().Name)
		}
	}
	// Once the refused ones are closed, everything they sent waits in a's
	// socket ahead of a probe of our own: when a answers it, a has handled
	// all of it.
	for _, x := range []*mesh.Mesh{b, c, d} {
		x.Close()
	}
	roundTrip(t, a, key(1))
	if n := len(a.Members()); n != 1 {
		t.Fatalf("a knows %d members, want only itself", n)
	}
	dropped := a.Stats().Dropped
	for _, reason := range []mesh.DropReason{mesh.DropBadKey, mesh.DropForeignCluster, mesh.DropUnencrypted} {
		if dropped[reason] == 0 {
			t.Errorf("no packet counted as dropped for %q: %v", reason, dropped)
		}
	}
}

// Rotation: the new key is installed everywhere as secondary, made primary
// one node at a time, then the old one is removed; the cluster never splits.
func TestKeyRotation(t *testing.T) {
	old, next := key(1), key(2)
	ms := startN(t, 3, func(c *mesh.Config) { c.Keys = [][]byte{old} })
	waitFor(t, 20*time.Second, "3 alive", allSee(ms, 3), ms...)
	steps := [][][]byte{{old, next}, {next, old}, {next}}
	for _, ring := range steps {
		for _, m := range ms {
			if err := m.SetKeys(ring); err != nil {
				t.Fatal(err)
			}
			// Mixed rings work both ways: every member reaches m and m
			// reaches every member (a join is a request and its answer).
			for _, o := range ms {
				if o == m {
					continue
				}
				if err := tryJoin(o, m); err != nil {
					t.Fatalf("%s cannot reach %s with rings of %d keys: %v", o.Local().Name, m.Local().Name, len(ring), err)
				}
				if err := tryJoin(m, o); err != nil {
					t.Fatalf("%s cannot reach %s with rings of %d keys: %v", m.Local().Name, o.Local().Name, len(ring), err)
				}
			}
			for _, o := range ms {
				if aliveCount(o) != 3 {
					t.Fatalf("cluster split during rotation at ring of %d keys", len(ring))
				}
			}
		}
	}
	for _, m := range ms {
		if s := m.Stats().Dropped; s[mesh.DropBadKey] != 0 {
			t.Fatalf("packets were refused during rotation: %v", s)
		}
	}
	if err := ms[0].SetKeys([][]byte{make([]byte, 16)}); err == nil {
		t.Fatal("SetKeys accepted a 16-byte key")
	}
}

func TestBadPacketsAreDroppedAndCounted(t *testing.T) {
	k := key(7)
	a := newNode(t, "a", func(c *mesh.Config) { c.Keys = [][]byte{k} })
	conn, err := net.Dial("udp", a.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	codec, _ := wire.NewCodec("test", [][]byte{k}, nil)
	enc := wire.NewEncoder()
	sealed, _ := codec.Frame(nil, enc.Encode(wire.Ping{Seq: 1, Target: "a"}), time.Now())
	stale, _ := codec.Frame(nil, enc.Encode(wire.Ping{Seq: 2, Target: "a"}), time.Now().Add(-10*time.Minute))
	send := [][]byte{
		[]byte("garbage that is not a packet"),
		{},
		sealed[:len(sealed)-5], // truncated
		make([]byte, 3000),     // oversized
		sealed, sealed,         // replayed
		stale,                            // too old
		append([]byte("heartbeat::"), 1), // libcluster
	}
	for _, p := range send {
		conn.Write(p)
	}
	// a handles datagrams in the order they arrive: once it answers a good
	// probe sent after them, it has counted them all.
	probe, _ := codec.Frame(nil, enc.Encode(wire.Ping{Seq: 3, Target: "a"}), time.Now())
	conn.Write(probe)
	awaitReply(t, conn)
	want := map[mesh.DropReason]uint64{mesh.DropBadMagic: 2, mesh.DropReplay: 1, mesh.DropStale: 1, mesh.DropBadKey: 1, mesh.DropOversized: 1}
	d := a.Stats().Dropped
	for r, n := range want {
		if d[r] < n {
			t.Errorf("%d packets dropped as %q, want %d: %v", d[r], r, n, d)
		}
	}
	if st := a.Stats(); st.PacketsIn < uint64(len(send)-1) {
		t.Fatalf("only %d packets seen", st.PacketsIn)
	}
}

func TestConfigErrorsNameTheField(t *testing.T) {
	cases := map[string]func(*mesh.Config){
		"BindAddr":      func(c *mesh.Config) { c.BindAddr = "nowhere" },
		"Keys[0]":       func(c *mesh.Config) { c.Keys = [][]byte{{1, 2, 3}} },
		"ProbeTimeout":  func(c *mesh.Config) { c.ProbeTimeout = 2 * c.ProbeInterval },
		"GossipNodes":   func(c *mesh.Config) { c.GossipNodes = 0 },
		"Cluster":       func(c *mesh.Config) { c.Cluster = strings.Repeat("c", 129) },
		"MaxPacketSize": func(c *mesh.Config) { c.MaxPacketSize = 100 },
		"AdvertiseAddr": func(c *mesh.Config) { c.AdvertiseAddr = "0.0.0.0:7946" },
		"Multicast.Interfaces": func(c *mesh.Config) {
			c.Multicast = &mesh.MulticastConfig{}
		},
	}
	for field, mod := range cases {
		cfg := localConfig("x")
		mod(&cfg)
		m, err := mesh.New(cfg)
		if err == nil {
			m.Close()
			t.Fatalf("%s: accepted", field)
		}
		fe, ok := err.(*mesh.FieldError)
		if !ok || fe.Field != field {
			t.Fatalf("%s: got %v", field, err)
		}
	}
	// A port in use is an error naming BindAddr.
	a := newNode(t, "a", nil)
	cfg := localConfig("b")
	cfg.BindAddr = a.Addr().String()
	if m, err := mesh.New(cfg); err == nil {
		m.Close()
		t.Fatal("bound a port in use")
	}
}

// A subscriber that never reads does not block the mesh, and one that reads
// late still gets the final state of every member.
func TestSlowSubscriber(t *testing.T) {
	var ms []*mesh.Mesh
	for _, name := range []string{"node-00", "node-01", "node-02", "node-03"} {
		ms = append(ms, newNode(t, name, func(c *mesh.Config) { c.EventBuffer = 1 }))
	}
	ch, cancel := ms[0].Subscribe()
	defer cancel()
	_, cancel2 := ms[0].Subscribe() // never read
	defer cancel2()
	for _, m := range ms[1:] {
		if err := tryJoin(m, ms[0]); err != nil {
			t.Fatal(err)
		}
	}
	waitFor(t, 20*time.Second, "4 alive", allSee(ms, 4), ms...)
	ms[3].Close()
	waitFor(t, 30*time.Second, "fail of node-03 seen", func() bool {
		for _, m := range ms[0].Members() {
			if m.Name == "node-03" && m.State == mesh.StateDead {
				return true
			}
		}
		return false
	}, ms[0])
	want := map[string]mesh.State{"node-01": mesh.StateAlive, "node-02": mesh.StateAlive, "node-03": mesh.StateDead}
	last := map[string]mesh.State{}
	timeout := time.After(5 * time.Second)
	for !sameEvents(last, want) {
		select {
		case ev := <-ch:
			last[ev.Member.Name] = ev.Member.State
		case <-timeout:
			t.Fatalf("final states not delivered: got %v, want %v", last, want)
		}
	}
}

func sameEvents(a, b map[string]mesh.State) bool {
	if len(a) != len(b) {
		return false
	}
	for k, v := range a {
		if b[k] != v {
			return false
		}
	}
	return true
}
