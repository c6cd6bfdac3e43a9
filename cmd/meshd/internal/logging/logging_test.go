package logging

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"testing"
	"time"
)

type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *clock) add(d time.Duration) {
	c.mu.Lock()
	c.t = c.t.Add(d)
	c.mu.Unlock()
}

func lines(b *bytes.Buffer) []string {
	s := strings.TrimSpace(b.String())
	if s == "" {
		return nil
	}
	return strings.Split(s, "\n")
}

func TestRepeatedWarningsAreRateLimited(t *testing.T) {
	var buf bytes.Buffer
	c := &clock{t: time.Unix(1000, 0)}
	log := slog.New(NewRateLimited(slog.NewTextHandler(&buf, nil), time.Minute, c.now))

	for i := range 10 {
		log.Warn("seed unreachable", "addr", "10.0.0.1:7946", "err", fmt.Errorf("timeout #%d", i))
		c.add(time.Second)
	}
	log.Warn("seed unreachable", "addr", "10.0.0.2:7946", "err", errors.New("refused"))
	for range 5 {
		log.Info("joined", "n", 1) // info is never limited
	}
	got := lines(&buf)
	if len(got) != 7 {
		t.Fatalf("got %d lines, want 1 + 1 + 5:\n%s", len(got), buf.String())
	}
	buf.Reset()
	c.add(time.Minute)
	log.Warn("seed unreachable", "addr", "10.0.0.1:7946", "err", "again")
	got = lines(&buf)
	if len(got) != 1 || !strings.Contains(got[0], "suppressed=9") {
		t.Fatalf("after the window, want one line with suppressed=9, got %q", got)
	}
}

func TestWithAttrsAndGroupsKeepSeparateKeys(t *testing.T) {
	var buf bytes.Buffer
	c := &clock{t: time.Unix(0, 0)}
	base := slog.New(NewRateLimited(slog.NewTextHandler(&buf, nil), time.Minute, c.now))
	a := base.With("strategy", "dns")
	b := base.With("strategy", "static")
	g := base.WithGroup("g")
	for range 3 {
		a.Warn("poll failed")
		b.Warn("poll failed")
		g.Warn("poll failed")
	}
	if n := len(lines(&buf)); n != 3 {
		t.Fatalf("got %d lines, want one per logger:\n%s", n, buf.String())
	}
}

func TestLimiterMemoryIsBounded(t *testing.T) {
	var buf bytes.Buffer
	c := &clock{t: time.Unix(0, 0)}
	h := NewRateLimited(slog.NewTextHandler(&buf, nil), time.Minute, c.now)
	log := slog.New(h)
	for i := range maxKeys + 100 {
		log.Warn("distinct", "i", i)
	}
	if n := len(h.lim.seen); n > maxKeys {
		t.Fatalf("limiter remembers %d keys, limit %d", n, maxKeys)
	}
	if n := len(lines(&buf)); n != maxKeys+100 {
		t.Fatalf("distinct warnings printed %d, want all %d", n, maxKeys+100)
	}
	// After the window the old keys are swept and new ones remembered again.
	c.add(2 * time.Minute)
	log.Warn("fresh")
	log.Warn("fresh")
	if h.lim.seen["WARN|fresh"] == nil {
		t.Fatal("limiter did not sweep expired keys")
	}
}

func TestNewFormatsAndLevel(t *testing.T) {
	var buf bytes.Buffer
	lv := new(slog.LevelVar)
	lv.Set(slog.LevelWarn)
	log := New(&buf, "json", lv, time.Minute)
	log.Info("hidden")
	log.Warn("shown", "k", "v")
	var rec map[string]any
	if err := json.Unmarshal(buf.Bytes(), &rec); err != nil || rec["msg"] != "shown" {
		t.Fatalf("json log line %q: %v", buf.String(), err)
	}
	buf.Reset()
	lv.Set(slog.LevelDebug) // as a SIGHUP reload does
	log.Debug("now shown")
	if !strings.Contains(buf.String(), "now shown") {
		t.Fatal("level change did not take effect")
	}
	if _, err := ParseLevel("loud"); err == nil {
		t.Fatal("ParseLevel accepted loud")
	}
	if _, err := ParseFormat("xml"); err == nil {
		t.Fatal("ParseFormat accepted xml")
	}
}
