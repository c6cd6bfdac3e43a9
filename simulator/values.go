package simulator

import (
	"fmt"
	"math"
	"strconv"
	"strings"
	"time"
)

// maxDuration bounds every duration in a scenario. A year of simulated time
// is far beyond any useful run and keeps arithmetic on nanoseconds far from
// overflow.
const maxDuration = 365 * 24 * time.Hour

// parseDuration reads a Go duration ("30s", "1m30s", "250ms"). A bare number
// is refused: "30" could mean seconds or milliseconds, and a wrong guess
// would silently change the scenario.
func parseDuration(s string) (time.Duration, error) {
	s = strings.TrimSpace(s)
	if s == "" {
		return 0, fmt.Errorf("empty, want a duration such as 30s or 250ms")
	}
	if _, err := strconv.ParseFloat(s, 64); err == nil {
		return 0, fmt.Errorf("%q has no unit, want a duration such as %ss or %sms", s, s, s)
	}
	d, err := time.ParseDuration(s)
	if err != nil {
		return 0, fmt.Errorf("%q is not a duration (examples: 30s, 1m30s, 250ms)", s)
	}
	if d < 0 {
		return 0, fmt.Errorf("%q is negative", s)
	}
	if d > maxDuration {
		return 0, fmt.Errorf("%q is longer than %v", s, maxDuration)
	}
	return d, nil
}

// parsePercent reads "5%" or "0.5%" as a fraction in [0, 1]. A bare number
// is refused for the same reason as in parseDuration: 5 could mean 5% or 500%.
func parsePercent(s string) (float64, error) {
	s = strings.TrimSpace(s)
	num, ok := strings.CutSuffix(s, "%")
	if !ok {
		return 0, fmt.Errorf("%q is not a percentage, want for example 5%%", s)
	}
	v, err := strconv.ParseFloat(strings.TrimSpace(num), 64)
	if err != nil || math.IsNaN(v) || math.IsInf(v, 0) {
		return 0, fmt.Errorf("%q is not a percentage, want for example 5%%", s)
	}
	if v < 0 || v > 100 {
		return 0, fmt.Errorf("%q is outside 0%% to 100%%", s)
	}
	return v / 100, nil
}

// parseCount reads a non-negative integer no larger than max.
func parseCount(s string, max int) (int, error) {
	v, err := strconv.ParseInt(strings.TrimSpace(s), 10, 64)
	if err != nil {
		return 0, fmt.Errorf("%q is not an integer", s)
	}
	if v < 0 {
		return 0, fmt.Errorf("%d is negative", v)
	}
	if v > int64(max) {
		return 0, fmt.Errorf("%d is larger than %d", v, max)
	}
	return int(v), nil
}

// fmtSeconds formats a virtual time as seconds with millisecond precision,
// the unit of every figure the simulator reports.
func fmtSeconds(ns int64) string {
	return strconv.FormatFloat(float64(ns)/1e9, 'f', 3, 64) + "s"
}
