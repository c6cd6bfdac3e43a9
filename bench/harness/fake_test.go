package harness

import (
	"context"
	"errors"
	"slices"
	"sync"
	"testing"
	"time"
)

// fakeSystem is an in-memory membership system with known delays, so the
// harness's measurements can be checked against the truth.
type fakeSystem struct {
	learn        time.Duration // until every node knows of a join or leave
	suspectAfter time.Duration // until survivors suspect a killed node
	failAfter    time.Duration // until survivors declare it failed (0: never)
	bytesPerSec  float64

	mu     sync.Mutex
	nodes  map[string]*fakeNode
	timers sync.WaitGroup
	fpDone bool // one false positive per cluster, on the first loss
}

func newFake() *fakeSystem {
	return &fakeSystem{
		learn: 30 * time.Millisecond, suspectAfter: 100 * time.Millisecond,
		failAfter: 300 * time.Millisecond, bytesPerSec: 100, nodes: map[string]*fakeNode{},
	}
}

func (f *fakeSystem) Name() string { return "fake" }

func (f *fakeSystem) Start(spec NodeSpec) (Node, error) {
	n := &fakeNode{f: f, name: spec.Name, sink: spec.Sink, started: time.Now(), suspect: map[string]bool{}}
	f.mu.Lock()
	f.nodes[spec.Name] = n
	f.mu.Unlock()
	return n, nil
}

// later runs fn after d unless the cluster was torn down; wait waits for
// every pending fn.
func (f *fakeSystem) later(d time.Duration, fn func()) {
	f.timers.Add(1)
	time.AfterFunc(d, func() {
		defer f.timers.Done()
		f.mu.Lock()
		defer f.mu.Unlock()
		fn()
	})
}

func (f *fakeSystem) live() []*fakeNode {
	var out []*fakeNode
	for _, n := range f.nodes {
		if !n.stopped {
			out = append(out, n)
		}
	}
	return out
}

type fakeNode struct {
	f       *fakeSystem
	name    string
	sink    func(Event)
	started time.Time
	stopped bool
	stopAt  time.Time
	suspect map[string]bool
}

func (n *fakeNode) Name() string { return n.name }
func (n *fakeNode) Addr() string { return n.name }

func (n *fakeNode) Join(ctx context.Context, seeds []string) error {
	n.f.later(n.f.learn, func() {
		if n.stopped {
			return
		}
		for _, o := range n.f.live() {
			if o != n {
				o.sink(Event{Observer: o.name, Subject: n.name, Kind: EventAlive})
				n.sink(Event{Observer: n.name, Subject: o.name, Kind: EventAlive})
			}
		}
	})
	return nil
}

func (n *fakeNode) View() []MemberView {
	n.f.mu.Lock()
	defer n.f.mu.Unlock()
	var v []MemberView
	for name := range n.suspect {
		v = append(v, MemberView{Name: name, State: ViewSuspect})
	}
	return v
}

func (n *fakeNode) SetLoss(x float64) {
	n.f.mu.Lock()
	defer n.f.mu.Unlock()
	if x == 0 || n.f.fpDone {
		return
	}
	n.f.fpDone = true
	// One live node is wrongly declared failed by everyone for 50 ms.
	var names []string
	for _, o := range n.f.live() {
		names = append(names, o.name)
	}
	slices.Sort(names)
	victim := names[len(names)-1]
	n.f.later(10*time.Millisecond, func() {
		for _, o := range n.f.live() {
			if o.name != victim {
				o.sink(Event{Observer: o.name, Subject: victim, Kind: EventFailed})
			}
		}
	})
	n.f.later(60*time.Millisecond, func() {
		for _, o := range n.f.live() {
			if o.name != victim {
				o.sink(Event{Observer: o.name, Subject: victim, Kind: EventAlive})
			}
		}
	})
}

func (n *fakeNode) BytesSent() uint64 {
	n.f.mu.Lock()
	defer n.f.mu.Unlock()
	end := time.Now()
	if n.stopped {
		end = n.stopAt
	}
	return uint64(end.Sub(n.started).Seconds() * n.f.bytesPerSec)
}

func (n *fakeNode) stop() {
	n.f.mu.Lock()
	defer n.f.mu.Unlock()
	n.stopped, n.stopAt = true, time.Now()
}

func (n *fakeNode) Leave(ctx context.Context) error {
	n.stop()
	n.f.later(n.f.learn, func() {
		for _, o := range n.f.live() {
			o.sink(Event{Observer: o.name, Subject: n.name, Kind: EventLeft})
		}
	})
	return nil
}

func (n *fakeNode) Kill() error {
	n.stop()
	n.f.later(n.f.suspectAfter, func() {
		for _, o := range n.f.live() {
			o.suspect[n.name] = true
		}
	})
	if n.f.failAfter > 0 {
		n.f.later(n.f.failAfter, func() {
			for _, o := range n.f.live() {
				delete(o.suspect, n.name)
				o.sink(Event{Observer: o.name, Subject: n.name, Kind: EventFailed})
			}
		})
	}
	return nil
}

func fakeParams() Params {
	p := DefaultParams()
	p.Kill = 2
	p.LossDuration = 300 * time.Millisecond
	p.Settle = 50 * time.Millisecond
	p.Window = 500 * time.Millisecond
	p.ChurnTime = 500 * time.Millisecond
	p.ChurnEvery = 100 * time.Millisecond
	p.Poll = 5 * time.Millisecond
	p.Timeout = 5 * time.Second
	return p
}

func runFake(t *testing.T, f *fakeSystem, p Params) map[string]Measurement {
	t.Helper()
	plan := Plan{Systems: []System{f}, Scenarios: ScenarioOrder, Nodes: []int{6}, Runs: 1, Profile: Profiles["fast"], Params: p, Seed: 3}
	got := map[string]Measurement{}
	var phases []string
	err := Run(context.Background(), plan, func(pr Progress) { phases = append(phases, pr.Phase) },
		func(m Measurement) { got[m.Scenario] = m })
	f.timers.Wait()
	if err != nil {
		t.Fatal(err)
	}
	if phases[len(phases)-1] != "done" {
		t.Errorf("progress ended with %q, want done", phases[len(phases)-1])
	}
	return got
}

// within checks x against the truth with generous slack: the machine may be
// busy, so only gross errors (wrong clock, wrong event) fail.
func within(t *testing.T, what string, x float64, lo, hi time.Duration) {
	t.Helper()
	if x < lo.Seconds() || x > hi.Seconds() {
		t.Errorf("%s = %.3f s, want in [%v, %v]", what, x, lo, hi)
	}
}

func TestScenariosMeasureTheTruth(t *testing.T) {
	f := newFake()
	got := runFake(t, f, fakeParams())
	for _, s := range ScenarioOrder {
		if m := got[s]; !m.OK {
			t.Fatalf("%s failed: %s", s, m.Error)
		}
	}
	j := got[ScenarioJoin]
	within(t, "join", j.Metrics[MetricSeconds], f.learn, 2*time.Second)
	if t99 := j.Metrics[MetricJoin99]; t99 <= 0 || t99 > j.Metrics[MetricSeconds] {
		t.Errorf("99%% of pairs at %v s, full convergence at %v s", t99, j.Metrics[MetricSeconds])
	}
	if len(j.Series) == 0 || j.Series[len(j.Series)-1].Y != 1 {
		t.Errorf("join series does not end converged: %v", j.Series)
	}

	d := got[ScenarioDetect].Metrics
	within(t, "first suspect", d[MetricFirstSuspect], f.suspectAfter, f.suspectAfter+time.Second)
	within(t, "first fail", d[MetricFirstFail], f.failAfter, f.failAfter+time.Second)
	within(t, "all fail", d[MetricSeconds], f.failAfter, f.failAfter+time.Second)
	if d[MetricFalsePositives] != 0 {
		t.Errorf("detect false positives = %v, want 0", d[MetricFalsePositives])
	}

	l := got[ScenarioLoss].Metrics
	if l[MetricFalsePositives] != 1 || l[MetricFPDeclarations] != 5 || l[MetricFPUnrecovered] != 0 {
		t.Errorf("loss: %v, want 1 episode of 5 declarations, all retracted", l)
	}
	within(t, "false positive episode", l[MetricSeconds], 40*time.Millisecond, time.Second)

	s := got[ScenarioSteady].Metrics
	if b := s[MetricBytes]; b < 0.8*f.bytesPerSec || b > 1.2*f.bytesPerSec {
		t.Errorf("steady bytes per node per second = %.1f, want about %v", b, f.bytesPerSec)
	}
	if len(got[ScenarioSteady].Timeline) == 0 {
		t.Error("steady timeline is empty")
	}

	c := got[ScenarioChurn].Metrics
	if c[MetricChanges] < 4 || c[MetricUnconverged] != 0 {
		t.Errorf("churn: %v, want at least 4 changes, all converged", c)
	}
	within(t, "churn median lag", c[MetricSeconds], f.learn/2, time.Second)
}

func TestDetectTimesOutWhenNothingIsDeclared(t *testing.T) {
	f := newFake()
	f.failAfter = 0 // killed nodes are suspected forever, never failed
	p := fakeParams()
	p.Timeout = 500 * time.Millisecond
	c := NewCluster(f, Profiles["fast"], 1)
	defer func() { c.Close(); f.timers.Wait() }()
	if m := Join(context.Background(), c, 4, p); !m.OK {
		t.Fatal(m.Error)
	}
	m := Detect(context.Background(), c, p)
	if m.OK || m.Error == "" {
		t.Fatalf("detect = %+v, want a failed measurement with a reason", m)
	}
	within(t, "censored detection", m.Metrics[MetricSeconds], p.Timeout, p.Timeout+2*time.Second)
}

// failingSystem cannot start nodes.
type failingSystem struct{}

func (failingSystem) Name() string                 { return "broken" }
func (failingSystem) Start(NodeSpec) (Node, error) { return nil, errors.New("no sockets today") }

func TestRunRecordsBuildFailures(t *testing.T) {
	plan := Plan{Systems: []System{failingSystem{}}, Scenarios: []string{ScenarioSteady, ScenarioDetect},
		Nodes: []int{4}, Runs: 1, Profile: Profiles["fast"], Params: fakeParams()}
	var got []Measurement
	if err := Run(context.Background(), plan, nil, func(m Measurement) { got = append(got, m) }); err != nil {
		t.Fatal(err)
	}
	if len(got) != 2 {
		t.Fatalf("%d measurements, want 2", len(got))
	}
	for _, m := range got {
		if m.OK || m.Error == "" || m.System != "broken" {
			t.Errorf("%+v, want a failed measurement naming the cause", m)
		}
	}
}

func TestPlanValidate(t *testing.T) {
	good := Plan{Systems: []System{newFake()}, Scenarios: []string{ScenarioJoin}, Nodes: []int{4}, Runs: 1,
		Profile: Profiles["lan"], Params: DefaultParams()}
	if err := good.Validate(); err != nil {
		t.Fatal(err)
	}
	bad := map[string]func(*Plan){
		"no systems":        func(p *Plan) { p.Systems = nil },
		"unknown scenario":  func(p *Plan) { p.Scenarios = []string{"jump"} },
		"tiny cluster":      func(p *Plan) { p.Nodes = []int{1} },
		"no runs":           func(p *Plan) { p.Runs = 0 },
		"kill everyone":     func(p *Plan) { p.Scenarios = []string{ScenarioDetect}; p.Params.Kill = 4 },
		"loss of 100%":      func(p *Plan) { p.Params.Loss = 1 },
		"churn every > for": func(p *Plan) { p.Params.ChurnEvery = time.Hour },
	}
	for name, mutate := range bad {
		p := good
		mutate(&p)
		if err := p.Validate(); err == nil {
			t.Errorf("%s: no error", name)
		}
	}
}
