package failure

import (
	"slices"
	"strings"
)

// probeRing orders the probeable members and this node on a ring by a hash
// of their names that every node computes alike. In probe window w (the
// wall-clock ProbeInterval slot now falls in, the same slot on every node
// whose clock is right to well within an interval) each node probes the
// member at offset 1 + w mod (n-1) after itself. While the nodes' views
// agree, that map is a bijection: every member is probed by exactly one
// node in every window, so a crashed member is probed in the first window
// after its crash, and by a different node in each window after that (the
// independent confirmations Lifeguard's suspicion waits for arrive one a
// window). Shuffled round-robin, as in SWIM and memberlist, leaves a given
// member unprobed in a window with probability about 1/e, so with several
// crashes the last one's first suspicion came seconds late. Over n-1
// windows a node still probes every member once, as in a round.
type probeRing struct {
	names []string // sorted by ringOrder; self included
	built bool
}

// ringKey is FNV-1a of the name: stable across nodes, processes and
// versions (unlike maphash), and cheap on short names.
func ringKey(name string) uint64 {
	h := uint64(14695981039346656037)
	for i := 0; i < len(name); i++ {
		h ^= uint64(name[i])
		h *= 1099511628211
	}
	return h
}

// ringOrder orders names a and b, hashed to ka and kb: by hash, the name
// breaking ties.
func ringOrder(ka uint64, a string, kb uint64, b string) int {
	switch {
	case ka < kb:
		return -1
	case ka > kb:
		return 1
	}
	return strings.Compare(a, b)
}

// build sets the ring to the members m reports plus self.
func (r *probeRing) build(m Members, self string) {
	r.names = append(m.Probeable(r.names[:0]), self)
	type keyed struct {
		key  uint64
		name string
	}
	// Hash each name once for the sort, not O(log n) times.
	tmp := make([]keyed, len(r.names))
	for i, n := range r.names {
		tmp[i] = keyed{ringKey(n), n}
	}
	slices.SortFunc(tmp, func(a, b keyed) int { return ringOrder(a.key, a.name, b.key, b.name) })
	r.names = r.names[:0]
	for i, k := range tmp {
		if i > 0 && k.name == tmp[i-1].name {
			continue
		}
		r.names = append(r.names, k.name)
	}
	r.built = true
}

func (r *probeRing) find(name string) (int, bool) {
	key := ringKey(name) // hashed once, not on every comparison
	return slices.BinarySearchFunc(r.names, name, func(e, _ string) int {
		return ringOrder(ringKey(e), e, key, name)
	})
}

// add puts name on the ring (no-op before the first build, which reads the
// table, or when present).
func (r *probeRing) add(name string) {
	if !r.built {
		return
	}
	if i, ok := r.find(name); !ok {
		r.names = slices.Insert(r.names, i, name)
	}
}

// remove takes name off the ring.
func (r *probeRing) remove(name string) {
	if !r.built {
		return
	}
	if i, ok := r.find(name); ok {
		r.names = slices.Delete(r.names, i, i+1)
	}
}

// at returns the member k places after position i.
func (r *probeRing) at(i, k int) string { return r.names[(i+k)%len(r.names)] }
