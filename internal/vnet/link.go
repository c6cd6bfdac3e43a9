package vnet

import (
	"math"
	"math/rand/v2"
	"time"
)

// Link describes one direction of a link.
type Link struct {
	Latency      Latency
	Loss         float64 // fraction of datagrams dropped
	Duplicate    float64 // fraction delivered twice (each copy with its own latency)
	Reorder      float64 // fraction held back by an extra uniform delay up to ReorderDelay
	ReorderDelay time.Duration
	MTU          int // IP MTU: datagrams over MTU-UDPIPv4Overhead payload bytes are dropped
}

// UDPIPv4Overhead is what IPv4 and UDP headers take out of the MTU.
const UDPIPv4Overhead = 28

// Dist is the shape of a link's one-way delay.
type Dist uint8

const (
	DistFixed       Dist = iota // Base + uniform [0, Jitter)
	DistNormal                  // Base + normal(Mean, Stddev), clipped at 0
	DistLognormal               // Base + lognormal with the given Mean and Stddev
	DistExponential             // Base + exponential with the given Mean
)

// MaxLatency caps a heavy-tailed draw: a datagram a minute late is as good
// as lost for every protocol timer, and the cap keeps event queues short.
const MaxLatency = time.Minute

// Latency is a one-way delay model.
type Latency struct {
	Dist         Dist
	Base         time.Duration
	Jitter       time.Duration // DistFixed only
	Mean, Stddev time.Duration // DistNormal, DistLognormal (both), DistExponential (Mean)
}

// Sample draws one delay. Fixed latency without jitter draws nothing, so
// adding a quiet link does not shift every later random choice.
func (l *Latency) Sample(rng *rand.Rand) time.Duration {
	d := int64(l.Base)
	switch l.Dist {
	case DistFixed:
		if l.Jitter > 0 {
			d += rng.Int64N(int64(l.Jitter))
		}
	case DistNormal:
		v := float64(l.Mean) + rng.NormFloat64()*float64(l.Stddev)
		if v > 0 {
			d += int64(v)
		}
	case DistLognormal:
		m, s := float64(l.Mean), float64(l.Stddev)
		if m > 0 {
			sigma2 := math.Log1p(s * s / (m * m))
			mu := math.Log(m) - sigma2/2
			d += int64(math.Exp(mu + math.Sqrt(sigma2)*rng.NormFloat64()))
		}
	case DistExponential:
		d += int64(rng.ExpFloat64() * float64(l.Mean))
	}
	if d > int64(MaxLatency) || d < 0 {
		d = int64(MaxLatency)
	}
	return time.Duration(d)
}
