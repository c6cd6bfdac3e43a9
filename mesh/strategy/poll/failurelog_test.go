package poll

import (
	"context"
	"errors"
	"log/slog"
	"sync"
	"testing"
	"time"

	"github.com/meshd/meshd/internal/clock"
)

// capture is a slog.Handler that keeps records.
type capture struct {
	mu   sync.Mutex
	recs []slog.Record
}

func (c *capture) Enabled(context.Context, slog.Level) bool { return true }
func (c *capture) Handle(_ context.Context, r slog.Record) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.recs = append(c.recs, r.Clone())
	return nil
}
func (c *capture) WithAttrs([]slog.Attr) slog.Handler { return c }
func (c *capture) WithGroup(string) slog.Handler      { return c }

func attr(r slog.Record, key string) (slog.Value, bool) {
	var v slog.Value
	found := false
	r.Attrs(func(a slog.Attr) bool {
		if a.Key == key {
			v, found = a.Value, true
			return false
		}
		return true
	})
	return v, found
}

func TestFailureLogRateLimits(t *testing.T) {
	h := &capture{}
	fc := clock.NewFake(time.Unix(1000, 0))
	l := &FailureLog{Logger: slog.New(h), Name: "dns", clock: fc}

	// 120 failures one second apart: the first line, then one a minute.
	for range 120 {
		l.Failure(errors.New("servfail"))
		fc.Advance(time.Second)
	}
	if len(h.recs) != 2 {
		t.Fatalf("%d lines for 120 failures over 2 minutes, want 2 (first, then once a minute)", len(h.recs))
	}
	if v, ok := attr(h.recs[1], "suppressed"); !ok || v.Int64() != 59 {
		t.Fatalf("second line says suppressed=%v, want 59", v)
	}
	if v, ok := attr(h.recs[1], "strategy"); !ok || v.String() != "dns" {
		t.Fatalf("line lacks strategy=dns: %v", v)
	}
	l.Success(3)
	l.Success(3)
	if len(h.recs) != 3 || h.recs[2].Level != slog.LevelInfo {
		t.Fatalf("recovery logged %d times, want once at info", len(h.recs)-2)
	}
	if v, _ := attr(h.recs[2], "failures"); v.Int64() != 120 {
		t.Fatalf("recovery says failures=%v, want 120", v)
	}
	// A new streak is logged at once again.
	l.Failure(errors.New("timeout"))
	if len(h.recs) != 4 {
		t.Fatal("a new failure streak was not logged")
	}
}

func TestFailureLogZeroValue(t *testing.T) {
	var l FailureLog // must not panic, logs to slog.Default
	old := slog.Default()
	slog.SetDefault(slog.New(slog.DiscardHandler))
	defer slog.SetDefault(old)
	l.Failure(nil)
	l.Success(0)
}
