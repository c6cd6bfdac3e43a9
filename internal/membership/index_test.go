package membership

import (
	"fmt"
	"math/rand"
	"testing"
	"time"
)

// The name index agrees with a map through a long random run of inserts
// and removals (removals move the last entry, and shift probe runs back).
func TestNameIndexAgreesWithMap(t *testing.T) {
	rng := rand.New(rand.NewSource(1))
	tb := New(Member{Name: "self", Addr: addr("10.0.0.1:1")}, t0)
	model := map[string]bool{"self": true}
	now := t0
	for step := 0; step < 20000; step++ {
		name := fmt.Sprintf("m%d", rng.Intn(600))
		now = now.Add(time.Millisecond)
		if model[name] && rng.Intn(2) == 0 {
			tb.Apply(now, Update{Name: name, Inc: 1 << 40, State: StateLeft}, false)
			tb.Reap(now.Add(time.Hour), time.Minute)
			delete(model, name)
		} else if !model[name] {
			tb.Apply(now, Update{Name: name, Addr: addr("10.0.0.2:1"), Inc: 1, State: StateAlive}, false)
			model[name] = true
		}
		if step%500 == 0 || step == 19999 {
			if tb.Len() != len(model) {
				t.Fatalf("step %d: %d entries, model has %d", step, tb.Len(), len(model))
			}
			for i := 0; i < 600; i++ {
				n := fmt.Sprintf("m%d", i)
				m, ok := tb.Get(n)
				if ok != model[n] || (ok && m.Name != n) {
					t.Fatalf("step %d: Get(%s) = %v, %v; model says %v", step, n, m.Name, ok, model[n])
				}
			}
			if tb.index.n != len(model) {
				t.Fatalf("step %d: index holds %d, model %d", step, tb.index.n, len(model))
			}
		}
	}
}
