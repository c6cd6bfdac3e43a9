package mesh_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/meshd/meshd/mesh"
)

// Two members started under one name on loopback: one of them stops by
// itself and says which address keeps the name; the other keeps running,
// counts the conflict, and a third member ends up with the name at the
// survivor's address.
func TestNameConflictStopsOneMember(t *testing.T) {
	witness, err := mesh.New(localConfig("witness"))
	if err != nil {
		t.Fatal(err)
	}
	defer witness.Close()
	var xs [2]*mesh.Mesh
	for i := range xs {
		if xs[i], err = mesh.New(localConfig("x")); err != nil {
			t.Fatal(err)
		}
		defer xs[i].Close()
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		_, err := xs[i].Join(ctx, witness.Addr().String())
		cancel()
		if err != nil && !errors.Is(err, mesh.ErrClosed) {
			t.Fatalf("join x #%d: %v", i, err)
		}
	}
	var stopped, kept *mesh.Mesh
	select {
	case <-xs[0].Done():
		stopped, kept = xs[0], xs[1]
	case <-xs[1].Done():
		stopped, kept = xs[1], xs[0]
	case <-time.After(15 * time.Second):
		t.Fatal("neither member under the name x stopped within 15 s")
	}
	var nc *mesh.NameConflictError
	if !errors.As(stopped.Err(), &nc) || nc.Other != kept.Addr() || nc.Name != "x" {
		t.Fatalf("Err() = %v, want a NameConflictError naming %v", stopped.Err(), kept.Addr())
	}
	t.Logf("%v", nc)
	if kept.Err() != nil {
		t.Fatalf("the member that keeps the name: Err() = %v", kept.Err())
	}
	if _, err := stopped.Join(context.Background(), witness.Addr().String()); !errors.Is(err, mesh.ErrClosed) {
		t.Errorf("Join after the stop: %v, want ErrClosed", err)
	}
	poll(t, 10*time.Second, "the conflict counted by the member that keeps the name", func() bool {
		return kept.Stats().NameConflicts == 1
	})
	poll(t, 10*time.Second, "the witness to hold x at the survivor's address", func() bool {
		for _, m := range witness.Members() {
			if m.Name == "x" {
				return m.Addr == kept.Addr() && m.State == mesh.StateAlive
			}
		}
		return false
	})
	if err := kept.Close(); err != nil {
		t.Fatal(err)
	}
	if !errors.Is(kept.Err(), mesh.ErrClosed) {
		t.Errorf("after Close, Err() = %v, want ErrClosed", kept.Err())
	}
}

// poll checks cond every 10 ms until it holds: what it waits for (a
// counter, an address that may already be right) publishes no event that
// waitFor could wake on.
func poll(t *testing.T, d time.Duration, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(d)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out after %v waiting for %s", d, what)
		}
		time.Sleep(10 * time.Millisecond)
	}
}
