package heartbeat

import "time"

// bucket is a token bucket told the time by its caller: rate tokens per
// second refill it up to burst, and take spends one.
type bucket struct {
	rate   float64
	burst  float64
	tokens float64
	last   time.Time
}

func newBucket(rate float64, burst int) bucket {
	return bucket{rate: rate, burst: float64(burst), tokens: float64(burst)}
}

// take spends a token if one is left at now.
func (b *bucket) take(now time.Time) bool {
	if !b.last.IsZero() {
		// A clock that steps back refills nothing rather than going negative.
		if dt := now.Sub(b.last).Seconds(); dt > 0 {
			b.tokens = min(b.burst, b.tokens+dt*b.rate)
		}
	}
	if b.last.IsZero() || now.After(b.last) {
		b.last = now
	}
	if b.tokens < 1 {
		return false
	}
	b.tokens--
	return true
}
