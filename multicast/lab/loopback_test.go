package lab

import (
	"bytes"
	"fmt"
	"log/slog"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/meshd/meshd/mesh"
	"github.com/meshd/meshd/multicast"
)

// loopbackMember starts a member that discovers others only by heartbeats on
// the loopback interface with TTL 0: nothing leaves the host.
func loopbackMember(t *testing.T, name, cluster string, keys [][]byte, interval time.Duration) *mesh.Mesh {
	t.Helper()
	return loopbackMemberLogging(t, name, cluster, keys, interval, nil)
}

// loopbackMemberLogging is loopbackMember with its logs to log (nil: the default).
func loopbackMemberLogging(t *testing.T, name, cluster string, keys [][]byte, interval time.Duration, log *slog.Logger) *mesh.Mesh {
	t.Helper()
	cfg := mesh.DefaultLocalConfig()
	if log != nil {
		cfg.Logger = log
	}
	cfg.Name = name
	cfg.BindAddr = "127.0.0.1:0"
	cfg.Cluster = cluster
	cfg.Keys = keys
	cfg.Multicast = &mesh.MulticastConfig{
		Group:      multicast.DefaultGroup,
		Interfaces: []string{"127.0.0.1"},
		TTL:        0,
		Loopback:   true,
		Interval:   interval,
	}
	m, err := mesh.New(cfg)
	if err != nil {
		t.Fatalf("mesh.New(%s): %v", name, err)
	}
	return m
}

func closeAll(ms []*mesh.Mesh) {
	var wg sync.WaitGroup
	for _, m := range ms {
		wg.Add(1)
		go func() { defer wg.Done(); m.Close() }()
	}
	wg.Wait()
}

func TestTwentyMembersOnLoopbackFindEachOtherWithoutSeeds(t *testing.T) {
	const n = 20
	const interval = 500 * time.Millisecond
	cluster, keys := uniqueCluster(), [][]byte{newKey()}
	var ms []*mesh.Mesh
	t.Cleanup(func() { closeAll(ms) })
	for i := 0; i < n; i++ {
		ms = append(ms, loopbackMember(t, fmt.Sprintf("node-%02d", i), cluster, keys, interval))
	}
	lastStart := time.Now()

	allAlive := func(members []*mesh.Mesh, want int) func() bool {
		return func() bool {
			for _, m := range members {
				if len(states(m)[mesh.StateAlive]) != want {
					return false
				}
			}
			return true
		}
	}
	took, ok := waitFor(60*time.Second, allAlive(ms, n))
	if !ok {
		for _, m := range ms {
			t.Logf("%s sees %v; heartbeats %+v", m.Local().Name, states(m), m.Stats().Heartbeats)
		}
		t.Fatalf("after %v not every member sees %d alive", took, n)
	}
	t.Logf("FIGURE loopback: %d members converged %v after the last start = %.1f heartbeat intervals", n, time.Since(lastStart).Round(time.Millisecond), float64(time.Since(lastStart))/float64(interval))
	// A member that stops sending anything is found dead by SWIM, as a
	// member found by any other means would be.
	victim := ms[n-1]
	name := victim.Local().Name
	victim.Close()
	rest := ms[:n-1]
	took, ok = waitFor(90*time.Second, func() bool {
		for _, m := range rest {
			if !slices.Contains(states(m)[mesh.StateDead], name) {
				return false
			}
		}
		return true
	})
	if !ok {
		for _, m := range rest {
			t.Logf("%s sees %v", m.Local().Name, states(m))
		}
		t.Fatalf("after %v %s is not dead everywhere", took, name)
	}
	t.Logf("stopped member declared dead by all %d others after %v", n-1, took.Round(time.Millisecond))
	if _, ok := waitFor(10*time.Second, allAlive(rest, n-1)); !ok {
		t.Fatal("the remaining members do not all see each other alive")
	}
	// Seconds later every member has sent and heard heartbeats (right after
	// convergence the last one started may not have heard any yet: the
	// others joined it on its first heartbeat).
	for _, m := range rest {
		if s := m.Stats().Heartbeats; s.Sent == 0 || s.Received == 0 {
			t.Errorf("%s heartbeat stats %+v", m.Local().Name, s)
		}
	}
}

// Members with another key or another cluster name share the group and the
// port but never join: their heartbeats are dropped, counted, and (a wrong
// key, no key) logged as warnings naming the sender; another cluster on the
// group is allowed, so it is no warning.
func TestLoopbackKeysAndClustersKeepMembersApart(t *testing.T) {
	const interval = 300 * time.Millisecond
	cluster := uniqueCluster()
	key, otherKey := newKey(), newKey()
	var a1Log syncBuffer
	var ms []*mesh.Mesh
	t.Cleanup(func() { closeAll(ms) })
	ms = append(ms,
		loopbackMemberLogging(t, "a1", cluster, [][]byte{key}, interval,
			slog.New(slog.NewTextHandler(&a1Log, &slog.HandlerOptions{Level: slog.LevelWarn}))),
		loopbackMember(t, "a2", cluster, [][]byte{key}, interval),
		loopbackMember(t, "a3", cluster, [][]byte{key}, interval),
		loopbackMember(t, "wrong-key", cluster, [][]byte{otherKey}, interval),
		loopbackMember(t, "no-key", cluster, nil, interval),
		loopbackMember(t, "other-cluster", cluster+"-x", [][]byte{key}, interval),
	)
	group := ms[:3]
	if _, ok := waitFor(30*time.Second, func() bool {
		for _, m := range group {
			if len(states(m)[mesh.StateAlive]) != 3 {
				return false
			}
		}
		return true
	}); !ok {
		t.Fatalf("a1..a3 did not find each other: %v", states(ms[0]))
	}
	// Every outsider has sent several heartbeats by now; give them a few
	// more intervals, then check that nobody let them in.
	time.Sleep(5 * interval)
	for _, m := range ms {
		alive := states(m)[mesh.StateAlive]
		if m.Local().Name[0] == 'a' && len(alive) != 3 {
			t.Errorf("%s sees %v, want only a1..a3", m.Local().Name, alive)
		}
		if m.Local().Name[0] != 'a' && len(alive) != 1 {
			t.Errorf("%s sees %v, want only itself", m.Local().Name, alive)
		}
	}
	d := ms[0].Stats().Heartbeats.Dropped
	for _, reason := range []mesh.DropReason{mesh.DropBadKey, mesh.DropUnencrypted, mesh.DropForeignCluster, mesh.DropSelf} {
		if d[reason] == 0 {
			t.Errorf("a1 dropped %v: want %s drops", d, reason)
		}
	}
	log := a1Log.String()
	for _, want := range []string{
		`level=WARN msg="dropped a multicast heartbeat: sealed with a key that is not in this keyring"`,
		`level=WARN msg="dropped a multicast heartbeat: unencrypted, but this cluster requires a key"`,
	} {
		if !strings.Contains(log, want) {
			t.Errorf("a1's log lacks %s:\n%s", want, log)
		}
	}
	for _, never := range []string{"reason=foreign-cluster", "reason=self"} {
		if strings.Contains(log, never) {
			t.Errorf("a1 warned about %s:\n%s", never, log)
		}
	}
}

// syncBuffer is a bytes.Buffer safe for a logger and a test at once.
type syncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}
