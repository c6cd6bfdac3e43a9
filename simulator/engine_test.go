package simulator

import (
	"strings"
	"testing"
)

func mustParse(t *testing.T, src string) *Scenario {
	t.Helper()
	sc, err := Parse([]byte(strings.TrimLeft(src, "\n")), "test.yaml")
	if err != nil {
		t.Fatalf("parse: %v", err)
	}
	return sc
}

func runFake(t *testing.T, src string) *Result {
	t.Helper()
	r, err := Run(mustParse(t, src), fakeOpts())
	if err != nil {
		t.Fatalf("run: %v", err)
	}
	return r
}

func TestFakeClusterConverges(t *testing.T) {
	r := runFake(t, `
nodes: 20
duration: 20s
`)
	if r.ConvergedAtS == nil || r.CorrectAtEnd != 20 || r.LiveAtEnd != 20 {
		t.Fatalf("not converged: converged_at %v, %d/%d correct", r.ConvergedAtS, r.CorrectAtEnd, r.LiveAtEnd)
	}
	if r.FirstConvergedAtS == nil || *r.FirstConvergedAtS <= 0 {
		t.Fatalf("first convergence must come after the boot, got %v", r.FirstConvergedAtS)
	}
	if r.Messages == 0 || r.Bytes == 0 || r.BytesPerNodePerS <= 0 {
		t.Fatalf("no traffic counted: %+v", r)
	}
	if r.FalsePositives != 0 {
		t.Fatalf("false positives on a clean network: %d", r.FalsePositives)
	}
	if len(r.Timeline) < 100 {
		t.Fatalf("timeline has %d rows, want one per sample", len(r.Timeline))
	}
	last := r.Timeline[len(r.Timeline)-1]
	if last.TS != 20 || last.CorrectFraction != 1 {
		t.Fatalf("last sample %+v", last)
	}
}

func TestFakeDeterminism(t *testing.T) {
	src := `
nodes: 30
duration: 15s
network:
  loss: 5%
  duplicate: 2%
  reorder: 10%
  latency: {distribution: lognormal, mean: 3ms, stddev: 2ms}
events:
  - at: 5s
    crash: 10%
  - at: 8s
    restart: crashed
`
	a := runFake(t, src)
	b := runFake(t, src)
	if a.TraceHash != b.TraceHash || a.Messages != b.Messages || a.Events != b.Events {
		t.Fatalf("same seed, different runs: %s/%s, %d/%d messages", a.TraceHash, b.TraceHash, a.Messages, b.Messages)
	}
	sc := mustParse(t, src)
	o := fakeOpts()
	o.Seed, o.HasSeed = 2, true
	c, err := Run(sc, o)
	if err != nil {
		t.Fatal(err)
	}
	if c.TraceHash == a.TraceHash {
		t.Fatalf("seed 2 gave the same trace hash as seed 1: %s", c.TraceHash)
	}
	if c.Seed != 2 {
		t.Fatalf("result seed %d, want 2", c.Seed)
	}
}

func TestFakeCrashDetection(t *testing.T) {
	r := runFake(t, `
nodes: 10
duration: 20s
events:
  - at: 5s
    crash: 3
`)
	if len(r.Crashes) != 1 {
		t.Fatalf("crashes %+v", r.Crashes)
	}
	c := r.Crashes[0]
	if c.Node != 3 || c.AtS != 5 {
		t.Fatalf("crash %+v", c)
	}
	// The fake suspects after 2 silent intervals and declares dead after 4.
	if c.FirstSuspicionS == nil || c.FirstDeadS == nil || c.AllKnowS == nil {
		t.Fatalf("detection incomplete: %+v", c)
	}
	if !(*c.FirstSuspicionS < *c.FirstDeadS && *c.FirstDeadS <= *c.AllKnowS) {
		t.Fatalf("detection out of order: suspicion %v dead %v all %v", *c.FirstSuspicionS, *c.FirstDeadS, *c.AllKnowS)
	}
	// Silent for 4 intervals of 1s, counted from the last heartbeat heard
	// (up to 1s before the crash).
	if *c.FirstDeadS < 3 || *c.FirstDeadS > 5 || *c.AllKnowS > 6 {
		t.Fatalf("detection times implausible for the fake (dead 3-5s): suspicion %v dead %v all %v", *c.FirstSuspicionS, *c.FirstDeadS, *c.AllKnowS)
	}
	if r.ConvergedAtS == nil || r.LiveAtEnd != 9 || r.CorrectAtEnd != 9 {
		t.Fatalf("survivors did not agree: %+v", r)
	}
	if r.Detection.Crashes != 1 || r.Detection.Undetected != 0 || r.Detection.FirstDead.N != 1 {
		t.Fatalf("detection stats %+v", r.Detection)
	}
	if a := r.Actions[0]; a.ConvergedAfterS == nil || *a.ConvergedAfterS != *c.AllKnowS {
		t.Fatalf("action convergence %v, want the all-know delay %v", a.ConvergedAfterS, *c.AllKnowS)
	}
}

func TestFakePartitionIsNotFalsePositive(t *testing.T) {
	r := runFake(t, `
nodes: 20
duration: 40s
groups:
  a: 0-9
  b: 10-19
seeds: [0, 10]
events:
  - at: 10s
    partition: [a, b]
  - at: 25s
    heal:
`)
	if r.PartitionVerdicts == 0 {
		t.Fatalf("no dead verdicts across the partition")
	}
	if r.FalsePositives != 0 {
		t.Fatalf("partition verdicts counted as false positives: %d", r.FalsePositives)
	}
	if r.Dropped["partition"] == 0 {
		t.Fatalf("no datagram dropped by the partition: %v", r.Dropped)
	}
	if r.ConvergedAtS == nil || *r.ConvergedAtS < 25 {
		t.Fatalf("did not re-converge after the heal: %v", r.ConvergedAtS)
	}
	if r.Actions[0].ConvergedAfterS != nil {
		t.Fatalf("views were correct across a partition: %+v", r.Actions[0])
	}
	if r.Actions[1].ConvergedAfterS == nil {
		t.Fatalf("no convergence after heal: %+v", r.Actions[1])
	}
}

func TestFakeOneWayCut(t *testing.T) {
	r := runFake(t, `
nodes: 6
duration: 30s
events:
  - at: 5s
    cut: {from: 0-2, to: 3-5}
`)
	// 3-5 no longer hear 0-2 and declare them dead, yet 3-5 -> 0-2 still
	// flows: the verdicts are across a cut, not false positives.
	if r.PartitionVerdicts == 0 || r.FalsePositives != 0 {
		t.Fatalf("cut verdicts %d, false positives %d", r.PartitionVerdicts, r.FalsePositives)
	}
}

func TestFakeLossFalsePositives(t *testing.T) {
	r := runFake(t, `
nodes: 10
duration: 30s
events:
  - at: 5s
    loss: 70%
  - at: 20s
    loss: 0%
`)
	if r.FalsePositives == 0 || r.FalseDeadVerdicts < r.FalsePositives {
		t.Fatalf("70%% loss gave %d false positives (%d verdicts)", r.FalsePositives, r.FalseDeadVerdicts)
	}
	if r.FalsePositivesOpenAtEnd != 0 || r.ConvergedAtS == nil {
		t.Fatalf("false positives did not heal after the loss ended: open %d, converged %v", r.FalsePositivesOpenAtEnd, r.ConvergedAtS)
	}
	for _, ep := range r.Episodes {
		if ep.Seconds <= 0 || ep.AtS < 5 {
			t.Fatalf("episode %+v", ep)
		}
	}
	if r.Dropped["loss"] == 0 {
		t.Fatalf("no loss drops: %v", r.Dropped)
	}
}

func TestFakeLeave(t *testing.T) {
	r := runFake(t, `
nodes: 8
duration: 15s
events:
  - at: 5s
    leave: 7
`)
	if len(r.Leaves) != 1 || r.Leaves[0].AllKnowS == nil {
		t.Fatalf("leave not followed: %+v", r.Leaves)
	}
	if r.LiveAtEnd != 7 || r.CorrectAtEnd != 7 || len(r.Crashes) != 0 {
		t.Fatalf("after leave: live %d correct %d crashes %d", r.LiveAtEnd, r.CorrectAtEnd, len(r.Crashes))
	}
	if r.FalsePositives != 0 {
		t.Fatalf("a leave made false positives: %d", r.FalsePositives)
	}
}

func TestFakeRestarts(t *testing.T) {
	for _, mode := range []string{"keep_state: true", "keep_state: false", "new_address: true"} {
		t.Run(mode, func(t *testing.T) {
			r := runFake(t, `
nodes: 8
duration: 30s
events:
  - at: 5s
    crash: [2, 5]
  - at: 12s
    restart: [2, 5]
    `+mode+`
`)
			if r.LiveAtEnd != 8 || r.CorrectAtEnd != 8 || r.ConvergedAtS == nil {
				t.Fatalf("live %d correct %d converged %v", r.LiveAtEnd, r.CorrectAtEnd, r.ConvergedAtS)
			}
			if len(r.Crashes) != 2 || r.Crashes[0].FirstDeadS == nil {
				t.Fatalf("crashes %+v", r.Crashes)
			}
			if len(r.Warnings) != 0 {
				t.Fatalf("warnings %v", r.Warnings)
			}
		})
	}
}

func TestFakeRestartOfLiveNodeWarns(t *testing.T) {
	r := runFake(t, `
nodes: 4
duration: 5s
events:
  - at: 1s
    restart: 1
`)
	if len(r.Warnings) != 1 || !strings.Contains(r.Warnings[0], "line 4") {
		t.Fatalf("warnings %q", r.Warnings)
	}
}

func TestFakeJoinMidRun(t *testing.T) {
	r := runFake(t, `
nodes: 12
duration: 20s
start: 0-3
events:
  - at: 3s
    join: 4-11
    over: 4s
`)
	if r.LiveAtEnd != 12 || r.CorrectAtEnd != 12 {
		t.Fatalf("live %d correct %d", r.LiveAtEnd, r.CorrectAtEnd)
	}
	// The last node starts 3.5s after the action (8 starts over 4s).
	if r.Actions[0].Label != "join 4-11 (8 nodes)" || r.Actions[0].ConvergedAfterS == nil || *r.Actions[0].ConvergedAfterS < 3.5 {
		t.Fatalf("join action %+v after %v", r.Actions[0], deref(r.Actions[0].ConvergedAfterS))
	}
}

func TestFakeRollingRestart(t *testing.T) {
	r := runFake(t, `
nodes: 10
duration: 60s
events:
  - at: 5s
    rolling_restart: 0-4
    every: 8s
    down: 6s
`)
	if len(r.Crashes) != 5 {
		t.Fatalf("%d crashes, want 5", len(r.Crashes))
	}
	for i, c := range r.Crashes {
		if c.AtS != 5+8*float64(i) {
			t.Fatalf("crash %d at %v", i, c.AtS)
		}
	}
	if r.LiveAtEnd != 10 || r.CorrectAtEnd != 10 {
		t.Fatalf("live %d correct %d", r.LiveAtEnd, r.CorrectAtEnd)
	}
}

func TestFakeSlowNode(t *testing.T) {
	r := runFake(t, `
nodes: 6
duration: 30s
events:
  - at: 5s
    slow: 0
    delay: 6s
    for: 10s
`)
	// Node 0 handles every datagram 6s late, longer than the fake's 4s
	// timeout: it declares everyone dead, the others are fine with it.
	if r.FalsePositives == 0 {
		t.Fatalf("a 6s processing delay caused no false positive")
	}
	if r.FalsePositivesOpenAtEnd != 0 || r.ConvergedAtS == nil {
		t.Fatalf("did not recover after the slow period: open %d converged %v", r.FalsePositivesOpenAtEnd, r.ConvergedAtS)
	}
	if len(r.Actions) != 1 {
		t.Fatalf("actions %+v", r.Actions)
	}
}

func TestFakeMulticastSegments(t *testing.T) {
	r := runFake(t, `
nodes: 20
duration: 20s
seeds: []
timing:
  heartbeat_interval: 1s
segments:
  - 0-9
  - 10-19
`)
	// Each segment finds itself by multicast; nothing crosses segments.
	if r.Heartbeats == 0 {
		t.Fatal("no heartbeats sent")
	}
	if r.CorrectAtEnd != 0 || r.ConvergedAtS != nil {
		t.Fatalf("segments merged without a path between them: %d correct", r.CorrectAtEnd)
	}
	if r.Messages <= r.Heartbeats {
		t.Fatalf("heartbeats led to no unicast joins")
	}
}

func TestFakeMulticastOneSegment(t *testing.T) {
	r := runFake(t, `
nodes: 20
duration: 20s
seeds: []
timing:
  heartbeat_interval: 1s
segments: [all]
`)
	if r.ConvergedAtS == nil || r.CorrectAtEnd != 20 {
		t.Fatalf("one segment did not converge by multicast: %d correct", r.CorrectAtEnd)
	}
}

func TestFakeMTU(t *testing.T) {
	r := runFake(t, `
nodes: 40
duration: 10s
network:
  mtu: 600
`)
	// Member lists of 40 nodes exceed 572 payload bytes.
	if r.Dropped["mtu"] == 0 {
		t.Fatalf("no MTU drops: %v", r.Dropped)
	}
}

func TestFakeEncryptAndSeedsDoNotBreakDeterminism(t *testing.T) {
	src := `
nodes: 10
duration: 5s
encrypt: true
seeds: [0, 1, 2]
`
	if a, b := runFake(t, src), runFake(t, src); a.TraceHash != b.TraceHash {
		t.Fatalf("%s != %s", a.TraceHash, b.TraceHash)
	}
}
