package simulator

import "fmt"

// tracer folds the run's ordered trace (every datagram processed, every
// membership event, every action, with virtual times) into one FNV-1a
// 64-bit hash. Equal hashes mean the runs did the same things in the same
// order; the trace itself is never stored.
type tracer struct{ h uint64 }

const (
	fnvOffset = 14695981039346656037
	fnvPrime  = 1099511628211
)

func (t *tracer) word(v uint64) {
	h := t.h
	for i := 0; i < 8; i++ {
		h ^= v & 0xff
		h *= fnvPrime
		v >>= 8
	}
	t.h = h
}

// add appends one record: a kind and five fields.
func (t *tracer) add(kind, a, b, c, d, e uint64) {
	if t.h == 0 {
		t.h = fnvOffset
	}
	t.word(kind)
	t.word(a)
	t.word(b)
	t.word(c)
	t.word(d)
	t.word(e)
}

func (t *tracer) String() string { return fmt.Sprintf("%016x", t.h) }
