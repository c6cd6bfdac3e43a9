package harness

import (
	"math"
	"slices"
)

// Quantile is the q-quantile (0..1) of sorted xs by linear interpolation
// between closest ranks; NaN for no samples.
func Quantile(sorted []float64, q float64) float64 {
	if len(sorted) == 0 {
		return math.NaN()
	}
	if q <= 0 {
		return sorted[0]
	}
	if q >= 1 {
		return sorted[len(sorted)-1]
	}
	pos := q * float64(len(sorted)-1)
	lo := int(math.Floor(pos))
	hi := min(lo+1, len(sorted)-1)
	frac := pos - float64(lo)
	return sorted[lo]*(1-frac) + sorted[hi]*frac
}

// Summary is the distribution of one metric over runs.
type Summary struct {
	N      int     `json:"n"`
	Median float64 `json:"median"`
	Min    float64 `json:"min"`
	Max    float64 `json:"max"`
	P90    float64 `json:"p90"`
	Mean   float64 `json:"mean"`
}

// Summarize describes xs (any order; not modified). NaNs are skipped.
func Summarize(xs []float64) Summary {
	s := make([]float64, 0, len(xs))
	for _, x := range xs {
		if !math.IsNaN(x) {
			s = append(s, x)
		}
	}
	if len(s) == 0 {
		nan := math.NaN()
		return Summary{Median: nan, Min: nan, Max: nan, P90: nan, Mean: nan}
	}
	slices.Sort(s)
	sum := 0.0
	for _, x := range s {
		sum += x
	}
	return Summary{
		N: len(s), Median: Quantile(s, 0.5), Min: s[0], Max: s[len(s)-1],
		P90: Quantile(s, 0.9), Mean: sum / float64(len(s)),
	}
}
