package poll

import (
	"math/rand/v2"
	"time"
)

// backoff returns how long to wait after the n-th consecutive failure
// (n >= 1): min(Interval, 1s) doubled n-1 times, capped at max, then "equal
// jitter" (a uniform pick in [d/2, d]) so that nodes that failed together do
// not retry together, while the wait never collapses to zero.
func backoff(n int, interval, max time.Duration, r *rand.Rand) time.Duration {
	d := min(interval, firstRetryCap)
	for i := 1; i < n && d < max; i++ {
		d *= 2
	}
	d = min(d, max)
	half := d / 2
	if half <= 0 {
		return d
	}
	return half + time.Duration(r.Int64N(int64(half)+1))
}

// jitter spreads a successful poll's interval over ±10%.
func jitter(d time.Duration, r *rand.Rand) time.Duration {
	spread := d / 5
	if spread <= 0 {
		return d
	}
	return d - spread/2 + time.Duration(r.Int64N(int64(spread)+1))
}
