// Package strategytest holds what the strategies' tests share: running a
// strategy for the length of a test and waiting for the lists it hands to
// found, or for failed polls that must keep the last list.
package strategytest

import (
	"context"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/meshd/meshd/mesh"
)

// Run starts s.Run on its own goroutine and returns the lists it hands to
// found, buffered so that a test that reads late never blocks the strategy.
// At the end of the test Run is cancelled and must return nil.
func Run(t testing.TB, s mesh.Strategy) <-chan []string {
	t.Helper()
	ch := make(chan []string, 4096)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- s.Run(ctx, func(l []string) { ch <- l }) }()
	t.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("Run: %v", err)
		}
	})
	return ch
}

// Await reads ch until the list want (in any order) arrives, failing the
// test after 15s.
func Await(t testing.TB, ch <-chan []string, want ...string) {
	t.Helper()
	want = slices.Sorted(slices.Values(want))
	deadline := time.After(15 * time.Second)
	var last []string
	for {
		select {
		case l := <-ch:
			if slices.Equal(l, want) {
				return
			}
			last = l
		case <-deadline:
			t.Fatalf("no list %q within 15s; last %q", want, last)
		}
	}
}

// AwaitFunc reads ch until a list satisfies ok and returns it, failing the
// test after 15s; what says in the failure what was awaited.
func AwaitFunc(t testing.TB, ch <-chan []string, what string, ok func([]string) bool) []string {
	t.Helper()
	deadline := time.After(15 * time.Second)
	for {
		select {
		case l := <-ch:
			if ok(l) {
				return l
			}
		case <-deadline:
			t.Fatalf("no list where %s within 15s", what)
			return nil
		}
	}
}

// Keeps waits until s has counted n more failed polls (30s at most), then
// checks that nothing but last was delivered on ch meanwhile and that
// LastError mentions msg. It returns the stats it checked.
func Keeps(t testing.TB, s mesh.StrategyReporter, ch <-chan []string, last []string, n uint64, msg string) mesh.StrategyStats {
	t.Helper()
	start := s.Stats().Errors
	deadline := time.Now().Add(30 * time.Second)
	for s.Stats().Errors < start+n {
		if time.Now().After(deadline) {
			t.Fatalf("fewer than %d failed polls within 30s: %+v", n, s.Stats())
		}
		time.Sleep(5 * time.Millisecond)
	}
	for len(ch) > 0 {
		if l := <-ch; !slices.Equal(l, last) {
			t.Fatalf("delivered %q during a failure, want only the last good %q", l, last)
		}
	}
	st := s.Stats()
	if !strings.Contains(st.LastError, msg) {
		t.Fatalf("stats %+v, want LastError mentioning %q", st, msg)
	}
	return st
}
