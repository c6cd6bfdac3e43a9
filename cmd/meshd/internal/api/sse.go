package api

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"strings"
)

// Limits of what ReadSSE accepts: a line and an event's data. meshd's
// events are a few hundred bytes; anything far larger is not from meshd.
const (
	maxSSELine = 64 << 10
	maxSSEData = 256 << 10
	maxSSEID   = 256
)

// SSEEvent is one event of a Server-Sent Events stream.
type SSEEvent struct {
	Type string // "message" when the stream names none
	Data string
	// LastID is the stream's last event id at this event: this event's
	// id, or the one before it when it has none.
	LastID string
}

// ReadSSE reads a Server-Sent Events stream and calls fn with each event's
// type ("message" when not given) and data, until the stream ends (nil), fn
// fails (its error) or the input breaks the limits.
func ReadSSE(r io.Reader, fn func(event, data string) error) error {
	_, err := ReadSSEEvents(r, func(e SSEEvent) error { return fn(e.Type, e.Data) })
	return err
}

// ReadSSEEvents is ReadSSE with each event's id. It returns the stream's
// last event id, which an id without data (meshd sends its position so)
// sets too: the Last-Event-ID to reconnect with.
func ReadSSEEvents(r io.Reader, fn func(SSEEvent) error) (lastID string, err error) {
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 0, 4096), maxSSELine)
	var event string
	var data strings.Builder
	hasData := false
	for sc.Scan() {
		line := sc.Text()
		if line == "" {
			if hasData {
				if event == "" {
					event = "message"
				}
				if err := fn(SSEEvent{Type: event, Data: strings.TrimSuffix(data.String(), "\n"), LastID: lastID}); err != nil {
					return lastID, err
				}
			}
			event, hasData = "", false
			data.Reset()
			continue
		}
		if line[0] == ':' {
			continue // comment: keepalive
		}
		field, value, _ := strings.Cut(line, ":")
		value = strings.TrimPrefix(value, " ")
		switch field {
		case "id":
			// An id with NUL is ignored, as browsers do.
			if !strings.ContainsRune(value, 0) && len(value) <= maxSSEID {
				lastID = value
			}
		case "event":
			event = value
		case "data":
			if data.Len()+len(value)+1 > maxSSEData {
				return lastID, fmt.Errorf("event data larger than %d bytes", maxSSEData)
			}
			data.WriteString(value)
			data.WriteByte('\n')
			hasData = true
		}
	}
	if err := sc.Err(); err != nil {
		if errors.Is(err, bufio.ErrTooLong) {
			return lastID, fmt.Errorf("event stream line longer than %d bytes", maxSSELine)
		}
		return lastID, err
	}
	return lastID, nil
}
