// Package report turns the harness's measurements into the benchmark's
// output contract: DIR/results.json (a list of rows, one per system,
// scenario and cluster size, with the median, min, max and p90 over runs
// and the ratio to memberlist), DIR/series.json (the time series behind the
// plots), DIR/meta.json (command, machine, date, profile), DIR/report.md
// (the same as tables, with the goals checked) and PNG plots made with
// gonum/plot: join convergence over time, steady bytes per node per second
// against N, the steady timeline, and detection time against N.
//
// Report can be rendered again from a directory's JSON files alone
// (Load then Write), so tables and plots can be regenerated without
// measuring again.
package report
