package vnet

// Set is a set of node indices, one bit per node, so that the sets of a
// partition or a link rule stay cheap at 10,000 nodes. Indices past its
// length are not members: a set made before the network grew still works.
type Set []uint64

// NewSet returns an empty set with room for indices below n.
func NewSet(n int) Set { return make(Set, (n+63)/64) }

// SetOf returns a set with room for indices below n holding ids.
func SetOf(n int, ids ...int32) Set {
	s := NewSet(n)
	for _, i := range ids {
		s.Add(i)
	}
	return s
}

// Add puts i in the set; i must be below the size the set was made with.
func (s Set) Add(i int32) { s[i>>6] |= 1 << (uint(i) & 63) }

// Has reports whether i is in the set.
func (s Set) Has(i int32) bool {
	w := int(i >> 6)
	return w < len(s) && s[w]&(1<<(uint(i)&63)) != 0
}
