package strategy_test

import (
	"log/slog"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/meshd/meshd/mesh"
	"github.com/meshd/meshd/mesh/strategy/hostsfile"
	"github.com/meshd/meshd/mesh/strategy/static"
)

func startNode(t *testing.T, name string, strategies ...mesh.Strategy) *mesh.Mesh {
	t.Helper()
	cfg := mesh.DefaultLocalConfig()
	cfg.Name, cfg.BindAddr, cfg.Cluster = name, "127.0.0.1:0", "several"
	cfg.Logger = slog.New(slog.DiscardHandler)
	cfg.Strategies = strategies
	m, err := mesh.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { m.Close() })
	return m
}

func waitAlive(t *testing.T, n int, nodes ...*mesh.Mesh) {
	t.Helper()
	deadline := time.Now().Add(60 * time.Second)
	for {
		ok := true
		for _, m := range nodes {
			alive := 0
			for _, mem := range m.Members() {
				if mem.State == mesh.StateAlive {
					alive++
				}
			}
			if alive != n {
				ok = false
			}
		}
		if ok {
			return
		}
		if time.Now().After(deadline) {
			for _, m := range nodes {
				t.Logf("%s sees %v", m.Local().Name, m.Members())
			}
			t.Fatalf("not every node sees %d alive members within 60s", n)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// Several strategies at once: two nodes that know nothing of each other
// are each the only seed of one strategy of a third node, which joins both
// and so merges them into one cluster.
func TestSeveralStrategiesAtOnce(t *testing.T) {
	quiet := slog.New(slog.DiscardHandler)
	a := startNode(t, "a")
	b := startNode(t, "b")
	path := filepath.Join(t.TempDir(), "hosts")
	if err := os.WriteFile(path, []byte(b.Addr().String()+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	st, err := static.New(static.Config{Hosts: []string{a.Addr().String()}, Interval: 200 * time.Millisecond, Logger: quiet})
	if err != nil {
		t.Fatal(err)
	}
	hf, err := hostsfile.New(hostsfile.Config{Path: path, Interval: 200 * time.Millisecond, Logger: quiet})
	if err != nil {
		t.Fatal(err)
	}
	c := startNode(t, "c", st, hf)
	waitAlive(t, 3, a, b, c)
	stats := c.Stats().Strategies
	for _, kind := range []string{"static", "hostsfile"} {
		if s, ok := stats[kind]; !ok || s.Polls == 0 || s.Seeds != 1 {
			t.Errorf("engine stats of %s: %+v (all: %+v)", kind, s, stats)
		}
	}
}

// Two strategies of the same kind: both lists are joined. Each hands its
// list over once (a long interval), so the engine must keep both lists,
// not the latest per strategy name: with mesh/strategies.go keying lists by
// Name() this fails whenever the second list arrives before the first was
// joined (seen in about 1 run of 20).
func TestTwoStrategiesOfOneKind(t *testing.T) {
	quiet := slog.New(slog.DiscardHandler)
	a := startNode(t, "a")
	b := startNode(t, "b")
	var list []mesh.Strategy
	for _, m := range []*mesh.Mesh{a, b} {
		// A long interval: each list is handed over once, so the engine must
		// keep both, not the latest per name.
		s, err := static.New(static.Config{Hosts: []string{m.Addr().String()}, Interval: time.Hour, Logger: quiet})
		if err != nil {
			t.Fatal(err)
		}
		list = append(list, s)
	}
	c := startNode(t, "c", list...)
	waitAlive(t, 3, a, b, c)
}
