package mesh_test

import (
	"context"
	"sort"
	"sync"
	"testing"
	"time"

	"go.uber.org/goleak"

	"github.com/meshd/meshd/mesh"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

func allSee(ms []*mesh.Mesh, n int) func() bool {
	return func() bool {
		for _, m := range ms {
			if aliveCount(m) != n {
				return false
			}
		}
		return true
	}
}

// recorder collects every event a mesh publishes and notifies wake after
// each.
type recorder struct {
	mu  sync.Mutex
	evs []mesh.Event
}

func record(m *mesh.Mesh, wake chan<- struct{}) (*recorder, func()) {
	r := &recorder{}
	ch, cancel := m.Subscribe()
	done := make(chan struct{})
	go func() {
		defer close(done)
		for ev := range ch {
			r.mu.Lock()
			r.evs = append(r.evs, ev)
			r.mu.Unlock()
			notify(wake)
		}
	}()
	return r, func() { cancel(); <-done }
}

func (r *recorder) names(t mesh.EventType) []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	seen := map[string]bool{}
	var out []string
	for _, ev := range r.evs {
		if ev.Type == t && !seen[ev.Member.Name] {
			seen[ev.Member.Name] = true
			out = append(out, ev.Member.Name)
		}
	}
	sort.Strings(out)
	return out
}

func TestUDPCluster50(t *testing.T) {
	if testing.Short() {
		t.Skip("50 real nodes is not short")
	}
	ms := startN(t, 50, nil)
	waitFor(t, 60*time.Second, "50 alive everywhere", allSee(ms, 50), ms...)

	// Close 5 abruptly: every survivor gets EventFail for exactly those 5.
	survivors := ms[5:]
	var recs []*recorder
	recorded := make(chan struct{}, 1)
	for _, m := range survivors {
		r, stop := record(m, recorded)
		defer stop()
		recs = append(recs, r)
	}
	var want []string
	for _, m := range ms[:5] {
		want = append(want, m.Local().Name)
		m.Close()
	}
	sort.Strings(want)
	waitWoken(t, 90*time.Second, "every survivor told of the 5 failures", func() bool {
		for _, r := range recs {
			if len(r.names(mesh.EventFail)) < 5 {
				return false
			}
		}
		return true
	}, recorded)
	for i, r := range recs {
		if got := r.names(mesh.EventFail); !equal(got, want) {
			t.Fatalf("%s: EventFail for %v, want exactly %v", survivors[i].Local().Name, got, want)
		}
	}

	// A graceful leave is EventLeave, not EventFail.
	leaver := survivors[len(survivors)-1]
	name := leaver.Local().Name
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := leaver.Leave(ctx); err != nil {
		t.Fatal(err)
	}
	rest, restRecs := survivors[:len(survivors)-1], recs[:len(recs)-1]
	waitWoken(t, 30*time.Second, "EventLeave everywhere", func() bool {
		for _, r := range restRecs {
			if !contains(r.names(mesh.EventLeave), name) {
				return false
			}
		}
		return true
	}, recorded)
	for _, r := range restRecs {
		if contains(r.names(mesh.EventFail), name) {
			t.Fatalf("the leaver %s was reported failed", name)
		}
	}

	// A closed node restarted under the same name on a new port is alive again everywhere.
	back := localConfig(want[0])
	m, err := mesh.New(back)
	if err != nil {
		t.Fatal(err)
	}
	defer m.Close()
	if _, err := m.Join(ctx, rest[0].Addr().String()); err != nil {
		t.Fatal(err)
	}
	waitFor(t, 60*time.Second, want[0]+" alive again everywhere at its new address", func() bool {
		for _, o := range rest {
			ok := false
			for _, mem := range o.Members() {
				if mem.Name == want[0] && mem.State == mesh.StateAlive && mem.Addr == m.Addr() {
					ok = true
				}
			}
			if !ok {
				return false
			}
		}
		return true
	}, rest...)
}

func equal(a, b []string) bool {
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

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}
