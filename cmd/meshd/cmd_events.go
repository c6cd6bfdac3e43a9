package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"os/signal"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/meshd/meshd/cmd/meshd/internal/api"
	"github.com/meshd/meshd/cmd/meshd/internal/cli"
	"github.com/meshd/meshd/cmd/meshd/internal/client"
)

func cmdEvents(args []string, stdout, stderr io.Writer) int {
	af, flags := newAgentFlags()
	asJSON := false
	reconnect := 30 * time.Second
	c := &cli.Command{
		Name:     "events",
		Synopsis: "meshd events [--http HOST:PORT] [--json]",
		Summary: `Streams membership events (join, leave, fail, update, suspect, alive) from the local agent
until interrupted. The stream is the agent's GET /v1/events (Server-Sent
Events), which 'curl -N' can read too.`,
		Flags: append(flags, &cli.Flag{Name: "json", Usage: "print each event as a JSON line",
			Set: func(v string) error { asJSON = v == "true"; return nil }},
			&cli.Flag{Name: "reconnect", Arg: "D", Default: reconnect.String(),
				Usage: "when the stream ends (the agent restarts), reconnect for up to D, resuming after the last event; 0 exits",
				Set: func(v string) error {
					d, err := time.ParseDuration(v)
					if err != nil || d < 0 {
						return fmt.Errorf("want a duration such as 30s, or 0")
					}
					reconnect = d
					return nil
				}}),
		Examples: []string{"meshd events", "meshd events --json | jq -c 'select(.type==\"fail\")'", "curl -N http://127.0.0.1:7947/v1/events"},
	}
	cl, code, done := parseClient(c, af, args, stdout, stderr)
	if done {
		return code
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	enc := json.NewEncoder(stdout)
	var known []api.Member
	if !asJSON {
		// Only for the column widths: no agent is the stream's error below.
		mctx, mcancel := context.WithTimeout(ctx, requestTimeout)
		known, _ = cl.Members(mctx)
		mcancel()
	}
	cols := newEventColumns(stdout, known)
	onEvent := func(ev api.Event, _ string) error {
		if asJSON {
			return enc.Encode(ev)
		}
		return cols.print(ev)
	}
	onMissed := func(m api.Missed) error {
		// The stream goes on; what was lost is in the member list.
		if asJSON {
			return enc.Encode(m)
		}
		_, err := io.WriteString(stderr, "meshd events: "+m.Detail+" (meshd members)\n")
		return err
	}
	// The first connection must work; later, while the agent restarts,
	// the stream is resumed after its last event (Last-Event-ID), so the
	// agent replays what came in between or says what is lost.
	last, err := cl.EventsAfter(ctx, "", onEvent, onMissed)
	for reconnect > 0 && errors.Is(err, client.ErrStreamClosed) {
		fmt.Fprintf(stderr, "meshd events: %v; reconnecting for up to %v\n", err, reconnect)
		deadline := time.Now().Add(reconnect)
		for {
			select {
			case <-ctx.Done():
				return 0
			case <-time.After(500 * time.Millisecond):
			}
			last, err = cl.EventsAfter(ctx, last, onEvent, onMissed)
			if !errors.Is(err, client.ErrNoAgent) || time.Now().After(deadline) {
				break // a stream that ran (and ended), another error, or too long
			}
		}
	}
	if err != nil {
		return fail(stderr, c.Name, err)
	}
	return 0
}

// eventColumns prints events as aligned columns under a header, like
// 'meshd members'. A stream cannot be measured ahead: the columns start as
// wide as the members the agent knows at the start need (and at least as
// an IPv4 address with its port), and when a longer value arrives they
// widen and the header is printed again, so every row lines up with the
// header above it.
type eventColumns struct {
	w      io.Writer
	widths []int // of every column but the last (meta)
	header bool  // printed with the current widths
}

var eventHeader = []string{"TIME", "TYPE", "NAME", "ADDRESS", "STATE", "INCARNATION", "META"}

func newEventColumns(w io.Writer, known []api.Member) *eventColumns {
	// A time in RFC 3339 with an offset is at most as long as the layout.
	c := &eventColumns{w: w, widths: []int{len(time.RFC3339), len("suspect"), len("NAME"), len("255.255.255.255:65535"), len("suspect"), len("INCARNATION")}}
	for _, m := range known {
		c.widths[2] = max(c.widths[2], len(m.Name))
		c.widths[3] = max(c.widths[3], len(m.Addr))
	}
	return c
}

func (c *eventColumns) print(ev api.Event) error {
	cells := []string{ev.At.Local().Format(time.RFC3339), ev.Type, ev.Name, ev.Addr, ev.State,
		strconv.FormatUint(ev.Incarnation, 10), formatMeta(ev.Meta)}
	for i, w := range c.widths {
		if len(cells[i]) > w {
			c.widths[i] = len(cells[i])
			c.header = false
		}
	}
	if !c.header {
		c.header = true
		if err := c.row(eventHeader); err != nil {
			return err
		}
	}
	return c.row(cells)
}

func (c *eventColumns) row(cells []string) error {
	var b strings.Builder
	for i, cell := range cells {
		b.WriteString(cell)
		if i < len(c.widths) {
			b.WriteString(strings.Repeat(" ", c.widths[i]-len(cell)+2))
		}
	}
	b.WriteByte('\n')
	_, err := io.WriteString(c.w, b.String())
	return err
}
