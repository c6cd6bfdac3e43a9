package mesh

import (
	"container/list"
	"context"
	"log/slog"
	"net/netip"
	"time"

	"github.com/meshd/meshd/internal/core"
)

// Limits of the drop log. A misconfigured peer sends many packets, each
// dropped for the same reason, and source addresses can be forged: one line
// per source and reason per interval says what is wrong, the LRU bounds the
// memory a forger can make it use, and the global cap bounds the log volume
// a forger with many addresses can cause.
const (
	dropLogInterval = time.Minute // at most one line per (source, reason) per interval
	dropLogSources  = 128         // (source, reason) pairs remembered, least recently logged forgotten first
	dropLogLines    = 10          // lines per interval over all sources
)

// dropKey is what the limiter tells apart. The port is left out: a forger
// can vary it freely, and a misconfigured peer is one host.
type dropKey struct {
	addr      netip.Addr
	reason    core.DropReason
	heartbeat bool
}

type dropEntry struct {
	key        dropKey
	last       time.Time // when a line was last allowed for key
	suppressed uint64    // drops of key not logged since then
}

// dropLimiter decides which dropped datagrams get a log line. It is told
// the time; it is not safe for concurrent use (the engine goroutine owns it).
type dropLimiter struct {
	interval   time.Duration
	maxEntries int
	maxLines   int

	entries map[dropKey]*list.Element // of *dropEntry
	lru     *list.List                // most recently logged first

	windowStart time.Time
	lines       int    // lines allowed in the window that started at windowStart
	capped      uint64 // drops refused by the global cap since the last allowed line
}

func newDropLimiter(interval time.Duration, maxEntries, maxLines int) *dropLimiter {
	return &dropLimiter{interval: interval, maxEntries: maxEntries, maxLines: maxLines,
		entries: map[dropKey]*list.Element{}, lru: list.New()}
}

// allow reports whether a drop of key at now gets a line. If it does,
// same is how many drops of key were not logged since its last line, and
// others how many drops of any key the global cap kept out of the log.
func (l *dropLimiter) allow(now time.Time, key dropKey) (ok bool, same, others uint64) {
	el, known := l.entries[key]
	if known {
		e := el.Value.(*dropEntry)
		if d := now.Sub(e.last); d >= 0 && d < l.interval {
			e.suppressed++
			return false, 0, 0
		}
	}
	if d := now.Sub(l.windowStart); d < 0 || d >= l.interval {
		l.windowStart, l.lines = now, 0
	}
	if l.lines >= l.maxLines {
		l.capped++
		if known {
			el.Value.(*dropEntry).suppressed++
		}
		return false, 0, 0
	}
	l.lines++
	others, l.capped = l.capped, 0
	if known {
		e := el.Value.(*dropEntry)
		same, e.suppressed, e.last = e.suppressed, 0, now
		l.lru.MoveToFront(el)
		return true, same, others
	}
	l.entries[key] = l.lru.PushFront(&dropEntry{key: key, last: now})
	for l.lru.Len() > l.maxEntries {
		old := l.lru.Remove(l.lru.Back()).(*dropEntry)
		delete(l.entries, old.key)
	}
	return true, 0, others
}

// dropLevel is the level a drop is logged at. Reasons that point at a
// misconfiguration (a key, a cluster name, a packet size, a clock, an
// incompatible version) are warnings; the others are normal events of a
// working cluster and only debug lines. A foreign heartbeat is another
// cluster sharing the multicast group, which is allowed. A node's own
// heartbeat looping back is never logged (ok false).
func dropLevel(d core.Drop) (level slog.Level, ok bool) {
	switch d.Reason {
	case core.DropSelf:
		return 0, false
	case core.DropForeignCluster:
		if d.Heartbeat {
			return slog.LevelDebug, true
		}
		return slog.LevelWarn, true
	case core.DropOversized, core.DropTruncated, core.DropBadMagic, core.DropUnsupportedVersion,
		core.DropUnencrypted, core.DropEncryptedWithoutKey, core.DropBadKey, core.DropStale,
		core.DropMalformed, core.DropSealFailed:
		return slog.LevelWarn, true
	}
	return slog.LevelDebug, true
}

// logDrops writes the lines the limiters allow for the drops of one Ready.
// Warnings and debug lines have a limiter each, so that normal drops (a LAN
// full of rate-limited heartbeats, with debug on) never crowd out a warning.
func (m *Mesh) logDrops(now time.Time, drops []core.Drop) {
	ctx := context.Background()
	for _, d := range drops {
		level, ok := dropLevel(d)
		if !ok || !m.log.Enabled(ctx, level) {
			continue
		}
		lim := m.dropWarnLim
		if level < slog.LevelWarn {
			lim = m.dropDebugLim
		}
		allowed, same, others := lim.allow(now, dropKey{addr: d.Addr.Addr(), reason: d.Reason, heartbeat: d.Heartbeat})
		if !allowed {
			continue
		}
		what := "dropped a gossip packet: "
		if d.Heartbeat {
			what = "dropped a multicast heartbeat: "
		}
		words := d.Reason.Describe()
		if d.Detail != "" {
			words += " (" + d.Detail + ")"
		}
		attrs := []slog.Attr{slog.String("from", d.Addr.String()), slog.String("reason", d.Reason.String())}
		if d.Reason == core.DropSealFailed {
			attrs[0] = slog.String("to", d.Addr.String())
		}
		// Both counts are lower bounds: the core reports only the first
		// drops of a flood (Stats counts them all).
		if same > 0 {
			attrs = append(attrs, slog.Uint64("repeated", same))
		}
		if others > 0 {
			attrs = append(attrs, slog.Uint64("others_not_logged", others))
		}
		m.log.LogAttrs(ctx, level, what+words, attrs...)
	}
}
