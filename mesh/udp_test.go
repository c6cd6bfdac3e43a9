package mesh_test

import (
	"context"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/meshd/meshd/mesh"
)

func localConfig(name string) mesh.Config {
	cfg := mesh.DefaultLocalConfig()
	cfg.Name = name
	cfg.BindAddr = "127.0.0.1:0"
	cfg.Cluster = "test"
	return cfg
}

func startN(t *testing.T, n int, mod func(*mesh.Config)) []*mesh.Mesh {
	t.Helper()
	var ms []*mesh.Mesh
	for i := 0; i < n; i++ {
		cfg := localConfig(fmt.Sprintf("node-%02d", i))
		if mod != nil {
			mod(&cfg)
		}
		m, err := mesh.New(cfg)
		if err != nil {
			t.Fatal(err)
		}
		ms = append(ms, m)
		t.Cleanup(func() { m.Close() })
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	for _, m := range ms[1:] {
		if _, err := m.Join(ctx, ms[0].Addr().String()); err != nil {
			t.Fatalf("%s join: %v", m.Local().Name, err)
		}
	}
	return ms
}

func aliveCount(m *mesh.Mesh) int {
	c := 0
	for _, mem := range m.Members() {
		if mem.State == mesh.StateAlive {
			c++
		}
	}
	return c
}

// waitFor waits until cond holds, checking it at once and again after every
// membership event of any of ms, the meshes whose changes can make it true;
// it fails the test after d.
func waitFor(t *testing.T, d time.Duration, what string, cond func() bool, ms ...*mesh.Mesh) {
	t.Helper()
	if len(ms) == 0 {
		t.Fatalf("waitFor %s: no mesh to wait on", what)
	}
	wake := make(chan struct{}, 1)
	var wg sync.WaitGroup
	var cancels []func()
	defer func() {
		for _, cancel := range cancels {
			cancel() // closes the channel, which ends its forwarder
		}
		wg.Wait()
	}()
	for _, m := range ms {
		ch, cancel := m.Subscribe()
		cancels = append(cancels, cancel)
		wg.Add(1)
		go func() {
			defer wg.Done()
			for range ch {
				notify(wake)
			}
		}()
	}
	waitWoken(t, d, what, cond, wake)
}

// notify wakes a waitWoken without blocking (one pending wake-up is enough).
func notify(wake chan<- struct{}) {
	select {
	case wake <- struct{}{}:
	default:
	}
}

// waitWoken waits until cond holds, checking it at once and again every time
// wake fires; it fails the test after d.
func waitWoken(t *testing.T, d time.Duration, what string, cond func() bool, wake <-chan struct{}) {
	t.Helper()
	deadline := time.NewTimer(d)
	defer deadline.Stop()
	for !cond() {
		select {
		case <-wake:
		case <-deadline.C:
			t.Fatalf("timed out after %v waiting for %s", d, what)
		}
	}
}

func TestSmoke(t *testing.T) {
	ms := startN(t, 3, nil)
	waitFor(t, 20*time.Second, "3 alive everywhere", allSee(ms, 3), ms...)
	for _, m := range ms {
		m.Close()
	}
}

func TestIPv6Loopback(t *testing.T) {
	var ms []*mesh.Mesh
	for i := 0; i < 3; i++ {
		cfg := localConfig(fmt.Sprintf("v6-%d", i))
		cfg.BindAddr = "[::1]:0"
		m, err := mesh.New(cfg)
		if err != nil {
			t.Skipf("no IPv6 loopback here: %v", err)
		}
		defer m.Close()
		ms = append(ms, m)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	for _, m := range ms[1:] {
		if _, err := m.Join(ctx, ms[0].Addr().String()); err != nil {
			t.Fatal(err)
		}
	}
	if !ms[0].Addr().Addr().Is6() {
		t.Fatalf("bound %v for [::1]:0", ms[0].Addr())
	}
	waitFor(t, 20*time.Second, "3 alive over IPv6", allSee(ms, 3), ms...)
}
