// Command bench measures meshd against hashicorp/memberlist and
// hashicorp/serf: N nodes of one system at a time in this process on
// 127.0.0.1, the same profile timings for all, and the same scenarios:
//
//   - join: N nodes join through one seed; seconds until every node sees N alive
//   - detect: k nodes stop abruptly; seconds until the first survivor suspects
//     one, and until every survivor declared them all failed
//   - loss: X% of datagrams dropped for T seconds; live nodes declared failed
//     (false positives) and how long they stayed so
//   - steady: payload bytes sent per node per second in an idle cluster
//   - churn: nodes leave and join continuously; lag until every view is right
//
// Usage:
//
//	go run ./bench [--systems meshd,memberlist,serf] [--scenarios join,detect,loss,steady,churn]
//	               [--nodes 16,64,128] [--runs 5] [--out DIR] [--profile lan|local|fast]
//	               [--set key=value ...] [--kill 3] [--loss 10] [--loss-time 30s]
//	               [--window 0] [--settle 15s] [--churn-time 30s] [--churn-every 2s]
//	               [--poll 25ms] [--timeout 0] [--seed 1]
//	go run ./bench --rerender DIR
//	go run ./bench --merge DIR1,DIR2 --out DIR
//
// It writes DIR/results.json (one row per system, scenario and N: median,
// min, max and p90 over runs, and the ratio to memberlist), DIR/series.json,
// DIR/meta.json, DIR/report.md and PNG plots, and prints a progress line
// while it runs. results.json is rewritten after every measurement, so an
// interrupted run keeps what it measured. --rerender renders report.md and
// the plots again from a directory's JSON files; --merge combines runs that
// measured different cluster sizes (a long benchmark run in parts).
//
// Every timing comes from one profile applied to all systems (see
// docs/bench.md for the field-by-field mapping); --set changes a field for
// all of them at once, never for one. Loss is applied by each node's
// transport wrapper, split between its send and receive paths so that X% is
// the end-to-end datagram loss for every system.
//
// For results that are not disturbed by other traffic, run the built binary
// in a network namespace that holds only loopback:
//
//	go build -o /tmp/bench ./bench
//	unshare -n sh -c 'ip link set lo up; exec /tmp/bench --runs 5 --out /tmp/bench-out'
package main

import (
	"fmt"
	"io"
	"os"
)

func main() {
	os.Exit(run(os.Args[1:], os.Stdout, os.Stderr))
}

// run is the command; it returns the exit status: 0 done, 1 failed,
// 2 bad usage.
func run(args []string, stdout, stderr io.Writer) int {
	cfg, err := parseFlags(args, stderr)
	if err != nil {
		if err == errHelp {
			return 0
		}
		fmt.Fprintln(stderr, "bench:", err)
		return 2
	}
	if cfg.rerender != "" {
		return rerender(cfg.rerender, stdout, stderr)
	}
	if len(cfg.merge) > 0 {
		return merge(cfg.merge, cfg.out, stdout, stderr)
	}
	return measure(cfg, args, stdout, stderr)
}
