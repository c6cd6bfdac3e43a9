package simulator

import (
	"flag"
	"fmt"
	"math"
	"math/rand/v2"
	"os"
	"strconv"
	"strings"
	"testing"
	"time"
)

// The randomized fault-schedule test (Jepsen's idea, on the real core): a
// seed draws a cluster of 50 to 200 nodes and a schedule of fault phases
// (partitions, one-way cuts, loss bursts, crashes, restarts of crashed or
// left nodes with the same name at the same or a new address, graceful
// leaves), each followed by a heal and a quiet stretch. Two invariants:
//
//   - Convergence: after every heal, every live member sees every live
//     member alive (and no one else) within the bound chaosBound derives
//     from the protocol's parameters, and the views stay so until the next
//     phase.
//   - No false failure: a live member may be declared dead by a node the
//     network joins to it both ways only if every datagram to it, or every
//     datagram from it, was dropped for at least ProbeInterval ×
//     AwarenessMaxMultiplier plus the minimum suspicion timeout at that
//     size. Verdicts while a loss burst runs (or soon after, within that
//     same bound) are false positives of partial loss: counted and
//     reported, not asserted to be zero.
//
// go test ./simulator -run TestChaos runs the fixed seeds and one fresh
// seed (from the clock); a failure names its seed, and
//
//	go test ./simulator -run TestChaos -v -args -chaos.seed=N [-chaos.nodes=M]
//
// (or MESHD_CHAOS_SEED=N) replays it. -chaos.nodes fixes the size, e.g. 200
// for the largest schedules, which CI does not run under -race.
var (
	chaosSeed  = flag.Int64("chaos.seed", 0, "run only this seed of TestChaos (also MESHD_CHAOS_SEED)")
	chaosNodes = flag.Int("chaos.nodes", 0, "TestChaos cluster size (default: drawn by the seed, smaller in -short)")
	chaosSeeds = flag.Int("chaos.seeds", 0, "run seeds 1..N of TestChaos instead of the fixed ones and a fresh one")
)

// chaosFixedSeeds run on every CI run, beside one fresh seed.
var chaosFixedSeeds = []int64{1, 2, 3}

func TestChaos(t *testing.T) {
	seeds := append([]int64(nil), chaosFixedSeeds...)
	seeds = append(seeds, time.Now().UnixNano()%1_000_000_000)
	if *chaosSeeds > 0 {
		seeds = seeds[:0]
		for s := int64(1); s <= int64(*chaosSeeds); s++ {
			seeds = append(seeds, s)
		}
	}
	if v := os.Getenv("MESHD_CHAOS_SEED"); v != "" {
		s, err := strconv.ParseInt(v, 10, 64)
		if err != nil {
			t.Fatalf("MESHD_CHAOS_SEED=%q: %v", v, err)
		}
		seeds = []int64{s}
	}
	if *chaosSeed != 0 {
		seeds = []int64{*chaosSeed}
	}
	for _, seed := range seeds {
		t.Run(fmt.Sprintf("seed=%d", seed), func(t *testing.T) {
			t.Parallel()
			runChaos(t, seed)
		})
	}
}

func runChaos(t *testing.T, seed int64) {
	nodes := *chaosNodes
	if nodes == 0 {
		r := rand.New(rand.NewPCG(uint64(seed), 0x5eed))
		// Under -race every step costs ten times more: CI draws from the
		// small end of the range, -chaos.nodes reaches the rest.
		nodes = 50 + r.IntN(31)
	}
	s := newChaosSchedule(seed, nodes)
	replay := fmt.Sprintf("replay: go test ./simulator -run TestChaos -v -args -chaos.seed=%d -chaos.nodes=%d", seed, nodes)
	sc, err := Parse([]byte(s.yaml()), fmt.Sprintf("chaos-%d.yaml", seed))
	if err != nil {
		t.Fatalf("seed %d: generated scenario does not parse: %v\n%s", seed, err, s.yaml())
	}
	b := chaosBounds(sc)
	var violations, lossy, late []FalseVerdict
	opt := Options{falseVerdict: func(v FalseVerdict) {
		switch {
		case s.lossyAt(v.At, int64(b.silence)):
			lossy = append(lossy, v)
		case v.SilentIn >= int64(b.silence) || v.SilentOut >= int64(b.silence):
			// cut off long enough: a true verdict about a member that came back
		case s.lateAcross(v, int64(b.spread)):
			late = append(late, v)
		default:
			violations = append(violations, v)
		}
	}}
	r, err := Run(sc, opt)
	if err != nil {
		t.Fatalf("seed %d: run: %v\n%s", seed, err, replay)
	}
	t.Logf("seed %d: %d nodes, %d phases, %.0fs simulated; silence bound %v, convergence bound %v; "+
		"%d false verdicts under loss, %d partition verdicts (%d of them taken up to %v after the heal), %d suspicions, %d refutations",
		seed, nodes, len(s.phases), sc.Duration.Seconds(), b.silence, b.converge,
		len(lossy), r.PartitionVerdicts+len(late), len(late), b.spread, r.Suspicions, r.Refutations)
	failed := false
	for _, v := range violations {
		failed = true
		t.Errorf("seed %d: at %s node-%d declared live node-%d dead, reachable both ways, silent only %v in, %v out (bound %v)",
			seed, fmtSeconds(v.At), v.Observer, v.Member, time.Duration(v.SilentIn), time.Duration(v.SilentOut), b.silence)
		if len(violations) > 10 {
			t.Errorf("... %d more", len(violations)-10)
			break
		}
	}
	for _, a := range r.Actions {
		if a.Label != "heal" {
			continue
		}
		if a.ConvergedAfterS == nil || *a.ConvergedAfterS > b.converge.Seconds() {
			failed = true
			got := "views still wrong at the next phase"
			if a.ConvergedAfterS != nil {
				got = fmt.Sprintf("converged %.1fs after", *a.ConvergedAfterS)
			}
			t.Errorf("seed %d: heal at %.1fs: %s, bound %v", seed, a.AtS, got, b.converge)
		}
	}
	if r.ConvergedAtS == nil {
		failed = true
		t.Errorf("seed %d: not converged at the end (%d of %d live views correct)", seed, r.CorrectAtEnd, r.LiveAtEnd)
	}
	if failed {
		t.Logf("%s\nscenario:\n%s", replay, s.yaml())
	}
}

// bounds are the invariants' limits, derived from the scenario's timing.
type bounds struct {
	// silence: no member is declared dead before it has been cut off this
	// long: one probe at the worst local health (ProbeInterval ×
	// AwarenessMaxMultiplier) plus the shortest suspicion timeout.
	silence time.Duration
	// converge: after a heal every view is right within this long.
	converge time.Duration
	// spread: how long gossip takes to reach every node.
	spread time.Duration
}

// chaosBounds derives the bounds from the scenario's parameters. A live
// member held dead somewhere is contacted within a reconnect or poll
// interval (each holder tries one dead member per ReconnectInterval, each
// node re-joins the seeds it does not see alive every PollInterval; both
// jittered by up to 25%), refutes, and its refutation reaches every node by
// gossip or, where gossip missed, by the next anti-entropy exchange
// (AntiEntropyInterval, jittered). A member that crashed or left during the
// phase is dead to every node once it has been probed (a probe cycle at
// the worst local health), its suspicion has run out (at most the maximum
// timeout, when no one confirms it) and the verdict has spread (gossip,
// then anti-entropy). Gossip spreads in about log_GossipNodes(N) rounds;
// twice that is allowed.
func chaosBounds(sc *Scenario) bounds {
	p := sc.Params
	n := float64(sc.Nodes)
	scale := math.Max(1, math.Log10(n))
	minSusp := time.Duration(float64(p.SuspicionMult) * scale * float64(p.ProbeInterval))
	maxSusp := minSusp * time.Duration(max(1, p.SuspicionMaxTimeoutMult))
	probe := p.ProbeInterval * time.Duration(max(1, p.AwarenessMaxMultiplier))
	jit := func(d time.Duration) time.Duration { return d * 5 / 4 }
	rounds := 2 * math.Ceil(math.Log(n)/math.Log(float64(max(2, p.GossipNodes))))
	gossip := time.Duration(rounds) * p.GossipInterval
	spread := gossip + jit(p.AntiEntropyInterval)
	contact := jit(max(p.ReconnectInterval, p.PollInterval))
	detect := probe + maxSusp
	return bounds{
		silence:  probe + minSusp,
		converge: max(contact+spread, detect+spread) + spread,
		spread:   gossip,
	}
}

// chaosSchedule is one drawn timeline of fault phases.
type chaosSchedule struct {
	seed   int64
	nodes  int
	phases []chaosPhase
	end    time.Duration
	quiet  time.Duration
}

type chaosPhase struct {
	at, dur time.Duration
	events  []string // YAML event lines (without the leading "- ")
	loss    bool
	// side[i] is node i's side of the phase's partition (nil: none);
	// cutFrom -> cutTo is its one-way cut (nil: none).
	side           []int
	cutFrom, cutTo map[int]bool
}

// separated reports whether the phase's partition or cut stood between a
// and b, in either direction.
func (p *chaosPhase) separated(a, b int) bool {
	if p.side != nil && p.side[a] != p.side[b] {
		return true
	}
	return (p.cutFrom[a] && p.cutTo[b]) || (p.cutFrom[b] && p.cutTo[a])
}

// cutOff reports whether the phase's partition or cut kept x from some node.
func (p *chaosPhase) cutOff(x, nodes int) bool {
	for y := range nodes {
		if y != x && p.separated(x, y) {
			return true
		}
	}
	return false
}

// lateAcross reports whether v may be a verdict made across a partition or
// cut that was still in flight as the network healed: taken within grace
// (the time gossip needs to reach every node) after the heal, about a
// member the fault kept from part of the cluster. Its declarer could not
// reach the member, as a detector should conclude; the simulator does not
// see who declared, so such verdicts are counted apart (and reported), not
// taken for failures wrongly found. A verdict taken later than that, or
// about a member no fault touched, is a violation.
func (s *chaosSchedule) lateAcross(v FalseVerdict, grace int64) bool {
	for i := range s.phases {
		p := &s.phases[i]
		heal := int64(p.at + p.dur)
		if v.At >= heal && v.At <= heal+grace && p.cutOff(int(v.Member), s.nodes) {
			return true
		}
	}
	return false
}

// lossyAt reports whether a loss burst ran at virtual time at, or ended
// less than grace before it.
func (s *chaosSchedule) lossyAt(at, grace int64) bool {
	for _, p := range s.phases {
		if p.loss && at >= int64(p.at) && at <= int64(p.at+p.dur)+grace {
			return true
		}
	}
	return false
}

func newChaosSchedule(seed int64, nodes int) *chaosSchedule {
	r := rand.New(rand.NewPCG(uint64(seed), 0xc4a05))
	s := &chaosSchedule{seed: seed, nodes: nodes}
	// The quiet stretch after each heal must hold the convergence bound.
	probe, _ := Parse([]byte(s.header(time.Minute)), "bounds.yaml")
	s.quiet = chaosBounds(probe).converge + 5*time.Second
	short := chaosBounds(probe).silence / 3

	status := make([]byte, nodes) // 'l' live, 'c' crashed, 'g' gone (left)
	for i := range status {
		status[i] = 'l'
	}
	pickLive := func(k int) []int {
		var live []int
		for i, st := range status {
			if st == 'l' && i != 0 && i != nodes/2 { // the seeds stay up
				live = append(live, i)
			}
		}
		r.Shuffle(len(live), func(i, j int) { live[i], live[j] = live[j], live[i] })
		return live[:min(k, len(live))]
	}
	at := 5 * time.Second
	phases := 3 + r.IntN(2)
	for range phases {
		p := chaosPhase{at: at}
		if r.IntN(2) == 0 {
			p.dur = time.Second + time.Duration(r.Int64N(int64(short)))
		} else {
			p.dur = 15*time.Second + time.Duration(r.Int64N(int64(20*time.Second)))
		}
		// Bring back some of the nodes that earlier phases took down:
		// their deaths are known everywhere by now (the quiet stretch).
		for i, st := range status {
			if st == 'l' || r.IntN(2) == 0 {
				continue
			}
			mode := ""
			switch k := r.IntN(3); {
			case k == 1 && st == 'c':
				mode = ", keep_state: true"
			case k == 2:
				mode = ", new_address: true"
			}
			p.add(at, fmt.Sprintf("{at: %s, restart: %d%s}", dur(at), i, mode))
			status[i] = 'l'
		}
		kinds := r.Perm(5)[:1+r.IntN(3)]
		for _, k := range kinds {
			switch k {
			case 0: // partition into two or three sides, every node on one
				sides := 2 + r.IntN(2)
				groups := make([][]int, sides)
				p.side = make([]int, nodes)
				for i := range nodes {
					g := r.IntN(sides)
					groups[g] = append(groups[g], i)
					p.side[i] = g
				}
				var parts []string
				for _, g := range groups {
					parts = append(parts, "["+ints(g)+"]")
				}
				p.add(at, fmt.Sprintf("{at: %s, partition: [%s]}", dur(at), strings.Join(parts, ", ")))
			case 1: // one-way cut between two random sets
				perm := r.Perm(nodes)
				a := nodes/10 + r.IntN(nodes*3/10)
				b := nodes/10 + r.IntN(nodes*3/10)
				p.cutFrom, p.cutTo = map[int]bool{}, map[int]bool{}
				for _, x := range perm[:a] {
					p.cutFrom[x] = true
				}
				for _, x := range perm[a : a+b] {
					p.cutTo[x] = true
				}
				p.add(at, fmt.Sprintf("{at: %s, cut: {from: [%s], to: [%s]}}", dur(at), ints(perm[:a]), ints(perm[a:a+b])))
			case 2: // loss burst on every link
				p.loss = true
				p.add(at, fmt.Sprintf("{at: %s, loss: %d%%}", dur(at), 5+r.IntN(21)))
				p.add(at+p.dur, fmt.Sprintf("{at: %s, loss: 0%%}", dur(at+p.dur)))
			case 3: // crashes, somewhere in the phase
				for _, x := range pickLive(1 + r.IntN(3)) {
					t := at + time.Duration(r.Int64N(int64(p.dur)))
					p.add(t, fmt.Sprintf("{at: %s, crash: %d}", dur(t), x))
					status[x] = 'c'
				}
			case 4: // graceful leaves
				for _, x := range pickLive(1 + r.IntN(2)) {
					t := at + time.Duration(r.Int64N(int64(p.dur)))
					p.add(t, fmt.Sprintf("{at: %s, leave: %d}", dur(t), x))
					status[x] = 'g'
				}
			}
		}
		// Every phase ends in a heal (a no-op without partition or cut), so
		// the convergence bound is checked after each.
		p.add(at+p.dur, fmt.Sprintf("{at: %s, heal}", dur(at+p.dur)))
		s.phases = append(s.phases, p)
		at += p.dur + s.quiet
	}
	s.end = at
	return s
}

func (p *chaosPhase) add(_ time.Duration, ev string) { p.events = append(p.events, ev) }

// header is the scenario without its events.
func (s *chaosSchedule) header(duration time.Duration) string {
	return fmt.Sprintf(`name: chaos-%d
nodes: %d
duration: %s
seed: %d
profile: lan
formed: true
seeds: [0, %d]
network:
  latency: {base: 200us, jitter: 800us}
`, s.seed, s.nodes, dur(duration), s.seed, s.nodes/2)
}

// yaml is the whole scenario, as a file `meshd sim` runs too.
func (s *chaosSchedule) yaml() string {
	var b strings.Builder
	b.WriteString(s.header(s.end))
	b.WriteString("events:\n")
	for _, p := range s.phases {
		for _, ev := range p.events {
			b.WriteString("  - " + ev + "\n")
		}
	}
	return b.String()
}

func dur(d time.Duration) string { return d.Round(time.Millisecond).String() }

func ints(xs []int) string {
	parts := make([]string, len(xs))
	for i, x := range xs {
		parts[i] = strconv.Itoa(x)
	}
	return strings.Join(parts, ", ")
}
