package simulator

import "math/bits"

// bitset is a fixed-size set of node indices: one bit per node keeps
// per-crash and per-rule sets cheap at 10,000 nodes.
type bitset []uint64

func newBitset(n int) bitset { return make(bitset, (n+63)/64) }

func (b bitset) set(i int32)      { b[i>>6] |= 1 << (uint(i) & 63) }
func (b bitset) clear(i int32)    { b[i>>6] &^= 1 << (uint(i) & 63) }
func (b bitset) has(i int32) bool { return b[i>>6]&(1<<(uint(i)&63)) != 0 }

// setRange sets lo..hi inclusive, a word at a time: ranges of a million
// nodes are common in scenarios.
func (b bitset) setRange(lo, hi int) {
	for lo <= hi {
		w, bit := lo>>6, uint(lo&63)
		n := min(64-int(bit), hi-lo+1)
		mask := ^uint64(0)
		if n < 64 {
			mask = (1<<uint(n) - 1) << bit
		}
		b[w] |= mask
		lo += n
	}
}

func (b bitset) count() int {
	c := 0
	for _, w := range b {
		c += bits.OnesCount64(w)
	}
	return c
}

// intersects reports whether b and o share a member.
func (b bitset) intersects(o bitset) bool {
	for i := range b {
		if i < len(o) && b[i]&o[i] != 0 {
			return true
		}
	}
	return false
}
