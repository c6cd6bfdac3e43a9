package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/meshd/meshd/bench/harness"
	"github.com/meshd/meshd/bench/hashicorp"
	"github.com/meshd/meshd/bench/meshsys"
)

// systems are the systems the command can measure, by name.
var systems = map[string]harness.System{
	"meshd":      meshsys.System{},
	"memberlist": hashicorp.Memberlist{},
	"serf":       hashicorp.Serf{},
}

// systemOrder is the default order: the baseline first.
var systemOrder = []string{"memberlist", "serf", "meshd"}

var errHelp = errors.New("help")

// config is the parsed command line.
type config struct {
	plan     harness.Plan
	out      string
	rerender string
	merge    []string
	note     string
}

// maxListItems bounds comma lists: more cluster sizes than this is a typo.
const maxListItems = 64

// parseList splits a comma list, trimming blanks and refusing empty items
// and duplicates.
func parseList(s string) ([]string, error) {
	if strings.TrimSpace(s) == "" {
		return nil, errors.New("empty list")
	}
	parts := strings.Split(s, ",")
	if len(parts) > maxListItems {
		return nil, fmt.Errorf("%d items, at most %d", len(parts), maxListItems)
	}
	out := make([]string, 0, len(parts))
	for _, p := range parts {
		p = strings.TrimSpace(p)
		if p == "" {
			return nil, fmt.Errorf("empty item in %q", s)
		}
		if slices.Contains(out, p) {
			return nil, fmt.Errorf("%q given twice", p)
		}
		out = append(out, p)
	}
	return out, nil
}

// parseNodes parses "16,64,128" into sizes of 2 to 1024 nodes.
func parseNodes(s string) ([]int, error) {
	items, err := parseList(s)
	if err != nil {
		return nil, err
	}
	out := make([]int, len(items))
	for i, it := range items {
		n, err := strconv.Atoi(it)
		if err != nil || n < 2 || n > 1024 {
			return nil, fmt.Errorf("%q is not a cluster size from 2 to 1024", it)
		}
		out[i] = n
	}
	return out, nil
}

// parseLoss parses a loss percentage ("10", "2.5") into a fraction.
func parseLoss(s string) (float64, error) {
	x, err := strconv.ParseFloat(strings.TrimSuffix(strings.TrimSpace(s), "%"), 64)
	if err != nil || x < 0 || x >= 100 || x != x {
		return 0, fmt.Errorf("%q is not a percentage in [0, 100)", s)
	}
	return x / 100, nil
}

// multi collects a repeatable flag.
type multi []string

func (m *multi) String() string     { return strings.Join(*m, " ") }
func (m *multi) Set(s string) error { *m = append(*m, s); return nil }

func parseFlags(args []string, stderr io.Writer) (config, error) {
	fs := flag.NewFlagSet("bench", flag.ContinueOnError)
	// Parse errors are reported as one line by the caller; the full usage
	// is printed only for --help.
	fs.SetOutput(io.Discard)
	def := harness.DefaultParams()
	var (
		sysFlag   = fs.String("systems", strings.Join(systemOrder, ","), "systems to measure: meshd, memberlist, serf")
		scenFlag  = fs.String("scenarios", strings.Join(harness.ScenarioOrder, ","), "scenarios: join, detect, loss, steady, churn")
		nodesFlag = fs.String("nodes", "16,64,128", "cluster sizes N")
		runs      = fs.Int("runs", 5, "runs R per system and size")
		out       = fs.String("out", "bench-out", "output directory")
		profile   = fs.String("profile", "lan", "timings for every system: "+strings.Join(harness.ProfileNames(), ", "))
		kill      = fs.Int("kill", def.Kill, "detect: nodes k stopped abruptly")
		lossFlag  = fs.String("loss", "10", "loss: datagrams dropped end to end, percent (X)")
		lossTime  = fs.Duration("loss-time", def.LossDuration, "loss: how long the loss lasts (T)")
		window    = fs.Duration("window", 0, "steady: window (T); 0 = one memberlist push-pull period at N, at least 30s")
		settle    = fs.Duration("settle", def.Settle, "steady: quiet time before the window")
		churnTime = fs.Duration("churn-time", def.ChurnTime, "churn: how long nodes keep leaving and joining")
		churnEv   = fs.Duration("churn-every", def.ChurnEvery, "churn: one leave and one join this often")
		poll      = fs.Duration("poll", def.Poll, "how often member lists of systems that show suspicion in them are polled (the built-in systems are sniffed on the wire instead)")
		timeout   = fs.Duration("timeout", 0, "bound on every convergence wait; 0 = derived from the profile and N")
		seed      = fs.Int64("seed", 1, "seed for victim choice, join targets and loss patterns")
		note      = fs.String("note", "", "free text for the report's header, e.g. the commit measured")
		rerender  = fs.String("rerender", "", "render report.md and plots again from DIR's JSON files, measure nothing")
		merge     = fs.String("merge", "", "combine the results of several runs, DIR,DIR,..., into --out (each size measured in one of them), measure nothing")
		sets      multi
	)
	fs.Var(&sets, "set", "override a profile field for all systems, key=value (repeatable), e.g. anti_entropy_interval=5s")
	fs.Usage = func() {
		fmt.Fprintln(fs.Output(), "usage: go run ./bench [flags]   (see docs/bench.md)\n\nexample:\n  go run ./bench --nodes 16 --runs 3 --profile local --out /tmp/bench\n\nflags:")
		fs.PrintDefaults()
	}
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			fs.SetOutput(stderr)
			fs.Usage()
			return config{}, errHelp
		}
		return config{}, fmt.Errorf("%w (see --help)", err)
	}
	if fs.NArg() > 0 {
		return config{}, fmt.Errorf("unexpected argument %q (flags only)", fs.Arg(0))
	}
	cfg := config{out: *out, rerender: *rerender, note: *note}
	if cfg.rerender != "" {
		return cfg, nil
	}
	if *merge != "" {
		dirs, err := parseList(*merge)
		if err != nil {
			return cfg, fmt.Errorf("--merge: %w", err)
		}
		cfg.merge = dirs
		return cfg, nil
	}
	p := &cfg.plan
	names, err := parseList(*sysFlag)
	if err != nil {
		return cfg, fmt.Errorf("--systems: %w", err)
	}
	for _, n := range names {
		s, ok := systems[n]
		if !ok {
			return cfg, fmt.Errorf("--systems: unknown system %q (known: %s)", n, strings.Join(systemOrder, ", "))
		}
		p.Systems = append(p.Systems, s)
	}
	if p.Scenarios, err = parseList(*scenFlag); err != nil {
		return cfg, fmt.Errorf("--scenarios: %w", err)
	}
	if p.Nodes, err = parseNodes(*nodesFlag); err != nil {
		return cfg, fmt.Errorf("--nodes: %w", err)
	}
	prof, ok := harness.Profiles[*profile]
	if !ok {
		return cfg, fmt.Errorf("--profile: unknown %q (known: %s)", *profile, strings.Join(harness.ProfileNames(), ", "))
	}
	for _, kv := range sets {
		if err := prof.Set(kv); err != nil {
			return cfg, fmt.Errorf("--set: %w", err)
		}
	}
	p.Profile = prof
	loss, err := parseLoss(*lossFlag)
	if err != nil {
		return cfg, fmt.Errorf("--loss: %w", err)
	}
	p.Params = harness.Params{
		Kill: *kill, Loss: loss, LossDuration: *lossTime, Settle: *settle, Window: *window,
		ChurnTime: *churnTime, ChurnEvery: *churnEv, Poll: *poll, Timeout: *timeout,
	}
	p.Runs, p.Seed = *runs, *seed
	if *out == "" {
		return cfg, errors.New("--out: empty")
	}
	if err := p.Validate(); err != nil {
		return cfg, err
	}
	return cfg, nil
}

// paramStrings lists the scenario knobs for meta.json and the report.
func paramStrings(p harness.Params) map[string]string {
	d := func(x time.Duration) string {
		if x == 0 {
			return "auto"
		}
		return x.String()
	}
	return map[string]string{
		"kill": strconv.Itoa(p.Kill), "loss": strconv.FormatFloat(p.Loss*100, 'g', -1, 64) + "%",
		"loss_time": p.LossDuration.String(), "window": d(p.Window), "settle": p.Settle.String(),
		"churn_time": p.ChurnTime.String(), "churn_every": p.ChurnEvery.String(),
		"poll": p.Poll.String(), "timeout": d(p.Timeout),
	}
}
