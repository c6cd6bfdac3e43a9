package mesh

import (
	"bytes"
	"log/slog"
	"net/netip"
	"strings"
	"testing"
	"time"

	"github.com/meshd/meshd/internal/core"
)

var t0 = time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)

func srcKey(i int, r core.DropReason) dropKey {
	return dropKey{addr: netip.AddrFrom4([4]byte{10, 0, byte(i >> 8), byte(i)}), reason: r}
}

func TestDropLimiterOneLinePerSourceAndReasonPerInterval(t *testing.T) {
	l := newDropLimiter(time.Minute, 8, 100)
	k := srcKey(1, core.DropBadKey)
	if ok, _, _ := l.allow(t0, k); !ok {
		t.Fatal("first drop of a source not logged")
	}
	for i := 1; i <= 5; i++ {
		if ok, _, _ := l.allow(t0.Add(time.Duration(i)*time.Second), k); ok {
			t.Fatalf("drop %d within the interval logged", i)
		}
	}
	// Another reason of the same source, and another source, are their own.
	if ok, _, _ := l.allow(t0.Add(time.Second), srcKey(1, core.DropForeignCluster)); !ok {
		t.Fatal("another reason of the same source not logged")
	}
	if ok, _, _ := l.allow(t0.Add(time.Second), srcKey(2, core.DropBadKey)); !ok {
		t.Fatal("another source not logged")
	}
	ok, same, _ := l.allow(t0.Add(time.Minute), k)
	if !ok || same != 5 {
		t.Fatalf("after the interval: logged %v with %d repeats, want true and 5", ok, same)
	}
}

func TestDropLimiterGlobalCapBoundsForgedSources(t *testing.T) {
	const lines = 10
	l := newDropLimiter(time.Minute, 16, lines)
	allowed := 0
	// A forger sends from 10,000 addresses within one interval.
	for i := 0; i < 10000; i++ {
		if ok, _, _ := l.allow(t0.Add(time.Duration(i)*time.Millisecond), srcKey(i, core.DropBadKey)); ok {
			allowed++
		}
	}
	if allowed != lines {
		t.Fatalf("%d lines in one interval, want the cap %d", allowed, lines)
	}
	if l.lru.Len() > 16 || len(l.entries) > 16 {
		t.Fatalf("limiter remembers %d/%d sources, want at most 16", l.lru.Len(), len(l.entries))
	}
	// The next interval logs again and says how many the cap kept out.
	ok, _, others := l.allow(t0.Add(2*time.Minute), srcKey(1, core.DropBadKey))
	if !ok || others != 10000-lines {
		t.Fatalf("next interval: logged %v, others %d, want true and %d", ok, others, 10000-lines)
	}
}

func TestDropLimiterForgetsLeastRecentlyLogged(t *testing.T) {
	l := newDropLimiter(time.Minute, 2, 100)
	a, b, c := srcKey(1, core.DropBadKey), srcKey(2, core.DropBadKey), srcKey(3, core.DropBadKey)
	l.allow(t0, a)
	l.allow(t0, b)
	l.allow(t0, c) // a is forgotten
	if _, ok := l.entries[a]; ok {
		t.Fatal("least recently logged source kept beyond the bound")
	}
	if ok, _, _ := l.allow(t0.Add(time.Second), a); !ok {
		t.Fatal("a forgotten source is not logged again")
	}
	if ok, _, _ := l.allow(t0.Add(time.Second), c); ok {
		t.Fatal("a remembered source logged twice within the interval")
	}
}

func TestDropLimiterClockGoingBackwards(t *testing.T) {
	l := newDropLimiter(time.Minute, 8, 1)
	k := srcKey(1, core.DropBadKey)
	l.allow(t0, k)
	// The wall clock was set back an hour: the limiter starts afresh rather
	// than staying silent for an hour.
	if ok, _, _ := l.allow(t0.Add(-time.Hour), k); !ok {
		t.Fatal("no line after the clock went back")
	}
}

func TestDropLogLevelsAndWords(t *testing.T) {
	var buf bytes.Buffer
	m := &Mesh{log: slog.New(slog.NewTextHandler(&buf, &slog.HandlerOptions{Level: slog.LevelWarn})),
		dropWarnLim: newDropLimiter(time.Minute, 8, 100), dropDebugLim: newDropLimiter(time.Minute, 8, 100)}
	from := netip.MustParseAddrPort("192.0.2.7:7946")
	m.logDrops(t0, []core.Drop{
		{Addr: from, Reason: core.DropForeignCluster, Detail: "name tag 0x1a2b3c4d; this cluster's is 0x5e6f7a8b"},
		{Addr: from, Reason: core.DropBadKey},
		{Addr: from, Reason: core.DropBadKey},                          // same source and reason: limited
		{Addr: from, Reason: core.DropWrongTarget},                     // debug
		{Addr: from, Reason: core.DropForeignCluster, Heartbeat: true}, // another cluster on the group: debug
		{Addr: from, Reason: core.DropSelf, Heartbeat: true},           // never
	})
	out := buf.String()
	for _, want := range []string{
		`level=WARN msg="dropped a gossip packet: from another cluster (name tag 0x1a2b3c4d; this cluster's is 0x5e6f7a8b)" from=192.0.2.7:7946 reason=foreign-cluster`,
		`level=WARN msg="dropped a gossip packet: sealed with a key that is not in this keyring" from=192.0.2.7:7946 reason=bad-key`,
	} {
		if !strings.Contains(out, want) {
			t.Errorf("log lacks\n\t%s\ngot\n%s", want, out)
		}
	}
	if n := strings.Count(out, "\n"); n != 2 {
		t.Errorf("%d lines, want 2:\n%s", n, out)
	}
}

// With debug on, a flood of normal drops (here rate-limited heartbeats from
// many senders) fills the debug lines' cap, not the warnings'.
func TestDebugDropsDoNotCrowdOutWarnings(t *testing.T) {
	var buf bytes.Buffer
	m := &Mesh{log: slog.New(slog.NewTextHandler(&buf, &slog.HandlerOptions{Level: slog.LevelDebug})),
		dropWarnLim: newDropLimiter(time.Minute, 8, 2), dropDebugLim: newDropLimiter(time.Minute, 8, 2)}
	var flood []core.Drop
	for i := 0; i < 50; i++ {
		flood = append(flood, core.Drop{Addr: netip.AddrPortFrom(netip.AddrFrom4([4]byte{10, 0, 0, byte(i)}), 45892),
			Reason: core.DropRateLimited, Heartbeat: true})
	}
	m.logDrops(t0, flood)
	m.logDrops(t0.Add(time.Second), []core.Drop{{Addr: netip.MustParseAddrPort("192.0.2.7:7946"), Reason: core.DropBadKey}})
	out := buf.String()
	if !strings.Contains(out, "level=WARN") || !strings.Contains(out, "reason=bad-key") {
		t.Fatalf("the warning was crowded out by debug lines:\n%s", out)
	}
	if n := strings.Count(out, "reason=rate-limited"); n != 2 {
		t.Fatalf("%d debug lines, want the cap of 2:\n%s", n, out)
	}
}
