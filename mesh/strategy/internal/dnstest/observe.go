package dnstest

import (
	"context"
	"log/slog"
	"sync"
	"testing"
	"time"

	"github.com/meshd/meshd/mesh"
)

// LogCapture is a slog.Handler that keeps every record, for tests that
// count what a strategy logged. It is safe for concurrent use.
type LogCapture struct {
	mu   sync.Mutex
	recs []slog.Record
}

// Enabled accepts every level.
func (c *LogCapture) Enabled(context.Context, slog.Level) bool { return true }

// Handle keeps r.
func (c *LogCapture) Handle(_ context.Context, r slog.Record) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.recs = append(c.recs, r.Clone())
	return nil
}

// WithAttrs returns c: the tests count records, not attributes.
func (c *LogCapture) WithAttrs([]slog.Attr) slog.Handler { return c }

// WithGroup returns c.
func (c *LogCapture) WithGroup(string) slog.Handler { return c }

// Count returns how many records of level were logged.
func (c *LogCapture) Count(level slog.Level) int {
	c.mu.Lock()
	defer c.mu.Unlock()
	n := 0
	for _, r := range c.recs {
		if r.Level == level {
			n++
		}
	}
	return n
}

// Lines returns the records as "LEVEL message key=value ...", for failure
// messages.
func (c *LogCapture) Lines() []string {
	c.mu.Lock()
	defer c.mu.Unlock()
	var out []string
	for _, r := range c.recs {
		line := r.Level.String() + " " + r.Message
		r.Attrs(func(a slog.Attr) bool {
			line += " " + a.String()
			return true
		})
		out = append(out, line)
	}
	return out
}

// Polls waits until s has counted n more polls, failing the test after 30s.
func Polls(t testing.TB, s mesh.StrategyReporter, n uint64) {
	t.Helper()
	want := s.Stats().Polls + n
	deadline := time.Now().Add(30 * time.Second)
	for s.Stats().Polls < want {
		if time.Now().After(deadline) {
			t.Fatalf("fewer than %d polls within 30s: %+v", n, s.Stats())
		}
		time.Sleep(5 * time.Millisecond)
	}
}
