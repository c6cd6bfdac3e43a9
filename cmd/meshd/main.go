// Command meshd is the meshd agent and its command-line tools: run an agent
// that joins a cluster (agent), look at it (members, events), steer it
// (join, leave, keys), try it (demo, sim). See docs/meshd.md, or
// 'meshd COMMAND --help' for each command's flags and an example.
package main

import (
	"errors"
	"fmt"
	"io"
	"os"
	"strings"
	"text/tabwriter"

	"github.com/meshd/meshd/cmd/meshd/internal/cli"
	"github.com/meshd/meshd/cmd/meshd/internal/config"
)

// version is set at build time: -ldflags "-X main.version=v1.2.3".
var version = "dev"

type command struct {
	name    string
	summary string
	run     func(args []string, stdout, stderr io.Writer) int
}

var commands []command

func init() {
	commands = []command{
		{"agent", "run an agent: join the cluster, detect failures, serve the HTTP API", cmdAgent},
		{"members", "list the members the local agent knows", cmdMembers},
		{"join", "make the local agent join members at HOST:PORT", cmdJoin},
		{"leave", "make the local agent leave the cluster gracefully and exit", cmdLeave},
		{"events", "stream membership events from the local agent", cmdEvents},
		{"health", "exit 0 if the local agent runs (a probe for Kubernetes and scripts)", cmdHealth},
		{"keys", "edit the gossip keyring (list, install, use, remove, generate)", cmdKeys},
		{"sim", "run a simulation scenario of thousands of nodes on a virtual network", cmdSim},
		{"demo", "watch a 5-agent cluster on 127.0.0.x form, lose a node and heal", cmdDemo},
		{"version", "print meshd's version", cmdVersion},
	}
}

func main() {
	os.Exit(run(os.Args[1:], os.Stdout, os.Stderr))
}

func run(args []string, stdout, stderr io.Writer) int {
	if len(args) == 0 {
		usage(stderr)
		return 2
	}
	switch args[0] {
	case "help":
		// "meshd help agent" is "meshd agent --help".
		if len(args) > 1 {
			return run([]string{args[1], "--help"}, stdout, stderr)
		}
		usage(stdout)
		return 0
	case "-h", "--help", "-help":
		usage(stdout)
		return 0
	case "-v", "--version":
		return cmdVersion(nil, stdout, stderr)
	}
	for _, c := range commands {
		if c.name == args[0] {
			return c.run(args[1:], stdout, stderr)
		}
	}
	names := make([]string, len(commands))
	for i, c := range commands {
		names[i] = c.name
	}
	fmt.Fprintf(stderr, "meshd: unknown command %q (commands: %s; see 'meshd --help')\n", args[0], strings.Join(names, ", "))
	return 2
}

func usage(w io.Writer) {
	fmt.Fprintln(w, "meshd: gossip membership for machines and pods (SWIM + Lifeguard).")
	fmt.Fprintln(w, "\nUsage: meshd COMMAND [flags]\n\nCommands:")
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	for _, c := range commands {
		fmt.Fprintf(tw, "  %s\t%s\n", c.name, c.summary)
	}
	tw.Flush()
	fmt.Fprintln(w, "\nRun 'meshd COMMAND --help' (or 'meshd help COMMAND') for a command's flags and an example.")
	fmt.Fprintln(w, "Quick start: meshd demo")
}

// parse parses a command line; on --help it prints the command's help.
// done means the caller returns code at once.
func parse(c *cli.Command, args []string, stdout, stderr io.Writer) (pos []string, code int, done bool) {
	pos, err := c.Parse(args)
	if errors.Is(err, cli.ErrHelp) {
		c.WriteHelp(stdout)
		return nil, 0, true
	}
	if err != nil {
		return nil, fail(stderr, c.Name, err), true
	}
	return pos, 0, false
}

// parseNoArgs is parse for commands that take no positional argument.
func parseNoArgs(c *cli.Command, args []string, stdout, stderr io.Writer) (code int, done bool) {
	pos, code, done := parse(c, args, stdout, stderr)
	if !done && len(pos) > 0 {
		return fail(stderr, c.Name, cli.Usagef(c.Name, "unexpected argument %q", pos[0])), true
	}
	return code, done
}

// fail prints err as one line and returns the exit status: 2 for a bad
// command line or setting, 1 for anything else.
func fail(stderr io.Writer, cmd string, err error) int {
	var ue *cli.UsageError
	var ce *config.Error
	switch {
	case errors.As(err, &ue):
		fmt.Fprintln(stderr, oneLine(err.Error()))
		return 2
	case errors.As(err, &ce):
		fmt.Fprintf(stderr, "meshd %s: %s\n", cmd, oneLine(err.Error()))
		return 2
	}
	fmt.Fprintf(stderr, "meshd %s: %s\n", cmd, oneLine(err.Error()))
	return 1
}

func oneLine(s string) string { return strings.Join(strings.Fields(s), " ") }
