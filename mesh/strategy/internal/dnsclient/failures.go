package dnsclient

import (
	"maps"
	"sync"

	"github.com/miekg/dns"
)

// maxFailureKeys bounds the distinct keys Failures keeps. Query types and
// causes are few; a server inventing rcodes must not grow the map forever.
const maxFailureKeys = 64

// otherFailures is the key of failures past maxFailureKeys.
const otherFailures = "other"

// Failures counts failed queries by query type and Cause ("AAAA REFUSED",
// "A timeout"), for a strategy's mesh.StrategyStats.Failures. The zero
// value is ready; it is safe for concurrent use.
type Failures struct {
	mu sync.Mutex
	n  map[string]uint64
}

// Add counts one failed query of qtype; a nil err counts nothing.
func (f *Failures) Add(qtype uint16, err error) {
	if err == nil {
		return
	}
	k := FailureKey(qtype, err)
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.n == nil {
		f.n = map[string]uint64{}
	}
	if _, ok := f.n[k]; !ok && len(f.n) >= maxFailureKeys {
		k = otherFailures
	}
	f.n[k]++
}

// Snapshot returns a copy of the counts, nil before the first failure.
func (f *Failures) Snapshot() map[string]uint64 {
	f.mu.Lock()
	defer f.mu.Unlock()
	return maps.Clone(f.n)
}

// FailureKey is the key err is counted under: the query type and the Cause,
// "AAAA REFUSED".
func FailureKey(qtype uint16, err error) string {
	t, ok := dns.TypeToString[qtype]
	if !ok {
		t = "TYPE?"
	}
	return t + " " + Cause(err)
}
