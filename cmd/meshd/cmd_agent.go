package main

import (
	"errors"
	"io"
	"os"
	"os/signal"
	"syscall"

	"github.com/meshd/meshd/cmd/meshd/internal/agent"
	"github.com/meshd/meshd/cmd/meshd/internal/cli"
	"github.com/meshd/meshd/cmd/meshd/internal/config"
)

func cmdAgent(args []string, stdout, stderr io.Writer) int {
	s, err := config.Load(args, os.LookupEnv)
	if errors.Is(err, cli.ErrHelp) {
		config.WriteHelp(stdout)
		return 0
	}
	if err != nil {
		return fail(stderr, "agent", err)
	}
	// Signals are caught before the start: a SIGHUP or SIGTERM that arrives
	// while the agent starts must not kill it with the default action.
	sigs := make(chan os.Signal, 4)
	signal.Notify(sigs, syscall.SIGINT, syscall.SIGTERM, syscall.SIGHUP)
	defer signal.Stop(sigs)

	a, err := agent.Start(agent.Options{
		Settings:    s,
		Reload:      func() (*config.Settings, error) { return config.Load(args, os.LookupEnv) },
		LogOutput:   stderr,
		Version:     version,
		EnvWarnings: config.UnknownEnv(os.Environ()),
	})
	if err != nil {
		return fail(stderr, "agent", err)
	}
	if err := a.Run(sigs); err != nil {
		return fail(stderr, "agent", err)
	}
	return 0
}
