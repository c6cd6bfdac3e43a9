package poll

import (
	"math/rand/v2"
	"testing"
	"time"
)

func TestBackoffGrowsIsCappedAndJittered(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	const max = time.Minute
	prevCeil := time.Duration(0)
	for n := 1; n <= 20; n++ {
		ceil := min(time.Second<<(n-1), max)
		if n > 8 {
			ceil = max
		}
		if ceil < prevCeil {
			t.Fatalf("ceiling shrank at n=%d", n)
		}
		prevCeil = ceil
		seen := map[time.Duration]bool{}
		for range 200 {
			d := backoff(n, 5*time.Second, max, r)
			if d < ceil/2 || d > ceil {
				t.Fatalf("backoff(%d) = %v, want in [%v, %v]", n, d, ceil/2, ceil)
			}
			seen[d] = true
		}
		if len(seen) < 2 {
			t.Fatalf("backoff(%d) is not jittered", n)
		}
	}
	// A short interval starts the backoff there, not at 1s.
	if d := backoff(1, 10*time.Millisecond, max, r); d > 10*time.Millisecond {
		t.Fatalf("backoff(1) with a 10ms interval = %v", d)
	}
	// A huge n does not overflow.
	if d := backoff(1<<30, time.Second, max, r); d > max || d < max/2 {
		t.Fatalf("backoff(huge) = %v", d)
	}
}

func TestJitterWithinTenPercent(t *testing.T) {
	r := rand.New(rand.NewPCG(3, 4))
	for range 1000 {
		d := jitter(5*time.Second, r)
		if d < 4500*time.Millisecond || d > 5500*time.Millisecond {
			t.Fatalf("jitter(5s) = %v", d)
		}
	}
	if d := jitter(1, r); d != 1 {
		t.Fatalf("jitter(1ns) = %v", d)
	}
}
