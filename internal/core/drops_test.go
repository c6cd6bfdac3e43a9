package core_test

import (
	"bytes"
	"math/rand"
	randv2 "math/rand/v2"
	"net/netip"
	"os"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/meshd/meshd/heartbeat"
	"github.com/meshd/meshd/internal/core"
	"github.com/meshd/meshd/internal/coretest"
	"github.com/meshd/meshd/internal/wire"
)

// Every reason has a distinct, stable-looking name, words for the log, a
// scope, and a row in docs/meshd.md's troubleshooting section; the section
// names no reason that does not exist.
func TestDropReasonsHaveDistinctDocumentedNames(t *testing.T) {
	doc, err := os.ReadFile("../../docs/meshd.md")
	if err != nil {
		t.Fatal(err)
	}
	_, section, ok := strings.Cut(string(doc), "\n## Troubleshooting")
	if !ok {
		t.Fatal("docs/meshd.md has no Troubleshooting section")
	}
	if end := strings.Index(section, "\n## "); end >= 0 {
		section = section[:end]
	}
	documented := map[string]bool{}
	for _, m := range regexp.MustCompile("(?m)^\\| `([a-z-]+)` \\|").FindAllStringSubmatch(section, -1) {
		documented[m[1]] = true
	}

	kebab := regexp.MustCompile(`^[a-z]+(-[a-z]+)*$`)
	names := map[string]core.DropReason{}
	words := map[string]core.DropReason{}
	for _, r := range core.DropReasons() {
		name := r.String()
		if !kebab.MatchString(name) {
			t.Errorf("reason %d: name %q is not kebab-case", r, name)
		}
		if other, dup := names[name]; dup {
			t.Errorf("reasons %d and %d share the name %q", other, r, name)
		}
		names[name] = r
		if w := r.Describe(); w == "" || w == name {
			t.Errorf("%s: no words for the log (%q)", name, w)
		} else if other, dup := words[w]; dup {
			t.Errorf("%s and %s share the words %q", other, name, w)
		} else {
			words[w] = r
		}
		if r.Scope() == 0 {
			t.Errorf("%s: no scope", name)
		}
		if !documented[name] {
			t.Errorf("%s: no row in docs/meshd.md's troubleshooting table", name)
		}
	}
	for name := range documented {
		if _, ok := names[name]; !ok {
			t.Errorf("docs/meshd.md documents %q, which is no drop reason", name)
		}
	}
	for _, r := range []core.DropReason{0, core.DropReason(len(core.DropReasons()) + 1)} {
		if _, clash := names[r.String()]; clash {
			t.Errorf("invalid reason %d prints as a valid name %q", r, r.String())
		}
	}
}

const dropCluster = "f"

// dropNode is node "a" of cluster "f" at 10.0.0.1, with keys (none if nil)
// and multicast heartbeats on.
func dropNode(t *testing.T, keys [][]byte) *core.Node {
	t.Helper()
	p := coretest.LANParams()
	p.HeartbeatInterval = time.Second
	n, err := core.New(core.Config{Name: "a", Addr: netip.MustParseAddrPort("10.0.0.1:7946"), Cluster: dropCluster,
		Keys: keys, Params: p, Rand: rand.New(rand.NewSource(1))}, coretest.Epoch)
	if err != nil {
		t.Fatal(err)
	}
	return n
}

func frame(t *testing.T, cluster string, keys [][]byte, at time.Time, msgs ...wire.Msg) []byte {
	t.Helper()
	c, err := wire.NewCodec(cluster, keys, nil)
	if err != nil {
		t.Fatal(err)
	}
	enc := wire.NewEncoder()
	var payload []byte
	for _, m := range msgs {
		payload = enc.Append(payload, m)
	}
	pkt, err := c.Frame(nil, payload, at)
	if err != nil {
		t.Fatal(err)
	}
	return pkt
}

func dropKey(b byte) []byte { return bytes.Repeat([]byte{b}, 32) }

// Each misconfiguration of a peer is dropped under its own reason and
// reported in Ready with the source and the specifics.
func TestStepReportsDropsWithSourceAndDetail(t *testing.T) {
	now := coretest.Epoch
	ping := wire.Ping{Seq: 1, Target: "a"}
	mine := [][]byte{dropKey(1)}
	good := frame(t, dropCluster, mine, now, ping)
	cases := []struct {
		name   string
		pkt    []byte
		reason core.DropReason
		detail string // a part of the detail
	}{
		{"another cluster", frame(t, "other", mine, now, ping), core.DropForeignCluster,
			"name tag 0x" + hex8(wire.ClusterTag("other")) + "; this cluster's is 0x" + hex8(wire.ClusterTag(dropCluster))},
		{"another key", frame(t, dropCluster, [][]byte{dropKey(2)}, now, ping), core.DropBadKey, ""},
		{"no key", frame(t, dropCluster, nil, now, ping), core.DropUnencrypted, ""},
		{"oversized", make([]byte, 1500), core.DropOversized, "more than 1400 bytes"},
		{"not meshd", []byte("GET / HTTP/1.1\r\n"), core.DropBadMagic, "first byte 0x47"},
		{"newer version", append([]byte{wire.Magic, wire.Version + 1}, good[2:]...), core.DropUnsupportedVersion,
			"version 2; this node speaks 1"},
		{"truncated", good[:3], core.DropTruncated, "3 bytes"},
		{"clock ten minutes behind", frame(t, dropCluster, mine, now.Add(-10*time.Minute), ping), core.DropStale, ""},
		{"a probe for another name", frame(t, dropCluster, mine, now, wire.Ping{Seq: 2, Target: "b"}), core.DropWrongTarget,
			`for "b"; this member is "a"`},
	}
	n := dropNode(t, mine)
	n.Ready()
	for i, c := range cases {
		from := netip.AddrPortFrom(netip.AddrFrom4([4]byte{192, 0, 2, byte(i + 1)}), 7946)
		n.Step(now, from, c.pkt)
		drops := n.Ready().Drops
		if len(drops) != 1 {
			t.Errorf("%s: %d drops reported, want 1: %+v", c.name, len(drops), drops)
			continue
		}
		d := drops[0]
		if d.Addr != from || d.Reason != c.reason || d.Heartbeat || !strings.Contains(d.Detail, c.detail) {
			t.Errorf("%s: reported %+v, want from %v, reason %s, detail with %q", c.name, d, from, c.reason, c.detail)
		}
		if got := n.Stats().Dropped[c.reason]; got == 0 {
			t.Errorf("%s: Stats().Dropped[%s] = 0", c.name, c.reason)
		}
	}
	// The same packet again is a replay.
	n.Step(now, netip.MustParseAddrPort("192.0.2.99:7946"), good)
	n.Step(now, netip.MustParseAddrPort("192.0.2.99:7946"), good)
	if drops := n.Ready().Drops; len(drops) != 1 || drops[0].Reason != core.DropReplay {
		t.Errorf("replay: reported %+v", drops)
	}
	// An encrypted packet to a node without keys.
	plain := dropNode(t, nil)
	plain.Step(now, netip.MustParseAddrPort("192.0.2.100:7946"), good)
	if drops := plain.Ready().Drops; len(drops) != 1 || drops[0].Reason != core.DropEncryptedWithoutKey {
		t.Errorf("encrypted to a node without keys: reported %+v", drops)
	}
}

func hex8(v uint32) string {
	const digits = "0123456789abcdef"
	b := make([]byte, 8)
	for i := 7; i >= 0; i-- {
		b[i] = digits[v&0xf]
		v >>= 4
	}
	return string(b)
}

// A flood reports at most MaxReadyDrops per Ready, whatever its size; the
// counters have every drop.
func TestReadyDropsAreBoundedUnderAFlood(t *testing.T) {
	n := dropNode(t, nil)
	n.Ready()
	pkt := frame(t, "other", nil, coretest.Epoch, wire.Ping{Seq: 1, Target: "a"})
	const flood = 10000
	for i := 0; i < flood; i++ {
		n.Step(coretest.Epoch, netip.AddrPortFrom(netip.AddrFrom4([4]byte{10, 9, byte(i >> 8), byte(i)}), 7946), pkt)
	}
	if got := len(n.Ready().Drops); got != core.MaxReadyDrops {
		t.Fatalf("%d drops reported for a flood of %d, want %d", got, flood, core.MaxReadyDrops)
	}
	if got := n.Stats().Dropped[core.DropForeignCluster]; got != flood {
		t.Fatalf("counted %d foreign-cluster drops, want %d", got, flood)
	}
	if got := len(n.Ready().Drops); got != 0 {
		t.Fatalf("%d drops reported again by the next Ready", got)
	}
}

// Heartbeat drops are counted apart from gossip drops, under the same
// reasons, and reported with Heartbeat set and the specifics.
func TestHeartbeatDropsAreReported(t *testing.T) {
	now := coretest.Epoch
	n := dropNode(t, [][]byte{dropKey(1)})
	n.Ready()
	beat := func(cluster string, key []byte) []byte {
		p, err := heartbeat.New(heartbeat.Config{Cluster: cluster, Name: "b", Keys: [][]byte{key}, Interval: time.Second},
			randv2.New(randv2.NewPCG(1, 2)), nil)
		if err != nil {
			t.Fatal(err)
		}
		return p.Tick(now, heartbeat.Announce{Cluster: cluster, Name: "b", Addr: netip.MustParseAddrPort("10.0.0.2:7946")})
	}
	from := netip.MustParseAddrPort("192.0.2.5:45892")
	cases := []struct {
		name   string
		pkt    []byte
		reason core.DropReason
		detail string
	}{
		{"not a heartbeat", []byte("not a heartbeat"), core.DropMalformed, ""},
		{"another key", beat(dropCluster, dropKey(2)), core.DropBadKey, ""},
		{"another cluster", beat("other", dropKey(1)), core.DropForeignCluster, "; this cluster's is 0x" + hex8(heartbeatTag(dropCluster))},
	}
	for _, c := range cases {
		n.StepHeartbeat(now, from, c.pkt)
		drops := n.Ready().Drops
		if len(drops) != 1 || drops[0].Reason != c.reason || !drops[0].Heartbeat || drops[0].Addr != from ||
			!strings.Contains(drops[0].Detail, c.detail) {
			t.Errorf("%s: reported %+v, want one %s heartbeat from %v with %q", c.name, drops, c.reason, from, c.detail)
		}
	}
	st := n.Stats()
	for _, c := range cases {
		if st.HeartbeatDropped[c.reason] != 1 || st.Dropped[c.reason] != 0 {
			t.Errorf("%s: heartbeat drops %v, gossip drops %v: want it counted once, with heartbeats", c.name,
				st.HeartbeatDropped, st.Dropped)
		}
	}
}

// heartbeatTag is the heartbeat header's cluster tag, FNV-1a of the name as
// for gossip packets.
func heartbeatTag(cluster string) uint32 { return wire.ClusterTag(cluster) }
