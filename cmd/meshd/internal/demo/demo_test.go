package demo

import (
	"bytes"
	"context"
	"strings"
	"testing"
	"time"

	"go.uber.org/goleak"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

// The demo forms, loses a member, gets it back and ends by itself within
// its 30 s budget.
func TestDemoRunsToTheEnd(t *testing.T) {
	var out bytes.Buffer
	start := time.Now()
	if err := Run(context.Background(), Options{Out: &out}); err != nil {
		t.Fatalf("demo failed: %v\n%s", err, out.String())
	}
	took := time.Since(start)
	s := out.String()
	for _, want := range []string{
		"5 agents started", "converged: every agent sees 5 alive",
		"crashing n3", "every agent declared n3 dead", "(crashed)", "DEAD",
		"n3 is alive again everywhere", "event seen by n1: join", "event seen by n1: fail", "done in",
	} {
		if !strings.Contains(s, want) {
			t.Errorf("output lacks %q", want)
		}
	}
	if took > 30*time.Second {
		t.Errorf("demo took %v, budget 30s", took)
	}
	t.Logf("demo took %v", took)
	if t.Failed() {
		t.Log(s)
	}
}

func TestDemoRejectsBadSize(t *testing.T) {
	if err := Run(context.Background(), Options{Nodes: 12, Out: &bytes.Buffer{}}); err == nil || !strings.Contains(err.Error(), "nodes") {
		t.Fatalf("Run with 12 nodes: %v", err)
	}
}
