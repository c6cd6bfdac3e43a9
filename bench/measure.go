package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"os/signal"
	"runtime"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/meshd/meshd/bench/harness"
	"github.com/meshd/meshd/bench/report"
)

// measure runs the plan and writes the results; an interrupt (SIGINT,
// SIGTERM) stops it and writes what was measured.
func measure(cfg config, args []string, stdout, stderr io.Writer) int {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := os.MkdirAll(cfg.out, 0o755); err != nil {
		fmt.Fprintln(stderr, "bench: --out:", err)
		return 1
	}
	plan := cfg.plan
	meta := report.Meta{
		Command: "go run ./bench " + shellJoin(args), Note: cfg.note, Date: time.Now(), Machine: machine(),
		Profile: plan.Profile.Name, Timings: plan.Profile.Params(), Params: paramStrings(plan.Params),
		Nodes: plan.Nodes, Runs: plan.Runs,
	}
	for _, s := range plan.Systems {
		meta.Systems = append(meta.Systems, s.Name())
	}
	var (
		mu  sync.Mutex
		all []harness.Measurement
	)
	prog := newProgress(stderr)
	emit := func(m harness.Measurement) {
		mu.Lock()
		defer mu.Unlock()
		all = append(all, m)
		if !m.OK {
			prog.note(fmt.Sprintf("%s %s N=%d run %d failed: %s", m.System, m.Scenario, m.Nodes, m.Run, m.Error))
		}
		// Rewrite the JSON after every measurement: a long run that is
		// interrupted or crashes keeps everything measured so far.
		meta.Duration = time.Since(meta.Date).Round(time.Second).String()
		if err := report.WriteJSON(cfg.out, results(meta, all)); err != nil {
			prog.note("writing results: " + err.Error())
		}
	}
	runErr := harness.Run(ctx, plan, prog.update, emit)
	prog.done()

	mu.Lock()
	meta.Duration = time.Since(meta.Date).Round(time.Second).String()
	res := results(meta, all)
	mu.Unlock()
	if err := report.Write(cfg.out, res); err != nil {
		fmt.Fprintln(stderr, "bench: writing the report:", err)
		return 1
	}
	fmt.Fprintf(stdout, "wrote %s (%d measurements)\n", cfg.out, len(res.Rows))
	if runErr != nil {
		fmt.Fprintln(stderr, "bench:", runErr)
		return 1
	}
	return 0
}

func results(meta report.Meta, ms []harness.Measurement) report.Results {
	return report.Results{Meta: meta, Rows: report.Rows(ms), Series: report.SeriesOf(ms)}
}

// rerender renders report.md and the plots again from dir's JSON.
func rerender(dir string, stdout, stderr io.Writer) int {
	res, err := report.Load(dir)
	if err != nil {
		fmt.Fprintln(stderr, "bench: --rerender:", err)
		return 1
	}
	if err := report.Rerender(dir, res); err != nil {
		fmt.Fprintln(stderr, "bench: --rerender:", err)
		return 1
	}
	fmt.Fprintf(stdout, "rendered %s\n", dir)
	return 0
}

// merge combines the results in dirs into out.
func merge(dirs []string, out string, stdout, stderr io.Writer) int {
	var parts []report.Results
	for _, d := range dirs {
		r, err := report.Load(d)
		if err != nil {
			fmt.Fprintln(stderr, "bench: --merge:", err)
			return 1
		}
		parts = append(parts, r)
	}
	res, err := report.Merge(parts)
	if err != nil {
		fmt.Fprintln(stderr, "bench: --merge:", err)
		return 1
	}
	if err := report.Write(out, res); err != nil {
		fmt.Fprintln(stderr, "bench: --merge:", err)
		return 1
	}
	fmt.Fprintf(stdout, "merged %d results into %s\n", len(dirs), out)
	return 0
}

// machine describes this host for the report.
func machine() report.Machine {
	m := report.Machine{CPUs: runtime.NumCPU(), GoVersion: runtime.Version(), OS: runtime.GOOS, Arch: runtime.GOARCH}
	if b, err := os.ReadFile("/proc/cpuinfo"); err == nil {
		for _, line := range strings.Split(string(b), "\n") {
			if k, v, ok := strings.Cut(line, ":"); ok && strings.TrimSpace(k) == "model name" {
				m.CPUModel = strings.TrimSpace(v)
				break
			}
		}
	}
	if b, err := os.ReadFile("/proc/sys/kernel/osrelease"); err == nil {
		m.Kernel = strings.TrimSpace(string(b))
	}
	return m
}

// shellJoin quotes args that need it, for the command line in the report.
func shellJoin(args []string) string {
	out := make([]string, len(args))
	for i, a := range args {
		if a == "" || strings.ContainsAny(a, " \t\n'\"\\$`*?[]{}()<>|&;#~") {
			a = "'" + strings.ReplaceAll(a, "'", `'\''`) + "'"
		}
		out[i] = a
	}
	return strings.Join(out, " ")
}
