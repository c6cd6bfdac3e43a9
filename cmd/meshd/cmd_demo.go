package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"os/signal"
	"strconv"
	"syscall"

	"github.com/meshd/meshd/cmd/meshd/internal/cli"
	"github.com/meshd/meshd/cmd/meshd/internal/demo"
)

func cmdDemo(args []string, stdout, stderr io.Writer) int {
	opts := demo.Options{Out: stdout, Live: isTerminal(stdout)}
	c := &cli.Command{
		Name:     "demo",
		Synopsis: "meshd demo [--nodes N] [--plain]",
		Summary: `Runs a local cluster of agents on 127.0.0.2, 127.0.0.3, ... in this process:
it forms, loses a member to a crash, gets it back, and leaves. A table shows
what every agent believes about every other; the events of the first agent
scroll above it. Ends by itself within 30 seconds. Nothing leaves loopback.`,
		Flags: []*cli.Flag{
			{Name: "nodes", Arg: "N", Usage: "number of agents, 3 to 9", Default: "5",
				Set: func(v string) error {
					n, err := strconv.Atoi(v)
					if err != nil || n < 3 || n > 9 {
						return fmt.Errorf("want a number from 3 to 9")
					}
					opts.Nodes = n
					return nil
				}},
			{Name: "plain", Usage: "print each table below the last instead of redrawing it",
				Set: func(v string) error { opts.Live = opts.Live && v != "true"; return nil }},
		},
		Examples: []string{"go run ./cmd/meshd demo", "meshd demo --nodes 7"},
	}
	if code, done := parseNoArgs(c, args, stdout, stderr); done {
		return code
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := demo.Run(ctx, opts); err != nil {
		return fail(stderr, c.Name, err)
	}
	return 0
}

// isTerminal reports whether w is a character device (a terminal).
func isTerminal(w io.Writer) bool {
	f, ok := w.(*os.File)
	if !ok {
		return false
	}
	st, err := f.Stat()
	return err == nil && st.Mode()&os.ModeCharDevice != 0
}
