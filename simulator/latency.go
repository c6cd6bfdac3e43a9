package simulator

import (
	"math"
	"math/rand/v2"
	"time"
)

// latencyDist is the shape of a link's one-way delay.
type latencyDist uint8

const (
	distFixed       latencyDist = iota // Base + uniform [0, Jitter)
	distNormal                         // Base + normal(Mean, Stddev), clipped at 0
	distLognormal                      // Base + lognormal with the given Mean and Stddev
	distExponential                    // Base + exponential with the given Mean
)

var distNames = map[string]latencyDist{
	"fixed": distFixed, "normal": distNormal, "lognormal": distLognormal, "exponential": distExponential,
}

// maxLatency caps a heavy-tailed draw: a datagram a minute late is as good
// as lost for every protocol timer, and the cap keeps the event queue short.
const maxLatency = time.Minute

// Latency is a one-way delay model.
type Latency struct {
	Dist         latencyDist
	Base         time.Duration
	Jitter       time.Duration // fixed only
	Mean, Stddev time.Duration // normal, lognormal (both), exponential (Mean)
}

// sample draws one delay in nanoseconds. Fixed latency without jitter draws
// nothing, so adding a quiet link does not shift every later random choice.
func (l *Latency) sample(rng *rand.Rand) int64 {
	d := int64(l.Base)
	switch l.Dist {
	case distFixed:
		if l.Jitter > 0 {
			d += rng.Int64N(int64(l.Jitter))
		}
	case distNormal:
		v := float64(l.Mean) + rng.NormFloat64()*float64(l.Stddev)
		if v > 0 {
			d += int64(v)
		}
	case distLognormal:
		m, s := float64(l.Mean), float64(l.Stddev)
		if m > 0 {
			sigma2 := math.Log1p(s * s / (m * m))
			mu := math.Log(m) - sigma2/2
			d += int64(math.Exp(mu + math.Sqrt(sigma2)*rng.NormFloat64()))
		}
	case distExponential:
		d += int64(rng.ExpFloat64() * float64(l.Mean))
	}
	if d > int64(maxLatency) || d < 0 {
		d = int64(maxLatency)
	}
	return d
}
