package main

import (
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
