// Package logging builds meshd's log/slog logger: text or JSON on one
// writer, a level that SIGHUP can change at run time, and rate limiting of
// repeated warnings. An agent whose seed is down or whose DNS strategy fails
// would otherwise print the same line every poll for days; here the first
// occurrence is printed, repeats within a window are counted, and the next
// one after the window carries "suppressed=N".
package logging

import (
	"fmt"
	"io"
	"log/slog"
	"strings"
	"time"
)

// DefaultWindow is how long identical warnings are suppressed after one
// was printed.
const DefaultWindow = time.Minute

// ParseFormat checks a --log-format value.
func ParseFormat(s string) (string, error) {
	switch s {
	case "text", "json":
		return s, nil
	}
	return "", fmt.Errorf("want text or json")
}

// ParseLevel parses a --log-level value: debug, info, warn or error.
func ParseLevel(s string) (slog.Level, error) {
	switch strings.ToLower(s) {
	case "debug":
		return slog.LevelDebug, nil
	case "info":
		return slog.LevelInfo, nil
	case "warn", "warning":
		return slog.LevelWarn, nil
	case "error":
		return slog.LevelError, nil
	}
	return 0, fmt.Errorf("want debug, info, warn or error")
}

// New returns a logger writing format ("text" or "json") to w at the level
// held by level, with warnings and errors rate-limited per window.
func New(w io.Writer, format string, level *slog.LevelVar, window time.Duration) *slog.Logger {
	opts := &slog.HandlerOptions{Level: level}
	var h slog.Handler
	if format == "json" {
		h = slog.NewJSONHandler(w, opts)
	} else {
		h = slog.NewTextHandler(w, opts)
	}
	return slog.New(NewRateLimited(h, window, time.Now))
}
