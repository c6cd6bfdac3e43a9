package simulator

import (
	"path/filepath"
	"testing"
	"time"

	"go.uber.org/goleak"
)

// These tests drive the real core (internal/core), as `meshd sim` does.

func runCore(t *testing.T, sc *Scenario, opt Options) *Result {
	t.Helper()
	r, err := Run(sc, opt)
	if err != nil {
		t.Fatalf("run: %v", err)
	}
	return r
}

func TestCoreDeterminism(t *testing.T) {
	sc := mustParse(t, `
nodes: 80
duration: 40s
encrypt: true
start_over: 2s
seeds: [0, 40]
network:
  latency: {distribution: lognormal, mean: 2ms, stddev: 1ms}
  loss: 2%
  duplicate: 1%
  reorder: 5%
events:
  - at: 10s
    crash: 5%
  - at: 15s
    partition: [[0-39], [40-79]]
  - at: 25s
    heal:
  - at: 28s
    restart: crashed
`)
	a := runCore(t, sc, Options{})
	b := runCore(t, sc, Options{})
	if a.TraceHash != b.TraceHash {
		t.Fatalf("same scenario and seed, different trace hashes: %s and %s", a.TraceHash, b.TraceHash)
	}
	if a.Messages != b.Messages || a.Bytes != b.Bytes || a.Events != b.Events || a.FalsePositives != b.FalsePositives {
		t.Fatalf("same hash but different figures: %+v vs %+v", a, b)
	}
	c := runCore(t, sc, Options{Seed: 99, HasSeed: true})
	if c.TraceHash == a.TraceHash {
		t.Fatalf("another seed gave the same trace hash %s", a.TraceHash)
	}
	if a.Messages == 0 || a.Delivered == 0 || a.Dropped["loss"] == 0 || a.Dropped["partition"] == 0 {
		t.Fatalf("the run did not exercise the network: %+v", a)
	}
}

// A 200-node cluster split in two heals into one cluster, with no live
// member left dead anywhere.
func TestCorePartitionHeals(t *testing.T) {
	sc := mustParse(t, `
nodes: 200
duration: 120s
start_over: 5s
seeds: [0, 100]
events:
  - at: 20s
    partition: [[0-99], [100-199]]
  - at: 50s
    heal:
`)
	r := runCore(t, sc, Options{})
	if r.PartitionVerdicts == 0 {
		t.Fatalf("the halves never declared each other dead: the partition was not felt")
	}
	if r.Actions[0].ConvergedAfterS != nil {
		t.Fatalf("views counted correct during the partition: %+v", r.Actions[0])
	}
	if r.ConvergedAtS == nil || *r.ConvergedAtS < 50 {
		t.Fatalf("no single cluster after the heal: converged_at %v, %d of %d views correct", r.ConvergedAtS, r.CorrectAtEnd, r.LiveAtEnd)
	}
	if r.LiveAtEnd != 200 || r.CorrectAtEnd != 200 || r.FalsePositivesOpenAtEnd != 0 {
		t.Fatalf("at the end: %d live, %d correct, %d members still held dead", r.LiveAtEnd, r.CorrectAtEnd, r.FalsePositivesOpenAtEnd)
	}
	if last := r.Timeline[len(r.Timeline)-1]; last.CorrectFraction != 1 {
		t.Fatalf("last sample %+v", last)
	}
	t.Logf("healed %.1fs after the heal; %d verdicts across the partition, %d false positive episodes after it",
		*r.ConvergedAtS-50, r.PartitionVerdicts, r.FalsePositives)
}

// A formed cluster starts converged, sends no join traffic, detects a crash
// like any other, and still lets a new node join through the seeds.
func TestCoreFormedStart(t *testing.T) {
	sc := mustParse(t, `
nodes: 301
duration: 40s
formed: true
start: 0-299
seeds: [0]
events:
  - at: 5s
    crash: 10-14
  - at: 10s
    join: 300
`)
	r := runCore(t, sc, Options{})
	if r.FirstConvergedAtS == nil || *r.FirstConvergedAtS != 0 {
		t.Fatalf("a formed cluster is not converged at once: first converged at %v", r.FirstConvergedAtS)
	}
	if len(r.Crashes) != 5 {
		t.Fatalf("%d crashes, want 5", len(r.Crashes))
	}
	for _, c := range r.Crashes {
		if c.AllKnowS == nil {
			t.Fatalf("crash of %s never known to all", c.Name)
		}
	}
	if r.LiveAtEnd != 296 || r.CorrectAtEnd != 296 || r.FalsePositives != 0 {
		t.Fatalf("at the end: %d live, %d correct, %d false positives", r.LiveAtEnd, r.CorrectAtEnd, r.FalsePositives)
	}
	sc.Formed = false
	boot := runCore(t, sc, Options{})
	if r.Bytes >= boot.Bytes {
		t.Errorf("the formed start sent %d bytes, the booted one %d: the formation was not skipped", r.Bytes, boot.Bytes)
	}
}

// Lifeguard's local health multiplier (awareness) is meant for slow nodes:
// a slow node's own probes time out, and without local health it accuses
// healthy peers at full speed. Here a quarter of the cluster (nodes 0-15)
// handles every datagram 3 s late while 20% of packets are lost, so some
// accusations outrun their refutation. A false positive, as in the Lifeguard
// paper, is a healthy member declared dead: the slow members answer 3 s
// late and no local change can make them answer in time. Over six seeds,
// local health on must give fewer suspicions, no more healthy members
// declared dead, and fewer members declared dead in all (the slow ones
// counted) than off. Since refuted nodes re-announce while a stale
// suspicion of them still circulates, healthy members are no longer
// declared dead here even with local health off, so that count can only
// tie. The direction is asserted, not a figure; the sum over seeds keeps
// one lucky run from deciding it.
func TestCoreLifeguardLocalHealth(t *testing.T) {
	if testing.Short() {
		t.Skip("twelve runs of a 64-node slow-node scenario")
	}
	sc := mustParse(t, `
nodes: 64
duration: 120s
profile: lan
start_over: 5s
groups:
  overloaded: 0-15
events:
  - at: 20s
    slow: overloaded
    delay: 3s
    for: 80s
  - at: 20s
    loss: 20%
`)
	if sc.Params.AwarenessMaxMultiplier <= 1 {
		t.Fatalf("the LAN profile must have local health on, has multiplier %d", sc.Params.AwarenessMaxMultiplier)
	}
	const slow = 16
	healthyFP := func(r *Result) int {
		n := 0
		for _, ep := range r.Episodes {
			if ep.Node >= slow {
				n++
			}
		}
		return n
	}
	off := *sc
	off.Params.AwarenessMaxMultiplier = 1
	var fpOn, fpOff, allOn, allOff int
	var suspOn, suspOff uint64
	for seed := int64(1); seed <= 6; seed++ {
		on := runCore(t, sc, Options{Seed: seed, HasSeed: true})
		o := runCore(t, &off, Options{Seed: seed, HasSeed: true})
		fpOn, fpOff = fpOn+healthyFP(on), fpOff+healthyFP(o)
		allOn, allOff = allOn+on.FalsePositives, allOff+o.FalsePositives
		suspOn, suspOff = suspOn+on.Suspicions, suspOff+o.Suspicions
	}
	t.Logf("local health on: %d healthy members declared dead (%d with the slow ones), %d suspicions; off: %d (%d), %d",
		fpOn, allOn, suspOn, fpOff, allOff, suspOff)
	if suspOn >= suspOff {
		t.Fatalf("local health on raised %d suspicions, off %d: want fewer with it on", suspOn, suspOff)
	}
	if fpOn > fpOff {
		t.Fatalf("local health on declared %d healthy members dead, off %d: want no more with it on", fpOn, fpOff)
	}
	// Slow members are the ones local health protects; since suspicions
	// travel with pings and accusers' reminders, and verdicts of doubtful
	// declarers merge as suspicions, few are declared dead either way (2
	// and 2 over these seeds), so no more with it on is what is asserted;
	// the suspicions above show the difference.
	if allOn > allOff {
		t.Fatalf("local health on declared %d live members dead, off %d: want no more with it on", allOn, allOff)
	}
}

// Every example parses at full size and runs in a short form.
func TestExamplesShortForm(t *testing.T) {
	files, err := filepath.Glob(filepath.Join("..", "examples", "sim", "*.yaml"))
	if err != nil || len(files) < 8 {
		t.Fatalf("examples: %v %v", files, err)
	}
	for _, f := range files {
		t.Run(filepath.Base(f), func(t *testing.T) {
			sc, err := Load(f)
			if err != nil {
				t.Fatal(err)
			}
			short, err := sc.Scaled(min(sc.Nodes, 80), min(sc.Duration, 40*time.Second))
			if err != nil {
				t.Fatal(err)
			}
			r := runCore(t, short, Options{})
			if r.Nodes != short.Nodes || r.Messages == 0 || len(r.Timeline) == 0 {
				t.Fatalf("short run: %d nodes, %d messages, %d samples", r.Nodes, r.Messages, len(r.Timeline))
			}
			if len(r.Actions) != len(short.Events) {
				t.Fatalf("%d actions applied, scenario has %d", len(r.Actions), len(short.Events))
			}
			if r.FirstConvergedAtS == nil {
				t.Fatalf("the short cluster never agreed once (%d of %d views correct at the end)", r.CorrectAtEnd, r.LiveAtEnd)
			}
		})
	}
}

// The simulator is single-threaded and must leave no goroutine behind.
func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }
