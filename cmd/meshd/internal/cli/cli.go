// Package cli parses meshd's command lines the way people who use serf,
// consul or kubectl expect: long flags as --name value, --name=value or
// -name value; flags and positional arguments in any order; "--" ends the
// flags. Every error is one line that names the flag, so that a typo in a
// systemd unit or a pod spec is found from the journal alone.
package cli

import (
	"errors"
	"fmt"
	"strings"
)

// Flag is one command-line flag.
type Flag struct {
	// Name is the flag's name without dashes ("multicast-if").
	Name string
	// Arg is the placeholder of the value in help ("HOST:PORT"). Empty makes
	// a boolean flag: "--name" alone means true, "--name=false" false.
	Arg string
	// Usage is one line of help.
	Usage string
	// Default is shown in help when not empty.
	Default string
	// Env, when true, shows in help that MESHD_<NAME> sets the flag too.
	// The caller reads the environment; see EnvName.
	Env bool
	// Repeat says in help that the flag may be given several times.
	Repeat bool
	// Set receives the value (once per occurrence). Its error is reported
	// as an invalid value of this flag.
	Set func(value string) error
}

// Command describes one subcommand for parsing and for --help.
type Command struct {
	Name     string   // "agent"
	Synopsis string   // "meshd agent [flags]"
	Summary  string   // a paragraph shown under the synopsis
	Flags    []*Flag  // in the order help shows them
	Examples []string // shell lines, shown under "Examples:"
	Notes    string   // shown after the flags, optional
}

// ErrHelp is returned by Parse when --help, -help or -h was given.
var ErrHelp = errors.New("help requested")

// UsageError is a bad command line: unknown flag, missing or invalid value,
// wrong number of arguments. Commands exit with status 2 on it.
type UsageError struct {
	Cmd string // subcommand name
	Msg string
}

func (e *UsageError) Error() string {
	return fmt.Sprintf("meshd %s: %s (see 'meshd %s --help')", e.Cmd, e.Msg, e.Cmd)
}

// Usagef returns a *UsageError for cmd.
func Usagef(cmd, format string, args ...any) error {
	return &UsageError{Cmd: cmd, Msg: fmt.Sprintf(format, args...)}
}

// EnvName is the environment variable that sets flag name:
// "multicast-if" -> "MESHD_MULTICAST_IF".
func EnvName(name string) string {
	return "MESHD_" + strings.ToUpper(strings.ReplaceAll(name, "-", "_"))
}

// Parse applies args to the command's flags and returns the positional
// arguments in order.
func (c *Command) Parse(args []string) ([]string, error) {
	var pos []string
	for i := 0; i < len(args); i++ {
		a := args[i]
		if a == "--" {
			return append(pos, args[i+1:]...), nil
		}
		if len(a) < 2 || a[0] != '-' {
			pos = append(pos, a)
			continue
		}
		name := strings.TrimPrefix(strings.TrimPrefix(a, "-"), "-")
		value, hasValue := "", false
		if k, v, ok := strings.Cut(name, "="); ok {
			name, value, hasValue = k, v, true
		}
		if name == "h" || name == "help" {
			return nil, ErrHelp
		}
		f := c.lookup(name)
		if f == nil {
			return nil, Usagef(c.Name, "unknown flag --%s", name)
		}
		if f.Arg == "" {
			if !hasValue {
				value = "true"
			} else if value != "true" && value != "false" {
				return nil, Usagef(c.Name, "invalid value %q for --%s: want true or false", value, name)
			}
		} else if !hasValue {
			if i+1 >= len(args) {
				return nil, Usagef(c.Name, "flag --%s needs a value (%s)", name, f.Arg)
			}
			i++
			value = args[i]
		}
		if err := f.Set(value); err != nil {
			return nil, Usagef(c.Name, "invalid value %q for --%s: %v", value, name, err)
		}
	}
	return pos, nil
}

func (c *Command) lookup(name string) *Flag {
	for _, f := range c.Flags {
		if f.Name == name {
			return f
		}
	}
	return nil
}
