package main

import (
	"context"
	"fmt"
	"net/http"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"

	dto "github.com/prometheus/client_model/go"

	"github.com/meshd/meshd/cmd/meshd/internal/api"
	"github.com/meshd/meshd/cmd/meshd/internal/snapshot"
)

// TestClusterEndToEnd runs seven agents on 127.0.0.2 to 127.0.0.8 with
// --profile local and one --join seed, and checks through 'meshd members
// --json' that they converge; that a kill -9 is reported dead and a SIGTERM
// left by the others; that the killed agent, restarted with its snapshot
// and no --join, is alive again everywhere. Along the way /metrics parses
// as Prometheus text and its counters move, and /v1/events streams the
// join and fail events.
func TestClusterEndToEnd(t *testing.T) {
	const n = 7
	var ips []string
	for i := range n {
		ips = append(ips, fmt.Sprintf("127.0.0.%d", i+2))
	}
	gport, hport := freePorts(t, ips)
	dir := t.TempDir()
	seed := fmt.Sprintf("%s:%d", ips[0], gport)
	agents := make([]*agentProc, n)
	start := func(i int, join bool) *agentProc {
		extra := []string{"--snapshot", filepath.Join(dir, fmt.Sprintf("a%d.json", i+1))}
		if join {
			extra = append(extra, "--join", seed)
		}
		return startAgent(t, fmt.Sprintf("a%d", i+1), fmt.Sprintf("%s:%d", ips[i], gport), fmt.Sprintf("%s:%d", ips[i], hport), extra...)
	}

	agents[0] = start(0, false)
	eventually(t, 20*time.Second, "the seed answers /v1/health", func() (bool, string) {
		resp, err := http.Get("http://" + agents[0].http + "/v1/health")
		if err != nil {
			return false, err.Error()
		}
		resp.Body.Close()
		return resp.StatusCode == 200, resp.Status
	})
	stream := watchEvents(t, agents[0].http)
	before := scrape(t, agents[0].http)

	for i := 1; i < n; i++ {
		agents[i] = start(i, true)
	}
	allAlive := map[string]string{}
	for _, a := range agents {
		allAlive[a.name] = "alive"
	}
	eventually(t, 30*time.Second, "7 agents converge", func() (bool, string) { return viewsAgree(t, agents, allAlive) })

	// The first probe goes out a probe interval after the first member is
	// known, which may be after convergence: wait for it before comparing.
	eventually(t, 10*time.Second, "the seed sends probes", func() (bool, string) {
		v := scrape(t, agents[0].http).value(t, "meshd_probes_total")
		return v > before.value(t, "meshd_probes_total"), fmt.Sprintf("meshd_probes_total %v", v)
	})
	after := scrape(t, agents[0].http)
	checkMetricsMoved(t, before, after, n)
	// The --join seeds are a strategy named "join" with its poll counters.
	if polls := scrape(t, agents[1].http).value(t, "meshd_strategy_polls_total", "strategy", "join"); polls < 1 {
		t.Errorf("meshd_strategy_polls_total{strategy=join} = %v", polls)
	}

	// kill -9: no goodbye; the others must detect the failure. The victim
	// rejoins from its snapshot later, so first wait until the snapshot
	// (written at most once a second) lists the cluster.
	victim := agents[4]
	eventually(t, 10*time.Second, "the victim's snapshot lists the others", func() (bool, string) {
		snap, _, err := snapshot.Load(filepath.Join(dir, "a5.json"))
		if err != nil {
			return false, err.Error()
		}
		seeds := snap.Seeds(victim.name)
		return len(seeds) == n-1, fmt.Sprintf("%d seeds", len(seeds))
	})
	victim.signal(t, syscall.SIGKILL)
	victim.waitExit(t, 10*time.Second)
	others := []*agentProc{agents[0], agents[1], agents[2], agents[3], agents[5], agents[6]}
	eventually(t, 45*time.Second, "the killed agent is reported dead", func() (bool, string) {
		return viewsAgree(t, others, map[string]string{victim.name: "dead"})
	})

	// SIGTERM: a graceful leave, exit status 0, reported as left.
	leaver := agents[6]
	leaver.signal(t, syscall.SIGTERM)
	if code := leaver.waitExit(t, 30*time.Second); code != 0 {
		t.Fatalf("agent exited with %d after SIGTERM, want 0", code)
	}
	remaining := []*agentProc{agents[0], agents[1], agents[2], agents[3], agents[5]}
	eventually(t, 30*time.Second, "the terminated agent is reported left", func() (bool, string) {
		return viewsAgree(t, remaining, map[string]string{leaver.name: "left"})
	})

	// Restart the killed agent from its snapshot alone.
	agents[4] = start(4, false)
	remaining = append(remaining, agents[4])
	eventually(t, 45*time.Second, "the restarted agent is alive everywhere", func() (bool, string) {
		return viewsAgree(t, remaining, map[string]string{victim.name: "alive"})
	})
	// Join waits for every seed or its timeout; a7 is gone, so this may take a while.
	eventually(t, 20*time.Second, "the restarted agent says it rejoined from its snapshot", func() (bool, string) {
		return strings.Contains(agents[4].out.String(), "rejoined from the snapshot"), "no such log line"
	})

	// The seed's event stream saw every join, the failure and the leave.
	want := []string{}
	for _, a := range agents[1:] {
		want = append(want, "join "+a.name)
	}
	want = append(want, "fail "+victim.name, "leave "+leaver.name)
	eventually(t, 10*time.Second, "the event stream shows joins, the failure and the leave", func() (bool, string) {
		got := stream.seen()
		for _, w := range want {
			if !strings.Contains(got, w+"\n") {
				return false, fmt.Sprintf("no %q in %q", w, got)
			}
		}
		// And the victim's return after its failure.
		i := strings.Index(got, "fail "+victim.name+"\n")
		return strings.Contains(got[i:], "join "+victim.name+"\n"), "no join after the fail of " + victim.name
	})
}

// eventStream collects "type name" lines from an agent's /v1/events.
type eventStream struct {
	mu     sync.Mutex
	lines  strings.Builder
	cancel context.CancelFunc
}

func (s *eventStream) seen() string { s.mu.Lock(); defer s.mu.Unlock(); return s.lines.String() }

func watchEvents(t *testing.T, httpAddr string) *eventStream {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	s := &eventStream{cancel: cancel}
	req, _ := http.NewRequestWithContext(ctx, "GET", "http://"+httpAddr+"/v1/events", nil)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		cancel()
		t.Fatalf("GET /v1/events: %v", err)
	}
	if ct := resp.Header.Get("Content-Type"); ct != "text/event-stream" {
		t.Errorf("/v1/events Content-Type %q", ct)
	}
	done := make(chan struct{})
	go func() {
		defer close(done)
		defer resp.Body.Close()
		api.ReadSSE(resp.Body, func(event, data string) error {
			var ev struct {
				Type string `json:"type"`
				Name string `json:"name"`
			}
			if err := jsonUnmarshal(data, &ev); err != nil || ev.Type != event {
				t.Errorf("bad SSE event %q: %q (%v)", event, data, err)
				return nil
			}
			s.mu.Lock()
			fmt.Fprintf(&s.lines, "%s %s\n", ev.Type, ev.Name)
			s.mu.Unlock()
			return nil
		})
	}()
	t.Cleanup(func() { cancel(); <-done })
	return s
}

type families map[string]*dto.MetricFamily

// scrape reads /metrics and parses it with Prometheus' own text parser.
func scrape(t *testing.T, httpAddr string) families {
	t.Helper()
	resp, err := http.Get("http://" + httpAddr + "/metrics")
	if err != nil {
		t.Fatalf("GET /metrics: %v", err)
	}
	defer resp.Body.Close()
	if !strings.HasPrefix(resp.Header.Get("Content-Type"), "text/plain") {
		t.Errorf("/metrics Content-Type %q", resp.Header.Get("Content-Type"))
	}
	p := expfmt.NewTextParser(model.UTF8Validation)
	fams, err := p.TextToMetricFamilies(resp.Body)
	if err != nil {
		t.Fatalf("/metrics does not parse as Prometheus text: %v", err)
	}
	return fams
}

func (f families) value(t *testing.T, name string, labels ...string) float64 {
	t.Helper()
	mf, ok := f[name]
	if !ok {
		t.Fatalf("metric %s missing", name)
	}
next:
	for _, m := range mf.Metric {
		for i := 0; i+1 < len(labels); i += 2 {
			found := false
			for _, lp := range m.Label {
				if lp.GetName() == labels[i] && lp.GetValue() == labels[i+1] {
					found = true
				}
			}
			if !found {
				continue next
			}
		}
		switch {
		case m.Counter != nil:
			return m.Counter.GetValue()
		case m.Gauge != nil:
			return m.Gauge.GetValue()
		}
	}
	t.Fatalf("metric %s%v missing", name, labels)
	return 0
}

func checkMetricsMoved(t *testing.T, before, after families, n int) {
	t.Helper()
	if got := after.value(t, "meshd_members", "state", "alive"); got != float64(n) {
		t.Errorf("meshd_members{state=alive} = %v, want %d", got, n)
	}
	if got := after.value(t, "meshd_events_total", "type", "join"); got < float64(n-1) {
		t.Errorf("meshd_events_total{type=join} = %v, want >= %d", got, n-1)
	}
	for _, c := range []struct {
		name   string
		labels []string
	}{
		{"meshd_packets_total", []string{"direction", "in"}},
		{"meshd_packets_total", []string{"direction", "out"}},
		{"meshd_bytes_total", []string{"direction", "in"}},
		{"meshd_bytes_total", []string{"direction", "out"}},
		{"meshd_probes_total", nil},
	} {
		b, a := before.value(t, c.name, c.labels...), after.value(t, c.name, c.labels...)
		if a <= b {
			t.Errorf("%s%v did not grow: %v then %v", c.name, c.labels, b, a)
		}
	}
	for _, name := range []string{"meshd_probes_failed_total", "meshd_suspicions_total", "meshd_refutations_total", "meshd_indirect_probes_total", "meshd_build_info"} {
		after.value(t, name)
	}
}
