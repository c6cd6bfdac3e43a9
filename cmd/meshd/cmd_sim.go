package main

import (
	"bytes"
	"fmt"
	"io"
	"maps"
	"regexp"
	"slices"
	"strings"

	"github.com/meshd/meshd/cmd/meshd/internal/cli"
	"github.com/meshd/meshd/simulator"
)

const simExamples = `  meshd sim examples/sim/crash-5.yaml --seed 1 --out /tmp/sim
  meshd sim examples/sim/partition-heal-2000.yaml --seed 7 --out /tmp/heal
`

// cmdSim hands the command line to the simulator, which owns its flags.
func cmdSim(args []string, stdout, stderr io.Writer) int {
	if slices.ContainsFunc(args, func(a string) bool { return a == "-h" || a == "--help" || a == "-help" }) {
		var help bytes.Buffer
		if simulator.Main([]string{"--help"}, &help, io.Discard) == 0 {
			stdout.Write(help.Bytes())
			if !strings.Contains(help.String(), "Example") {
				fmt.Fprint(stdout, "\nExamples:\n"+simExamples)
			}
			return 0
		}
		// The simulator did not answer --help: say what the contract says.
		fmt.Fprint(stdout, `Usage: meshd sim SCENARIO.yaml [--seed N] [--out DIR]

Runs the real engine core over a virtual network with a virtual clock:
partitions, loss, latency, crashes and slow nodes at thousands of nodes,
deterministically. Writes DIR/summary.json (nodes, seed, converged_at_s,
false_positives, messages, bytes, trace_hash), timeline.csv and plots.

Flags:
  --seed N    random seed; the same scenario and seed give the same trace_hash
  --out DIR   output directory
  -h, --help  show this help

Examples:
`+simExamples)
		return 0
	}
	w := &simStderr{w: stderr}
	return simulator.Main(args, stdout, w)
}

// simStderr speaks meshd's command-line language for the simulator, whose
// flags are Go flag package ones: the first line it writes, when it is one
// of that package's parse errors ("flag provided but not defined: -sed"),
// becomes the one line every other meshd command prints for a bad flag,
// and the usage dump that follows it is dropped ('meshd sim --help' shows
// it). Anything else passes through untouched.
type simStderr struct {
	w       io.Writer
	started bool // the first write was seen
	swallow bool // it was a flag error: the rest is the usage dump
}

func (s *simStderr) Write(p []byte) (int, error) {
	if s.swallow {
		return len(p), nil
	}
	if !s.started {
		s.started = true
		if msg, ok := simFlagError(strings.TrimRight(string(p), "\n")); ok {
			s.swallow = true
			fmt.Fprintln(s.w, msg)
			return len(p), nil
		}
	}
	return s.w.Write(p)
}

// goFlagErrors are the flag package's parse errors, with the flag name as
// the first group and the bad value, if any, as the second.
var goFlagErrors = []struct {
	re     *regexp.Regexp
	format func(name, value string) string
}{
	{regexp.MustCompile(`^flag provided but not defined: -+(\S+)$`), func(n, _ string) string {
		msg := "unknown flag --" + n
		if best := cli.Closest(n, slices.Sorted(maps.Keys(simFlags()))); best != "" {
			msg += "; did you mean --" + best + "?"
		}
		return msg
	}},
	{regexp.MustCompile(`^invalid (?:boolean )?value "(.*)" for (?:flag )?-+([^:\s]+): (.*)$`), nil},
	{regexp.MustCompile(`^flag needs an argument: -+(\S+)$`), func(n, _ string) string { return "flag --" + n + " needs a value" }},
	{regexp.MustCompile(`^bad flag syntax: (.*)$`), func(a, _ string) string { return fmt.Sprintf("bad flag %q", a) }},
}

// simFlagError rewrites a flag package error line; ok is false for any
// other line.
func simFlagError(line string) (string, bool) {
	for _, e := range goFlagErrors {
		m := e.re.FindStringSubmatch(line)
		if m == nil {
			continue
		}
		var msg string
		if e.format == nil { // invalid value: the value, then the name
			want := map[string]string{"int": "want an integer", "duration": "want a duration such as 30s", "": "want true or false"}[simFlags()[m[2]]]
			if want == "" {
				want = strings.TrimPrefix(m[3], "parse error")
			}
			msg = fmt.Sprintf("invalid value %q for --%s: %s", m[1], m[2], want)
		} else {
			msg = e.format(m[1], "")
		}
		return cli.Usagef("sim", "%s", msg).Error(), true
	}
	return "", false
}

// simFlags are the simulator's flags and the type its --help shows for
// each ("int", "duration", "string"; "" for a boolean).
func simFlags() map[string]string {
	var help bytes.Buffer
	simulator.Main([]string{"--help"}, &help, io.Discard)
	flags := map[string]string{}
	for _, m := range regexp.MustCompile(`(?m)^  -{1,2}([a-z][a-z0-9-]*)(?: (\w+))?$`).FindAllStringSubmatch(help.String(), -1) {
		flags[m[1]] = m[2]
	}
	return flags
}
