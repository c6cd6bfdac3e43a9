package main

import (
	"bytes"
	"fmt"
	"io"
	"slices"
	"strings"

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
	return simulator.Main(args, stdout, stderr)
}
