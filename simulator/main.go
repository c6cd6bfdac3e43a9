package simulator

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"strconv"
	"time"
)

const usage = `usage: meshd sim SCENARIO.yaml [--seed N] [--out DIR] [--nodes N] [--duration D] [--max-heap SIZE] [--quiet]

Runs the scenario on the real engine core over a virtual network with a
virtual clock, prints a summary, and with --out writes DIR/summary.json,
DIR/timeline.csv, DIR/convergence.png and DIR/traffic.png.
The scenario format is documented in docs/simulator.md.

Examples:
  meshd sim examples/sim/crash-5.yaml --seed 1 --out /tmp/sim
  meshd sim examples/sim/rack-drop.yaml --nodes 200 --duration 60s   (a quick short form)
  meshd sim examples/sim/scale-10k.yaml --max-heap 14GiB --out /tmp/scale

Flags:
`

// Main runs `meshd sim ARGS...` and returns the process exit status: 0 on
// success, 1 when the run failed, 2 for bad arguments or a bad scenario.
func Main(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("meshd sim", flag.ContinueOnError)
	fs.SetOutput(stderr)
	seedFlag := fs.String("seed", "", "random seed (default: the scenario's seed)")
	out := fs.String("out", "", "directory for summary.json, timeline.csv and the plots (created if missing)")
	nodes := fs.Int("nodes", 0, "short form: scale the scenario down to this many nodes (node ranges scale along)")
	dur := fs.Duration("duration", 0, "short form: scale the scenario's timeline to this duration")
	quiet := fs.Bool("quiet", false, "no progress bar")
	maxHeap := fs.String("max-heap", "", "stop the run, reporting how far it got, when the live heap nears this size (e.g. 14GiB)")
	fs.Usage = func() {
		fmt.Fprint(fs.Output(), usage)
		fs.PrintDefaults()
	}
	// Flags may come before or after the scenario path.
	var positional []string
	rest := args
	for {
		if err := fs.Parse(rest); err != nil {
			if errors.Is(err, flag.ErrHelp) {
				fs.SetOutput(stdout)
				fs.Usage()
				return 0
			}
			return 2
		}
		rest = fs.Args()
		if len(rest) == 0 {
			break
		}
		positional = append(positional, rest[0])
		rest = rest[1:]
	}
	if len(positional) != 1 {
		fmt.Fprintln(stderr, "meshd sim: want exactly one scenario file")
		fs.Usage()
		return 2
	}
	opt := Options{}
	if *seedFlag != "" {
		s, err := strconv.ParseInt(*seedFlag, 10, 64)
		if err != nil {
			fmt.Fprintf(stderr, "meshd sim: --seed %q is not a 64-bit integer\n", *seedFlag)
			return 2
		}
		opt.Seed, opt.HasSeed = s, true
	}
	var heapLimit uint64
	if *maxHeap != "" {
		limit, err := parseSize(*maxHeap)
		if err != nil {
			fmt.Fprintln(stderr, "meshd sim: --max-heap:", err)
			return 2
		}
		heapLimit = limit
	}
	sc, err := Load(positional[0])
	if err != nil {
		fmt.Fprintln(stderr, "meshd sim:", err)
		return 2
	}
	if *nodes != 0 || *dur != 0 {
		if sc, err = sc.Scaled(*nodes, *dur); err != nil {
			fmt.Fprintln(stderr, "meshd sim:", err)
			return 2
		}
	}
	var guard *heapGuard
	if heapLimit > 0 {
		guard = newHeapGuard(heapLimit)
		defer guard.release()
		opt.Abort = guard.check
	}
	var bar *progressBar
	if !*quiet {
		bar = newProgressBar(stderr, time.Now)
		opt.Progress = bar.update
	}
	res, err := Run(sc, opt)
	if bar != nil {
		bar.finish()
	}
	if err != nil {
		fmt.Fprintln(stderr, "meshd sim:", err)
		return 1
	}
	writeTable(stdout, sc, res)
	if guard != nil {
		fmt.Fprintf(stdout, "peak live heap after GC: %s (--max-heap %s)\n", humanBytes(float64(guard.peak)), *maxHeap)
	}
	if *out == "" {
		fmt.Fprintln(stdout, "\n(no --out DIR: summary.json, timeline.csv and plots not written)")
		return 0
	}
	files, err := WriteOutputs(*out, sc, res)
	if err != nil {
		fmt.Fprintln(stderr, "meshd sim:", err)
		return 1
	}
	fmt.Fprintln(stdout)
	for _, f := range files {
		fmt.Fprintln(stdout, "wrote", f)
	}
	return 0
}
