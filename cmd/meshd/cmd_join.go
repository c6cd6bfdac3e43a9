package main

import (
	"context"
	"fmt"
	"io"

	"github.com/meshd/meshd/cmd/meshd/internal/cli"
)

func cmdJoin(args []string, stdout, stderr io.Writer) int {
	af, flags := newAgentFlags()
	c := &cli.Command{
		Name:     "join",
		Synopsis: "meshd join [--http HOST:PORT] HOST:PORT [HOST:PORT ...]",
		Summary: `Makes the local agent contact the members at these gossip addresses and
join their cluster. It succeeds if at least one answers.`,
		Flags:    flags,
		Examples: []string{"meshd join 10.0.0.7:7946", "meshd join --http 127.0.0.2:7947 127.0.0.3:7946 127.0.0.4:7946"},
	}
	pos, code, done := parse(c, args, stdout, stderr)
	if done {
		return code
	}
	if len(pos) == 0 {
		return fail(stderr, c.Name, cli.Usagef(c.Name, "give at least one HOST:PORT to join"))
	}
	cl, err := af.client()
	if err != nil {
		return fail(stderr, c.Name, err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*requestTimeout)
	defer cancel()
	n, err := cl.Join(ctx, pos)
	if err != nil {
		return fail(stderr, c.Name, err)
	}
	fmt.Fprintf(stdout, "contacted %d of %d\n", n, len(pos))
	return 0
}
