package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"time"

	"github.com/meshd/meshd/cmd/meshd/internal/cli"
	"github.com/meshd/meshd/cmd/meshd/internal/client"
)

// cmdHealth is the probe of the local agent: exit 0 while it runs, 1 when
// it leaves or does not answer. A Kubernetes exec probe runs it inside the
// pod, where the API on 127.0.0.1 is reachable and the token file (when
// there is one) is mounted, which an httpGet probe can do neither of.
func cmdHealth(args []string, stdout, stderr io.Writer) int {
	af, flags := newAgentFlags()
	asJSON, quiet := false, false
	timeout := 5 * time.Second
	c := &cli.Command{
		Name:     "health",
		Synopsis: "meshd health [--http HOST:PORT] [--timeout D] [--json] [--quiet]",
		Summary: `Asks the local agent whether it runs (GET /v1/health). Exit status 0 while
it runs, 1 while it leaves or when it does not answer within --timeout: a
probe for Kubernetes (exec) and scripts.`,
		Flags: append(flags,
			&cli.Flag{Name: "timeout", Arg: "D", Usage: "how long to wait for the answer", Default: timeout.String(),
				Set: func(v string) error {
					d, err := time.ParseDuration(v)
					if err != nil || d <= 0 {
						return fmt.Errorf("want a positive duration such as 5s")
					}
					timeout = d
					return nil
				}},
			&cli.Flag{Name: "json", Usage: "print the API's answer", Set: func(v string) error { asJSON = v == "true"; return nil }},
			&cli.Flag{Name: "quiet", Usage: "print nothing; only the exit status tells", Set: func(v string) error { quiet = v == "true"; return nil }}),
		Examples: []string{
			"meshd health",
			`livenessProbe: {exec: {command: ["/meshd", "health", "--quiet"]}}`,
		},
	}
	cl, code, done := parseClient(c, af, args, stdout, stderr)
	if done {
		return code
	}
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	h, err := cl.Health(ctx)
	if err != nil {
		if quiet {
			return 1
		}
		var se *client.StatusError
		if errors.As(err, &se) && se.Code == http.StatusServiceUnavailable {
			err = fmt.Errorf("agent at %s is leaving the cluster", af.http)
		}
		return fail(stderr, c.Name, err)
	}
	switch {
	case quiet:
	case asJSON:
		json.NewEncoder(stdout).Encode(h)
	default:
		fmt.Fprintf(stdout, "%s: %s, %d members (%d alive)\n", h.Name, h.Status, h.Members, h.Alive)
	}
	return 0
}
