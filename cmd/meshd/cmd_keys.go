package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"

	"github.com/meshd/meshd/cmd/meshd/internal/cli"
	"github.com/meshd/meshd/cmd/meshd/internal/client"
	"github.com/meshd/meshd/cmd/meshd/internal/keyfile"
)

const keysHelp = `Edits the keyring file that encrypts gossip (AES-256-GCM; the first key
encrypts, every key decrypts), then asks the local agent to reload it.

  list              print the keys, primary first
  install [KEY]     add KEY (base64, 32 bytes), or a new random key, printed
  use KEY           make an installed KEY the primary
  remove KEY        remove KEY (not the primary)
  generate          print a new random key; the file is not touched

Zero-downtime rotation: run each step on every agent before the next step.
  1. meshd keys install NEWKEY   (everyone decrypts NEWKEY)
  2. meshd keys use NEWKEY       (everyone encrypts with NEWKEY)
  3. meshd keys remove OLDKEY`

func cmdKeys(args []string, stdout, stderr io.Writer) int {
	af, flags := newAgentFlags()
	path := os.Getenv("MESHD_KEY_FILE")
	noReload := false
	c := &cli.Command{
		Name:     "keys",
		Synopsis: "meshd keys list|install|use|remove|generate [KEY] --key-file FILE",
		Summary:  keysHelp,
		Flags: append([]*cli.Flag{
			{Name: "key-file", Arg: "FILE", Usage: "the agent's key file", Env: true,
				Set: func(v string) error { path = v; return nil }},
			{Name: "no-reload", Usage: "only edit the file; do not ask the agent to reload",
				Set: func(v string) error { noReload = v == "true"; return nil }},
		}, flags...),
		Examples: []string{
			"meshd keys install --key-file /etc/meshd/keys        # prints the new key",
			"meshd keys use Q2hhbmdlIG1lIHRvIGEgcmVhbCBrZXkgb2YgMzIgYnl0ZXM= --key-file /etc/meshd/keys",
			"meshd keys generate > /etc/meshd/keys && chmod 600 /etc/meshd/keys",
		},
	}
	pos, code, done := parse(c, args, stdout, stderr)
	if done {
		return code
	}
	if len(pos) == 0 {
		return fail(stderr, c.Name, cli.Usagef(c.Name, "give an action: list, install, use, remove or generate"))
	}
	action, rest := pos[0], pos[1:]
	if action == "generate" {
		if len(rest) > 0 {
			return fail(stderr, c.Name, cli.Usagef(c.Name, "generate takes no argument"))
		}
		k, err := keyfile.Generate()
		if err != nil {
			return fail(stderr, c.Name, err)
		}
		fmt.Fprintln(stdout, keyfile.Encode(k))
		return 0
	}
	if path == "" {
		return fail(stderr, c.Name, cli.Usagef(c.Name, "--key-file (or MESHD_KEY_FILE) is required for %s", action))
	}

	var key []byte
	var err error
	switch action {
	case "list":
		if len(rest) > 0 {
			return fail(stderr, c.Name, cli.Usagef(c.Name, "list takes no argument"))
		}
	case "install":
		if len(rest) > 1 {
			return fail(stderr, c.Name, cli.Usagef(c.Name, "install takes at most one KEY"))
		}
		if len(rest) == 0 {
			if key, err = keyfile.Generate(); err != nil {
				return fail(stderr, c.Name, err)
			}
		}
	case "use", "remove":
		if len(rest) != 1 {
			return fail(stderr, c.Name, cli.Usagef(c.Name, "%s takes one KEY", action))
		}
	default:
		return fail(stderr, c.Name, cli.Usagef(c.Name, "unknown action %q: want list, install, use, remove or generate", action))
	}
	if key == nil && action != "list" {
		if key, err = keyfile.Decode(rest[0]); err != nil {
			return fail(stderr, c.Name, cli.Usagef(c.Name, "KEY: %v", err))
		}
	}
	// Only install may start a keyring: list, use and remove of a file
	// that is not there is a mistaken path, and says so.
	load := keyfile.Load
	if action == "install" {
		load = keyfile.LoadOrEmpty
	}
	keys, err := load(path)
	if errors.Is(err, os.ErrNotExist) {
		return fail(stderr, c.Name, fmt.Errorf("key file %s: no such file (start a keyring with 'meshd keys install --key-file %s')", path, path))
	}
	if err != nil {
		return fail(stderr, c.Name, err)
	}
	if action == "list" {
		for i, k := range keys {
			role := "       "
			if i == 0 {
				role = "primary"
			}
			fmt.Fprintf(stdout, "%s  %s\n", role, keyfile.Encode(k))
		}
		return 0
	}

	var next [][]byte
	var changed bool
	switch action {
	case "install":
		if len(keys) == 0 {
			// The first key of a new ring is its primary at once.
			next, changed, err = [][]byte{key}, true, nil
		} else {
			next, changed, err = keyfile.Install(keys, key)
		}
	case "use":
		next, changed, err = keyfile.Use(keys, key)
	case "remove":
		next, changed, err = keyfile.Remove(keys, key)
	}
	if err != nil {
		return fail(stderr, c.Name, fmt.Errorf("%s: %v", action, err))
	}
	enc := keyfile.Encode(key)
	if !changed {
		fmt.Fprintf(stdout, "%s: nothing to do for %s\n", action, enc)
		return 0
	}
	if err := keyfile.Save(path, next); err != nil {
		return fail(stderr, c.Name, err)
	}
	switch action {
	case "install":
		fmt.Fprintf(stdout, "installed %s\n", enc)
		if len(next) > 1 {
			fmt.Fprintf(stdout, "next: install it on every agent, then 'meshd keys use %s'\n", enc)
		}
	case "use":
		fmt.Fprintf(stdout, "primary is now %s\n", enc)
	case "remove":
		fmt.Fprintf(stdout, "removed %s\n", enc)
	}
	if noReload {
		return 0
	}
	return reloadAgent(af, path, stdout, stderr)
}

// reloadAgent asks the local agent to reread the key file. No agent is
// fine (it reads the file when it starts); a failed reload is an error.
func reloadAgent(af *agentFlags, path string, stdout, stderr io.Writer) int {
	cl, err := af.client()
	if err != nil {
		return fail(stderr, "keys", err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), requestTimeout)
	defer cancel()
	err = cl.Reload(ctx)
	if errors.Is(err, client.ErrNoAgent) {
		fmt.Fprintf(stderr, "meshd keys: no agent at %s to reload; it reads %s when it starts\n", af.http, path)
		return 0
	}
	if err != nil {
		return fail(stderr, "keys", fmt.Errorf("the file is changed, but the agent did not reload it: %w", err))
	}
	fmt.Fprintf(stdout, "agent at %s reloaded the keyring\n", af.http)
	return 0
}
