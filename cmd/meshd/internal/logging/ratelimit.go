package logging

import (
	"context"
	"log/slog"
	"strings"
	"sync"
	"time"
)

// maxKeys bounds the limiter's memory. When that many distinct warnings are
// live within one window, further new ones are printed unlimited rather
// than remembered: losing rate limiting beats losing messages or memory.
const maxKeys = 4096

// RateLimited is a slog.Handler that passes records below Warn through and
// prints a Warn-or-above record only if no identical one (same level,
// message, and attributes other than err/error, whose text often varies) was
// printed within the window.
type RateLimited struct {
	next   slog.Handler
	lim    *limiter
	prefix string // attributes and groups bound by WithAttrs/WithGroup
}

// NewRateLimited wraps next; now is the clock (time.Now outside tests).
func NewRateLimited(next slog.Handler, window time.Duration, now func() time.Time) *RateLimited {
	return &RateLimited{next: next, lim: &limiter{window: window, now: now, seen: map[string]*seen{}}}
}

func (h *RateLimited) Enabled(ctx context.Context, l slog.Level) bool { return h.next.Enabled(ctx, l) }

func (h *RateLimited) Handle(ctx context.Context, r slog.Record) error {
	if r.Level < slog.LevelWarn {
		return h.next.Handle(ctx, r)
	}
	var key strings.Builder
	key.WriteString(h.prefix)
	key.WriteString(r.Level.String())
	key.WriteByte('|')
	key.WriteString(r.Message)
	r.Attrs(func(a slog.Attr) bool {
		if a.Key != "err" && a.Key != "error" {
			writeAttr(&key, a)
		}
		return true
	})
	ok, suppressed := h.lim.allow(key.String())
	if !ok {
		return nil
	}
	if suppressed > 0 {
		r = r.Clone()
		r.AddAttrs(slog.Int("suppressed", suppressed))
	}
	return h.next.Handle(ctx, r)
}

func (h *RateLimited) WithAttrs(as []slog.Attr) slog.Handler {
	var b strings.Builder
	b.WriteString(h.prefix)
	for _, a := range as {
		writeAttr(&b, a)
	}
	return &RateLimited{next: h.next.WithAttrs(as), lim: h.lim, prefix: b.String()}
}

func (h *RateLimited) WithGroup(name string) slog.Handler {
	return &RateLimited{next: h.next.WithGroup(name), lim: h.lim, prefix: h.prefix + "{" + name + "}"}
}

func writeAttr(b *strings.Builder, a slog.Attr) {
	b.WriteByte('|')
	b.WriteString(a.Key)
	b.WriteByte('=')
	b.WriteString(a.Value.Resolve().String())
}

type seen struct {
	printed    time.Time // when the last one was printed
	suppressed int       // dropped since then
}

type limiter struct {
	mu     sync.Mutex
	window time.Duration
	now    func() time.Time
	seen   map[string]*seen
}

// allow says whether the record with key may be printed and, if so, how
// many identical ones were suppressed before it.
func (l *limiter) allow(key string) (bool, int) {
	l.mu.Lock()
	defer l.mu.Unlock()
	now := l.now()
	s := l.seen[key]
	if s == nil {
		if len(l.seen) >= maxKeys {
			l.sweep(now)
			if len(l.seen) >= maxKeys {
				return true, 0
			}
		}
		l.seen[key] = &seen{printed: now}
		return true, 0
	}
	if now.Sub(s.printed) < l.window {
		s.suppressed++
		return false, 0
	}
	n := s.suppressed
	s.printed, s.suppressed = now, 0
	return true, n
}

// sweep forgets keys whose window is over and that suppressed nothing.
func (l *limiter) sweep(now time.Time) {
	for k, s := range l.seen {
		if now.Sub(s.printed) >= l.window && s.suppressed == 0 {
			delete(l.seen, k)
		}
	}
}
