package main

import (
	"io"
	"os"

	"github.com/meshd/meshd/cmd/meshd/internal/cli"
	"github.com/meshd/meshd/cmd/meshd/internal/client"
	"github.com/meshd/meshd/cmd/meshd/internal/config"
)

// agentFlags are the flags of the commands that talk to a local agent:
// where it is and its token. Like the agent's, they also come from the
// environment (MESHD_HTTP, MESHD_HTTP_TOKEN, MESHD_HTTP_TOKEN_FILE), so a
// shell inside the agent's pod needs none.
type agentFlags struct {
	http, token, tokenFile string
}

func newAgentFlags() (*agentFlags, []*cli.Flag) {
	f := &agentFlags{http: config.DefaultHTTP}
	if v, ok := os.LookupEnv(cli.EnvName("http")); ok && v != "" {
		f.http = v
	}
	f.token = os.Getenv(cli.EnvName("http-token"))
	f.tokenFile = os.Getenv(cli.EnvName("http-token-file"))
	return f, []*cli.Flag{
		{Name: "http", Arg: "HOST:PORT", Usage: "the agent's HTTP address", Default: config.DefaultHTTP, Env: true,
			Set: func(v string) error { f.http = v; return nil }},
		{Name: "http-token", Arg: "TOKEN", Usage: "the agent's bearer token, if it has one", Env: true,
			Set: func(v string) error { f.token = v; return nil }},
		{Name: "http-token-file", Arg: "FILE", Usage: "file holding the agent's bearer token", Env: true,
			Set: func(v string) error { f.tokenFile = v; return nil }},
	}
}

// parseClient parses the command line of a command without positional
// arguments that talks to the agent, and returns its client.
func parseClient(c *cli.Command, af *agentFlags, args []string, stdout, stderr io.Writer) (cl *client.Client, code int, done bool) {
	if code, done := parseNoArgs(c, args, stdout, stderr); done {
		return nil, code, true
	}
	cl, err := af.client()
	if err != nil {
		return nil, fail(stderr, c.Name, err), true
	}
	return cl, 0, false
}

// client returns the client for the flags, reading the token file if given.
func (f *agentFlags) client() (*client.Client, error) {
	tok := f.token
	if f.tokenFile != "" {
		t, err := config.ReadToken(f.tokenFile)
		if err != nil {
			return nil, err
		}
		tok = t
	}
	return client.New(f.http, tok), nil
}
