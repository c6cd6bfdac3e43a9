package simulator

import (
	"os"
	"path/filepath"
	"testing"
	"time"
)

// FuzzParse feeds the scenario parser arbitrary bytes: it must return a
// scenario or an error, never panic, and never accept something the engine
// cannot run. Seeds: the examples plus testdata/fuzz/FuzzParse.
func FuzzParse(f *testing.F) {
	files, _ := filepath.Glob(filepath.Join("..", "examples", "sim", "*.yaml"))
	for _, p := range files {
		if b, err := os.ReadFile(p); err == nil {
			f.Add(b)
		}
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		sc, err := Parse(data, "fuzz.yaml")
		if err != nil {
			if _, ok := err.(*ScenarioError); !ok {
				t.Fatalf("error of type %T: %v", err, err)
			}
			return
		}
		if sc.Nodes < 1 || sc.Nodes > maxNodes || sc.Duration <= 0 {
			t.Fatalf("accepted nodes %d duration %v", sc.Nodes, sc.Duration)
		}
		for _, a := range sc.Events {
			if a.At < 0 || a.At >= sc.Duration {
				t.Fatalf("accepted an event at %v of %v", a.At, sc.Duration)
			}
		}
		// Small accepted scenarios must also run (with the fake protocol,
		// briefly) without panicking.
		if sc.Nodes <= 50 {
			short, err := sc.Scaled(0, min(sc.Duration, 2*time.Second))
			if err != nil {
				return
			}
			if _, err := Run(short, fakeOpts()); err != nil {
				t.Fatalf("accepted scenario failed to run: %v", err)
			}
		}
	})
}
