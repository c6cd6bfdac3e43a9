package metrics

import (
	"bytes"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"

	"github.com/meshd/meshd/mesh"
)

type fakeSource struct {
	mu sync.Mutex
	st mesh.Stats
}

func (f *fakeSource) Stats() mesh.Stats { f.mu.Lock(); defer f.mu.Unlock(); return f.st }

func TestCollectorExposesEveryStat(t *testing.T) {
	src := &fakeSource{st: mesh.Stats{
		Members:    map[mesh.State]int{mesh.StateAlive: 5, mesh.StateDead: 1},
		ProbesSent: 10, ProbesFailed: 2, IndirectProbes: 3, Suspicions: 1, Refutations: 4,
		PacketsIn: 100, PacketsOut: 90, BytesIn: 1000, BytesOut: 900,
		Dropped:    map[mesh.DropReason]uint64{mesh.DropBadKey: 7, mesh.DropForeignCluster: 1},
		Events:     map[mesh.EventType]uint64{mesh.EventJoin: 5, mesh.EventFail: 1},
		Heartbeats: mesh.HeartbeatStats{Sent: 3, Received: 6, Dropped: map[mesh.DropReason]uint64{mesh.DropReplay: 2}},
		Strategies: map[string]mesh.StrategyStats{
			"dns": {Polls: 12, Errors: 2, Seeds: 4, LastSuccess: time.Unix(1700000000, 0), Failures: map[string]uint64{"AAAA REFUSED": 9}},
		},
	}}
	reg := NewRegistry(src, "test")
	var buf bytes.Buffer
	mfs, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	enc := expfmt.NewEncoder(&buf, expfmt.NewFormat(expfmt.TypeTextPlain))
	for _, mf := range mfs {
		if err := enc.Encode(mf); err != nil {
			t.Fatal(err)
		}
	}
	parser := expfmt.NewTextParser(model.UTF8Validation)
	fams, err := parser.TextToMetricFamilies(&buf)
	if err != nil {
		t.Fatalf("exposition does not parse: %v", err)
	}
	value := func(name string, labels map[string]string) float64 {
		t.Helper()
		mf, ok := fams[name]
		if !ok {
			t.Fatalf("no metric %s", name)
		}
	next:
		for _, m := range mf.Metric {
			for _, lp := range m.Label {
				if v, ok := labels[lp.GetName()]; ok && v != lp.GetValue() {
					continue next
				}
			}
			if m.Counter != nil {
				return m.Counter.GetValue()
			}
			return m.Gauge.GetValue()
		}
		t.Fatalf("no %s with %v", name, labels)
		return 0
	}
	checks := []struct {
		name   string
		labels map[string]string
		want   float64
	}{
		{"meshd_members", map[string]string{"state": "alive"}, 5},
		{"meshd_members", map[string]string{"state": "suspect"}, 0},
		{"meshd_members", map[string]string{"state": "dead"}, 1},
		{"meshd_members", map[string]string{"state": "left"}, 0},
		{"meshd_probes_total", nil, 10},
		{"meshd_probes_failed_total", nil, 2},
		{"meshd_indirect_probes_total", nil, 3},
		{"meshd_suspicions_total", nil, 1},
		{"meshd_refutations_total", nil, 4},
		{"meshd_packets_total", map[string]string{"direction": "in"}, 100},
		{"meshd_packets_total", map[string]string{"direction": "out"}, 90},
		{"meshd_bytes_total", map[string]string{"direction": "out"}, 900},
		{"meshd_packets_dropped_total", map[string]string{"reason": "bad-key"}, 7},
		{"meshd_packets_dropped_total", map[string]string{"reason": "foreign-cluster"}, 1},
		{"meshd_packets_dropped_total", map[string]string{"reason": "unencrypted"}, 0},
		{"meshd_events_total", map[string]string{"type": "join"}, 5},
		{"meshd_events_total", map[string]string{"type": "leave"}, 0},
		{"meshd_heartbeats_total", map[string]string{"direction": "received"}, 6},
		{"meshd_heartbeats_dropped_total", map[string]string{"reason": "replay"}, 2},
		{"meshd_heartbeats_dropped_total", map[string]string{"reason": "libcluster"}, 0},
		{"meshd_strategy_polls_total", map[string]string{"strategy": "dns"}, 12},
		{"meshd_strategy_errors_total", map[string]string{"strategy": "dns"}, 2},
		{"meshd_strategy_failures_total", map[string]string{"strategy": "dns", "cause": "AAAA REFUSED"}, 9},
		{"meshd_strategy_seeds", map[string]string{"strategy": "dns"}, 4},
		{"meshd_strategy_last_success_timestamp_seconds", map[string]string{"strategy": "dns"}, 1700000000},
		{"meshd_build_info", map[string]string{"version": "test"}, 1},
	}
	for _, c := range checks {
		if got := value(c.name, c.labels); got != c.want {
			t.Errorf("%s%v = %v, want %v", c.name, c.labels, got, c.want)
		}
	}
	if _, ok := fams["go_goroutines"]; !ok {
		t.Error("Go runtime metrics missing")
	}
}

// The reason labels are exactly the drop reasons' names, one series each
// from the first scrape: gossip reasons on packets_dropped_total, heartbeat
// and multicast socket reasons on heartbeats_dropped_total.
func TestDropReasonLabelsAreTheReasonNames(t *testing.T) {
	reg := prometheus.NewPedanticRegistry()
	reg.MustRegister(NewCollector(&fakeSource{}))
	mfs, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	labels := map[string][]string{}
	for _, mf := range mfs {
		for _, m := range mf.Metric {
			for _, lp := range m.Label {
				if lp.GetName() == "reason" {
					labels[mf.GetName()] = append(labels[mf.GetName()], lp.GetValue())
				}
			}
		}
	}
	names := func(rs []mesh.DropReason) []string {
		var out []string
		for _, r := range rs {
			out = append(out, r.String())
		}
		slices.Sort(out)
		return out
	}
	for metric, want := range map[string][]string{
		"meshd_packets_dropped_total":    names(mesh.GossipDropReasons()),
		"meshd_heartbeats_dropped_total": names(mesh.HeartbeatDropReasons()),
	} {
		got := labels[metric]
		slices.Sort(got)
		if !slices.Equal(got, want) {
			t.Errorf("%s reason labels %v, want %v", metric, got, want)
		}
	}
	// Together they cover every reason.
	covered := map[string]bool{}
	for _, ls := range labels {
		for _, l := range ls {
			covered[l] = true
		}
	}
	for _, r := range mesh.DropReasons() {
		if !covered[r.String()] {
			t.Errorf("reason %s has no series", r)
		}
	}
}

// Values are read at scrape time: a change of the stats shows at once.
func TestCollectorReadsOnScrape(t *testing.T) {
	src := &fakeSource{}
	reg := prometheus.NewPedanticRegistry()
	reg.MustRegister(NewCollector(src))
	probes := func() (float64, int) {
		mfs, err := reg.Gather()
		if err != nil {
			t.Fatal(err)
		}
		var v float64
		members := 0
		for _, mf := range mfs {
			switch mf.GetName() {
			case "meshd_probes_total":
				v = mf.Metric[0].Counter.GetValue()
			case "meshd_members":
				members = len(mf.Metric)
			}
		}
		return v, members
	}
	if v, members := probes(); v != 0 || members != 4 {
		t.Fatalf("empty stats: probes %v, %d member series (want one per state)", v, members)
	}
	src.mu.Lock()
	src.st.ProbesSent = 42
	src.mu.Unlock()
	if v, _ := probes(); v != 42 {
		t.Fatalf("probes %v after the stats changed, want 42", v)
	}
}
