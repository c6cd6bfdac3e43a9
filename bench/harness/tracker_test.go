package harness

import (
	"testing"
	"time"

	"github.com/meshd/meshd/bench/internal/leakcheck"
)

var t0 = time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)

func at(ms int) time.Time { return t0.Add(time.Duration(ms) * time.Millisecond) }

func ev(o, s string, k EventKind, ms int) Event {
	return Event{Observer: o, Subject: s, Kind: k, At: at(ms)}
}

func fired(w *Watch) bool {
	select {
	case <-w.Done():
		return true
	default:
		return false
	}
}

func TestTrackerConvergence(t *testing.T) {
	tr := NewTracker()
	w := tr.WatchAllAlive(3)
	for _, n := range []string{"a", "b", "c"} {
		tr.AddNode(n, at(0))
	}
	if fired(w) {
		t.Fatal("fired before any event")
	}
	pairs := [][2]string{{"a", "b"}, {"a", "c"}, {"b", "a"}, {"b", "c"}, {"c", "a"}}
	for i, p := range pairs {
		tr.Record(ev(p[0], p[1], EventAlive, 10*(i+1)))
	}
	if live, ok, wrong := tr.Counts(); live != 3 || ok != 8 || wrong != 0 {
		t.Fatalf("counts = %d %d %d, want 3 8 0", live, ok, wrong)
	}
	tr.Record(ev("c", "b", EventAlive, 77))
	if !fired(w) || !w.At().Equal(at(77)) {
		t.Fatalf("fired=%v at %v, want at the last event %v", fired(w), w.At(), at(77))
	}
	// Duplicates and self-events change nothing.
	tr.Record(ev("c", "b", EventAlive, 80))
	tr.Record(ev("c", "c", EventFailed, 81))
	if _, ok, _ := tr.Counts(); ok != 9 {
		t.Fatalf("ok = %d after duplicates, want 9", ok)
	}
}

func TestTrackerIgnoresDeadObserversAndGarbage(t *testing.T) {
	tr := NewTracker()
	tr.AddNode("a", at(0))
	tr.AddNode("b", at(0))
	tr.MarkGone("b", at(5))
	tr.Record(ev("b", "a", EventFailed, 10))      // from a stopped node
	tr.Record(ev("zzz", "a", EventFailed, 10))    // from a stranger
	tr.Record(Event{Observer: "a", Subject: "b"}) // no kind
	if got := tr.Dropped(); got != 3 {
		t.Fatalf("dropped = %d, want 3", got)
	}
	if fp := tr.FalsePositives(at(0), at(100)); fp.Declarations != 0 {
		t.Fatalf("false positives from ignored events: %+v", fp)
	}
}

func TestTrackerDetection(t *testing.T) {
	tr := NewTracker()
	for _, n := range []string{"a", "b", "c", "v"} {
		tr.AddNode(n, at(0))
		for _, m := range []string{"a", "b", "c", "v"} {
			tr.Record(ev(n, m, EventAlive, 1))
		}
	}
	w := tr.WatchSubjects([]string{"v"}, false)
	tr.MarkGone("v", at(100))
	if fired(w) {
		t.Fatal("fired while survivors still believe v alive")
	}
	tr.Record(Event{Observer: "b", Subject: "v", Kind: EventSuspect, At: at(300)})
	tr.ObserveView("a", []MemberView{{Name: "v", State: ViewSuspect}}, at(250))
	tr.Record(ev("a", "v", EventFailed, 900))
	tr.Record(ev("b", "v", EventFailed, 950))
	tr.Record(ev("c", "v", EventLeft, 1200))
	if !fired(w) || !w.At().Equal(at(1200)) {
		t.Fatalf("fired=%v at %v, want at %v", fired(w), w.At(), at(1200))
	}
	d := tr.Detection([]string{"v"}, at(100))
	if !d.FirstSuspect.Equal(at(250)) || !d.FirstFail.Equal(at(900)) || !d.LastFail.Equal(at(1200)) {
		t.Fatalf("detection = %+v", d)
	}
	if got := tr.Suspicions(); got != 2 {
		t.Fatalf("suspicions = %d, want 2", got)
	}
	// Signals before the window are not this detection's.
	if d := tr.Detection([]string{"v"}, at(1000)); !d.FirstSuspect.IsZero() {
		t.Fatalf("suspicion before the window counted: %+v", d)
	}
	tr.ClearSuspicion()
	if got := tr.Suspicions(); got != 0 {
		t.Fatalf("suspicions after clear = %d", got)
	}
}

func TestTrackerFalsePositiveEpisodes(t *testing.T) {
	tr := NewTracker()
	for _, n := range []string{"a", "b", "c", "x"} {
		tr.AddNode(n, at(0))
	}
	// x is wrongly declared by a and b, overlapping: one episode from 100
	// to 700. Later c declares it again on its own: a second episode.
	tr.Record(ev("a", "x", EventFailed, 100))
	tr.Record(ev("b", "x", EventFailed, 200))
	tr.Record(ev("a", "x", EventAlive, 500))
	tr.Record(ev("b", "x", EventAlive, 700))
	tr.Record(ev("c", "x", EventFailed, 2000))
	fp := tr.FalsePositives(at(0), at(3000))
	if fp.Episodes != 2 || fp.Declarations != 3 || fp.Unrecovered != 1 {
		t.Fatalf("false positives = %+v, want 2 episodes, 3 declarations, 1 unrecovered", fp)
	}
	if fp.Longest != 1000*time.Millisecond { // c's, cut at the end of the window
		t.Fatalf("longest = %v, want 1s", fp.Longest)
	}
	if want := 400*time.Millisecond + 500*time.Millisecond + time.Second; fp.ObserverSeconds != want {
		t.Fatalf("observer time = %v, want %v", fp.ObserverSeconds, want)
	}
	// Only declarations that started in the window count.
	if fp := tr.FalsePositives(at(1000), at(3000)); fp.Episodes != 1 {
		t.Fatalf("window [1s,3s]: %+v, want 1 episode", fp)
	}
	// Failing a node that is really gone is no false positive.
	tr.MarkGone("x", at(2500))
	tr.Record(ev("a", "x", EventFailed, 2600))
	if fp := tr.FalsePositives(at(2500), at(3000)); fp.Declarations != 0 {
		t.Fatalf("declaration about a gone node counted: %+v", fp)
	}
}

func TestTrackerRecordingThinsSeries(t *testing.T) {
	tr := NewTracker()
	tr.StartRecording()
	names := []string{"a", "b", "c", "d"}
	for _, n := range names {
		tr.AddNode(n, at(0))
	}
	ms := 1
	for _, o := range names {
		for _, s := range names {
			tr.Record(ev(o, s, EventAlive, ms))
			ms++
		}
	}
	pts := tr.StopRecording(at(0), 4, 5)
	if len(pts) > 6 || len(pts) < 2 {
		t.Fatalf("%d points, want at most 5 plus the last", len(pts))
	}
	if last := pts[len(pts)-1]; last.Y != 1 {
		t.Fatalf("last point %+v, want every pair alive (1)", last)
	}
}

func TestQuantileAndSummary(t *testing.T) {
	xs := []float64{1, 2, 3, 4, 5}
	if q := Quantile(xs, 0.5); q != 3 {
		t.Fatalf("median = %v", q)
	}
	if q := Quantile(xs, 0.9); q < 4.5 || q > 4.7 {
		t.Fatalf("p90 = %v", q)
	}
	s := Summarize([]float64{5, 1, 3})
	if s.N != 3 || s.Median != 3 || s.Min != 1 || s.Max != 5 || s.Mean != 3 {
		t.Fatalf("summary = %+v", s)
	}
	if s := Summarize(nil); s.N != 0 {
		t.Fatalf("empty summary = %+v", s)
	}
}

func TestProfileSetAndValidate(t *testing.T) {
	p := Profiles["lan"]
	if err := p.Set("anti_entropy_interval=5s"); err != nil {
		t.Fatal(err)
	}
	if p.AntiEntropyInterval != 5*time.Second || p.Name != "lan+anti_entropy_interval=5s" {
		t.Fatalf("after Set: %v %q", p.AntiEntropyInterval, p.Name)
	}
	for _, bad := range []string{"nokey", "probe_interval=fast", "nope=1s", "gossip_nodes=0", "probe_timeout=2s"} {
		q := Profiles["lan"]
		if err := q.Set(bad); err == nil {
			t.Errorf("Set(%q): no error", bad)
		}
	}
	if got := Profiles["lan"].PushPullPeriod(128); got != 90*time.Second {
		t.Fatalf("push-pull period at 128 = %v, want memberlist's 90s", got)
	}
	if got := Profiles["lan"].PushPullPeriod(16); got != 30*time.Second {
		t.Fatalf("push-pull period at 16 = %v, want 30s", got)
	}
	if x := LossPerDirection(0.1); (1-x)*(1-x) < 0.8999 || (1-x)*(1-x) > 0.9001 {
		t.Fatalf("per-direction loss %v does not compose to 10%%", x)
	}
}

func TestMain(m *testing.M) { leakcheck.Main(m) }
