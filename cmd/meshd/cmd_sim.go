package main

import (
	"fmt"
	"io"
	"slices"

	"github.com/meshd/meshd/simulator"
)

// cmdSim hands the command line to the simulator, which owns its flags.
func cmdSim(args []string, stdout, stderr io.Writer) int {
	if slices.ContainsFunc(args, func(a string) bool { return a == "-h" || a == "--help" || a == "-help" }) {
		if simulator.Main([]string{"--help"}, stdout, io.Discard) == 0 {
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
  meshd sim examples/sim/partition.yaml --seed 1 --out /tmp/sim
`)
		return 0
	}
	return simulator.Main(args, stdout, stderr)
}
