package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"os/signal"
	"syscall"
	"time"

	"github.com/meshd/meshd/cmd/meshd/internal/api"
	"github.com/meshd/meshd/cmd/meshd/internal/cli"
)

func cmdEvents(args []string, stdout, stderr io.Writer) int {
	af, flags := newAgentFlags()
	asJSON := false
	c := &cli.Command{
		Name:     "events",
		Synopsis: "meshd events [--http HOST:PORT] [--json]",
		Summary: `Streams membership events (join, leave, fail, update, suspect, alive) from the local agent
until interrupted. The stream is the agent's GET /v1/events (Server-Sent
Events), which 'curl -N' can read too.`,
		Flags: append(flags, &cli.Flag{Name: "json", Usage: "print each event as a JSON line",
			Set: func(v string) error { asJSON = v == "true"; return nil }}),
		Examples: []string{"meshd events", "meshd events --json | jq -c 'select(.type==\"fail\")'", "curl -N http://127.0.0.1:7947/v1/events"},
	}
	cl, code, done := parseClient(c, af, args, stdout, stderr)
	if done {
		return code
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	enc := json.NewEncoder(stdout)
	err := cl.Events(ctx, func(ev api.Event) error {
		if asJSON {
			return enc.Encode(ev)
		}
		_, err := fmt.Fprintf(stdout, "%s  %-7s  %s  %s  %s  incarnation=%d  %s\n",
			ev.At.Local().Format(time.RFC3339), ev.Type, ev.Name, ev.Addr, ev.State, ev.Incarnation, formatMeta(ev.Meta))
		return err
	})
	if err != nil {
		return fail(stderr, c.Name, err)
	}
	return 0
}
