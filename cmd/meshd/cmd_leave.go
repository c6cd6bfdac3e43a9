package main

import (
	"context"
	"fmt"
	"io"
	"time"

	"github.com/meshd/meshd/cmd/meshd/internal/cli"
)

func cmdLeave(args []string, stdout, stderr io.Writer) int {
	af, flags := newAgentFlags()
	c := &cli.Command{
		Name:     "leave",
		Synopsis: "meshd leave [--http HOST:PORT]",
		Summary: `Makes the local agent leave the cluster gracefully (the others see it as
left, not failed) and exit. Under systemd, prefer 'systemctl stop meshd',
which sends SIGTERM and does the same.`,
		Flags:    flags,
		Examples: []string{"meshd leave", "meshd leave --http 127.0.0.2:7947"},
	}
	cl, code, done := parseClient(c, af, args, stdout, stderr)
	if done {
		return code
	}
	// The leave lasts up to the agent's --leave-timeout.
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	if err := cl.Leave(ctx); err != nil {
		return fail(stderr, c.Name, err)
	}
	fmt.Fprintln(stdout, "left the cluster; the agent exits")
	return 0
}
