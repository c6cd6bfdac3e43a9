package simulator

import (
	"errors"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func TestParseFull(t *testing.T) {
	sc := mustParse(t, `
name: full
description: every field
nodes: 100
seed: -7
duration: 2m
sample: 500ms
profile: wan
timing:
  probe_interval: 2s
  probe_timeout: 1s
  awareness_max_multiplier: 1
  heartbeat_interval: 1s
cluster: prod
encrypt: true
meta: {role: api}
groups:
  a: 0-49
  b: [50-98, 99]
  ab: [a, b]
start: 0-89
start_over: 10s
seeds: [0, 50]
segments: [a, b]
network:
  latency: {base: 1ms, jitter: 2ms}
  loss: 1%
  duplicate: 0.5%
  reorder: 2%
  reorder_delay: 20ms
  mtu: 9000
  links:
    - between: [a, b]
      latency: {distribution: normal, mean: 30ms, stddev: 5ms}
    - from: 0
      to: b
      loss: 50%
events:
  - {at: 70s, heal}
  - at: 30s
    partition: [[0-49], [50-99]]
  - at: 40s
    cut: {from: a, to: [99]}
  - at: 50s
    crash: 5%
  - at: 51s
    crash: {random: 3, of: b}
  - at: 52s
    restart: crashed
    keep_state: true
  - at: 53s
    leave: [3, 4]
  - at: 54s
    slow: 7
    delay: 2s
    for: 10s
  - at: 55s
    join: pending
    over: 5s
  - at: 56s
    rolling_restart: 10-19
    every: 5s
    down: 2s
  - at: 57s
    network:
      loss: 0%
      links: []
  - at: 58s
    loss: 3%
    latency: 5ms
    label: worse
`)
	if sc.Name != "full" || sc.Nodes != 100 || sc.Seed != -7 || sc.Duration != 2*time.Minute || sc.Sample != 500*time.Millisecond {
		t.Fatalf("header %+v", sc)
	}
	if sc.Params.ProbeInterval != 2*time.Second || sc.Params.AwarenessMaxMultiplier != 1 || sc.Params.HeartbeatInterval != time.Second {
		t.Fatalf("timing overrides not applied: %+v", sc.Params)
	}
	if sc.Params.GossipNodes != 4 {
		t.Fatalf("WAN profile not used: GossipNodes %d", sc.Params.GossipNodes)
	}
	if !sc.Encrypt || sc.Cluster != "prod" || sc.Meta["role"] != "api" {
		t.Fatalf("cluster fields %+v", sc)
	}
	if got := sc.groups["ab"].staticSet(100).count(); got != 100 {
		t.Fatalf("group ab has %d nodes, want 100", got)
	}
	if len(sc.Seeds) != 2 || sc.Seeds[1] != 50 || len(sc.Segments) != 2 {
		t.Fatalf("seeds %v segments %d", sc.Seeds, len(sc.Segments))
	}
	if sc.Network.Default.Loss != 0.01 || sc.Network.Default.MTU != 9000 || len(sc.Network.Links) != 2 {
		t.Fatalf("network %+v", sc.Network)
	}
	if sc.Network.Links[0].Patch.latency.Dist != distNormal || !sc.Network.Links[0].Both || sc.Network.Links[1].Both {
		t.Fatalf("links %+v", sc.Network.Links)
	}
	if len(sc.Events) != 12 {
		t.Fatalf("%d events", len(sc.Events))
	}
	// Sorted by time; the heal written first happens last but one.
	if sc.Events[0].Kind != actPartition || sc.Events[len(sc.Events)-1].Kind != actHeal {
		t.Fatalf("events not sorted by time: first %v last %v", sc.Events[0].Kind, sc.Events[len(sc.Events)-1].Kind)
	}
	last := sc.Events[len(sc.Events)-2]
	if last.Label != "worse" || *last.Net.link.loss != 0.03 || last.Net.link.latency.Base != 5*time.Millisecond {
		t.Fatalf("network shorthand event %+v", last)
	}
}

// Bad scenarios are rejected with the line and the field.
func TestParseErrors(t *testing.T) {
	cases := []struct {
		name, src   string
		line        int
		field, want string
	}{
		{"unknown top-level field", "nodes: 3\nduraton: 10s\n", 2, "duraton", "unknown field"},
		{"missing nodes", "duration: 10s\n", 1, "nodes", "required"},
		{"missing duration", "nodes: 3\n", 1, "duration", "required"},
		{"zero nodes", "nodes: 0\nduration: 1s\n", 1, "nodes", "at least 1"},
		{"negative nodes", "nodes: -4\nduration: 1s\n", 1, "nodes", "negative"},
		{"too many nodes", "nodes: 100000000\nduration: 1s\n", 1, "nodes", "larger than"},
		{"duration without unit", "nodes: 3\nduration: 30\n", 2, "duration", "no unit"},
		{"negative duration", "nodes: 3\nduration: -5s\n", 2, "duration", "negative"},
		{"negative event time", "nodes: 3\nduration: 10s\nevents:\n  - at: -1s\n    crash: 1\n", 4, "events[0].at", "negative"},
		{"event after the end", "nodes: 3\nduration: 10s\nevents:\n  - at: 10s\n    crash: 1\n", 4, "events[0].at", "not before the end"},
		{"event without time", "nodes: 3\nduration: 10s\nevents:\n  - crash: 1\n", 4, "events[0].at", "required"},
		{"node that does not exist", "nodes: 2000\nduration: 10s\nevents:\n  - at: 1s\n    partition: [[0-999], [1000-2000]]\n", 5, "events[0].partition[1][0]", "1000-2000 names nodes that do not exist"},
		{"single node that does not exist", "nodes: 10\nduration: 10s\nevents:\n  - at: 1s\n    crash: 10\n", 5, "events[0].crash", "node 10 does not exist"},
		{"unknown group", "nodes: 10\nduration: 10s\nevents:\n  - at: 1s\n    crash: rack9\n", 5, "events[0].crash", "not a node index, range"},
		{"group naming missing nodes", "nodes: 10\nduration: 10s\ngroups:\n  rack: 5-15\n", 4, "groups.rack", "do not exist"},
		{"reversed range", "nodes: 10\nduration: 10s\nevents:\n  - at: 1s\n    crash: 5-2\n", 5, "events[0].crash", "lower index"},
		{"overlapping partition", "nodes: 10\nduration: 10s\nevents:\n  - at: 1s\n    partition: [[0-5], [5-9]]\n", 5, "events[0].partition[1]", "overlaps"},
		{"one-sided partition", "nodes: 10\nduration: 10s\nevents:\n  - at: 1s\n    partition: [[0-5]]\n", 5, "events[0].partition", "two or more"},
		{"random partition side", "nodes: 10\nduration: 10s\nevents:\n  - at: 1s\n    partition: [5%, [6-9]]\n", 5, "events[0].partition[0]", "fixed set"},
		{"two actions", "nodes: 10\nduration: 10s\nevents:\n  - at: 1s\n    crash: 1\n    leave: 2\n", 6, "events[0].leave", "one action per event"},
		{"no action", "nodes: 10\nduration: 10s\nevents:\n  - at: 1s\n", 4, "events[0]", "no action"},
		{"misspelt action", "nodes: 10\nduration: 10s\nevents:\n  - at: 1s\n    crsh: 1\n", 5, "events[0].crsh", "unknown field"},
		{"modifier of another action", "nodes: 10\nduration: 10s\nevents:\n  - at: 1s\n    crash: 1\n    keep_state: true\n", 6, "events[0].keep_state", "unknown field"},
		{"slow without delay", "nodes: 10\nduration: 10s\nevents:\n  - at: 1s\n    slow: 1\n", 4, "events[0].delay", "required"},
		{"loss without percent", "nodes: 10\nduration: 10s\nevents:\n  - at: 1s\n    loss: 5\n", 5, "events[0].loss", "not a percentage"},
		{"loss over 100%", "nodes: 10\nduration: 10s\nnetwork:\n  loss: 150%\n", 4, "network.loss", "outside"},
		{"unknown network field", "nodes: 10\nduration: 10s\nnetwork:\n  jitter: 5ms\n", 4, "network.jitter", "unknown field"},
		{"jitter on a normal distribution", "nodes: 10\nduration: 10s\nnetwork:\n  latency: {distribution: normal, mean: 5ms, jitter: 1ms}\n", 4, "network.latency.jitter", "unknown field"},
		{"distribution without mean", "nodes: 10\nduration: 10s\nnetwork:\n  latency: {distribution: exponential}\n", 4, "network.latency.mean", "required"},
		{"unknown distribution", "nodes: 10\nduration: 10s\nnetwork:\n  latency: {distribution: zipf, mean: 1ms}\n", 4, "network.latency.distribution", "not a distribution"},
		{"tiny mtu", "nodes: 10\nduration: 10s\nnetwork:\n  mtu: 100\n", 4, "network.mtu", "576"},
		{"link rule without ends", "nodes: 10\nduration: 10s\nnetwork:\n  links:\n    - loss: 5%\n", 5, "network.links[0]", "between"},
		{"unknown profile", "nodes: 10\nduration: 10s\nprofile: lab\n", 3, "profile", "not a profile"},
		{"unknown timing key", "nodes: 10\nduration: 10s\ntiming:\n  probe_intervall: 1s\n", 4, "timing.probe_intervall", "unknown field"},
		{"timing meshd refuses", "nodes: 10\nduration: 10s\ntiming:\n  probe_timeout: 2s\n", 4, "timing.probe_timeout", "less than ProbeInterval"},
		{"timing out of range", "nodes: 10\nduration: 10s\ntiming:\n  gossip_nodes: 0\n", 4, "timing.gossip_nodes", "must be in"},
		{"heartbeats without segments", "nodes: 10\nduration: 10s\ntiming:\n  heartbeat_interval: 1s\n", 1, "segments", "reach no node"},
		{"segments without heartbeats", "nodes: 10\nduration: 10s\nsegments: [all]\n", 3, "segments", "heartbeat_interval is 0"},
		{"overlapping segments", "nodes: 10\nduration: 10s\ntiming:\n  heartbeat_interval: 1s\nsegments: [0-5, 5-9]\n", 5, "segments[1]", "overlaps"},
		{"too many seeds", "nodes: 100\nduration: 10s\nseeds: 0-70\n", 3, "seeds", "at most 64"},
		{"reserved group name", "nodes: 10\nduration: 10s\ngroups:\n  live: 0-3\n", 4, "groups.live", "reserved"},
		{"bad group name", "nodes: 10\nduration: 10s\ngroups:\n  9lives: 0-3\n", 4, "groups.9lives", "starts with a letter"},
		{"keep_state and new_address", "nodes: 10\nduration: 10s\nevents:\n  - at: 1s\n    restart: 1\n    keep_state: true\n    new_address: true\n", 7, "events[0].new_address", "keeps its address"},
		{"join of a started node", "nodes: 10\nduration: 10s\nevents:\n  - at: 1s\n    join: 3\n", 5, "events[0].join", "already start"},
		{"rolling restart without every", "nodes: 10\nduration: 10s\nevents:\n  - at: 1s\n    rolling_restart: 0-3\n", 4, "events[0].every", "required"},
		{"heal with a value", "nodes: 10\nduration: 10s\nevents:\n  - at: 1s\n    heal: 0-3\n", 5, "events[0].heal", "removes every partition"},
		{"cut without to", "nodes: 10\nduration: 10s\nevents:\n  - at: 1s\n    cut: {from: 1}\n", 5, "events[0].cut", "needs from: and to:"},
		{"field given twice", "nodes: 10\nnodes: 11\nduration: 10s\n", 2, "nodes", "given twice"},
		{"random inside a list", "nodes: 10\nduration: 10s\nevents:\n  - at: 1s\n    crash: [1, 5%]\n", 5, "events[0].crash[1]", "stand alone"},
		{"random of random", "nodes: 10\nduration: 10s\nevents:\n  - at: 1s\n    crash: {random: 2, of: 50%}\n", 5, "events[0].crash.of", "not another random"},
		{"random count too large", "nodes: 10\nduration: 10s\nevents:\n  - at: 1s\n    crash: {random: 11}\n", 5, "events[0].crash.random", "larger than"},
		{"not a mapping", "- 1\n- 2\n", 1, "", "want a mapping"},
		{"anchors", "nodes: &n 10\nduration: 10s\n", 1, "", "anchors and aliases"},
		{"yaml syntax", "nodes: 10\nduration: 10s\n  bad: x\n", 3, "", "not valid YAML: mapping values"},
		{"yaml tab", "nodes: 10\n\tduration: 10s\n", 2, "", "tab character"},
		{"two documents", "nodes: 10\nduration: 10s\n---\nnodes: 3\n", 3, "", "one YAML document"},
		{"empty", "", 0, "", "empty"},
		{"sample larger than duration", "nodes: 10\nduration: 10s\nsample: 20s\n", 3, "sample", "between 1ms"},
		{"start_over too long", "nodes: 10\nduration: 10s\nstart_over: 10s\n", 3, "start_over", "not shorter"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			_, err := Parse([]byte(c.src), "bad.yaml")
			var se *ScenarioError
			if !errors.As(err, &se) {
				t.Fatalf("want a *ScenarioError, got %v", err)
			}
			if se.Line != c.line || se.Field != c.field || !strings.Contains(se.Msg, c.want) {
				t.Fatalf("got line %d field %q msg %q; want line %d field %q msg containing %q", se.Line, se.Field, se.Msg, c.line, c.field, c.want)
			}
			if !strings.HasPrefix(err.Error(), "bad.yaml:") {
				t.Fatalf("error does not name the file: %v", err)
			}
		})
	}
}

func TestSelectorResolve(t *testing.T) {
	sc := mustParse(t, `
nodes: 20
duration: 10s
groups:
  g: [0-4, 10]
events:
  - at: 1s
    crash: [g, 15-16]
  - at: 2s
    crash: 25%
  - at: 3s
    restart: {random: 2, of: crashed}
`)
	status := make([]nodeStatus, 20)
	for i := range status {
		status[i] = statusLive
	}
	all := func(int32) bool { return true }
	rng := rand.New(rand.NewPCG(1, 2))
	got := sc.Events[0].Nodes.resolve(20, status, all, rng)
	if want := []int32{0, 1, 2, 3, 4, 10, 15, 16}; !equalInt32(got, want) {
		t.Fatalf("static selector resolved to %v, want %v", got, want)
	}
	live := func(i int32) bool { return i%2 == 0 } // 10 eligible
	got = sc.Events[1].Nodes.resolve(20, status, live, rng)
	if len(got) != 3 { // round(25% of 10)
		t.Fatalf("25%% of 10 eligible picked %d: %v", len(got), got)
	}
	for i, x := range got {
		if x%2 != 0 || (i > 0 && got[i-1] >= x) {
			t.Fatalf("pick %v has an ineligible node or is not sorted", got)
		}
	}
	status[3], status[7], status[9] = statusCrashed, statusCrashed, statusCrashed
	got = sc.Events[2].Nodes.resolve(20, status, all, rng)
	if len(got) != 2 {
		t.Fatalf("random 2 of crashed: %v", got)
	}
	for _, x := range got {
		if status[x] != statusCrashed {
			t.Fatalf("picked %d, not crashed", x)
		}
	}
}

func equalInt32(a, b []int32) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

func TestScaledKeepsStructure(t *testing.T) {
	sc := mustParse(t, `
nodes: 2000
duration: 120s
seeds: [0, 1000]
groups:
  rack: 280-319
events:
  - at: 30s
    partition: [rack, [0-279, 320-1999]]
  - at: 60s
    rolling_restart: 0-99
    every: 4s
    down: 2s
`)
	s, err := sc.Scaled(60, 30*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	if s.Nodes != 60 || s.Duration != 30*time.Second || sc.Nodes != 2000 {
		t.Fatalf("scaled %d nodes %v, original now %d", s.Nodes, s.Duration, sc.Nodes)
	}
	if s.Events[0].At != 7500*time.Millisecond || s.Events[1].Every != time.Second {
		t.Fatalf("times not scaled: %v %v", s.Events[0].At, s.Events[1].Every)
	}
	rack := s.Events[0].Groups[0].staticSet(60)
	rest := s.Events[0].Groups[1].staticSet(60)
	if rack.count() == 0 || rack.intersects(rest) || rack.count()+rest.count() != 60 {
		t.Fatalf("partition sides: rack %d rest %d", rack.count(), rest.count())
	}
	if len(s.Seeds) != 2 || s.Seeds[1] != 30 {
		t.Fatalf("seeds %v", s.Seeds)
	}
	if _, err := sc.Scaled(3000, 0); err == nil {
		t.Fatal("growing a scenario was accepted")
	}
	if _, err := sc.Scaled(2, 0); err == nil || !strings.Contains(err.Error(), "overlap") {
		t.Fatalf("folding sides onto one node: %v", err)
	}
}

func TestLoadRefusesHugeFile(t *testing.T) {
	p := filepath.Join(t.TempDir(), "huge.yaml")
	if err := os.WriteFile(p, make([]byte, maxScenarioBytes+10), 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := Load(p); err == nil || !strings.Contains(err.Error(), "larger than") {
		t.Fatalf("huge file: %v", err)
	}
}

func TestValues(t *testing.T) {
	if d, err := parseDuration("1m30s"); err != nil || d != 90*time.Second {
		t.Fatalf("1m30s: %v %v", d, err)
	}
	for _, bad := range []string{"", "30", "1.5", "-1s", "abc", "9999999h"} {
		if _, err := parseDuration(bad); err == nil {
			t.Errorf("duration %q accepted", bad)
		}
	}
	if p, err := parsePercent("12.5%"); err != nil || p != 0.125 {
		t.Fatalf("12.5%%: %v %v", p, err)
	}
	for _, bad := range []string{"5", "%", "-1%", "101%", "NaN%", "x%"} {
		if _, err := parsePercent(bad); err == nil {
			t.Errorf("percent %q accepted", bad)
		}
	}
}
