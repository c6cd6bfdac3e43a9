package cli

// Closest is the name key is a typo of: a small edit distance, or a longer
// spelling of it (multicast-iface); "" if none.
func Closest(key string, names []string) string {
	best, bestD := "", 3 // a distance below 3 is a typo
	for _, n := range names {
		if d := distance(key, n); d < bestD || (best == "" && d*5 <= len(key)) {
			best, bestD = n, d
		}
	}
	return best
}

// distance is the Levenshtein distance, for short keys.
func distance(a, b string) int {
	if len(a) > 64 || len(b) > 64 {
		return 1 << 10
	}
	prev := make([]int, len(b)+1)
	cur := make([]int, len(b)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(a); i++ {
		cur[0] = i
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
		}
		prev, cur = cur, prev
	}
	return prev[len(b)]
}
