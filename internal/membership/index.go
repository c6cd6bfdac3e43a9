package membership

// nameIndex maps member names to positions in Table.list. It is open
// addressing with linear probing over NameHash, 4 bytes a slot and at most
// 3/4 full: some 8 bytes a member where a map[string]int32 takes over 30,
// with nothing in it for the garbage collector to scan. At 10,000 members
// per node and 10,000 nodes per process (the simulator) that is 2.5 GB.
type nameIndex struct {
	slots []int32 // position in the list + 1; 0 is an empty slot
	n     int     // occupied slots
}

func (x *nameIndex) mask() uint64 { return uint64(len(x.slots) - 1) }

// find returns the slot holding name, or the empty slot where it would go.
func (x *nameIndex) find(list []entry, name string) (slot uint64, found bool) {
	if len(x.slots) == 0 {
		return 0, false
	}
	m := x.mask()
	for i := NameHash(name) & m; ; i = (i + 1) & m {
		p := x.slots[i]
		if p == 0 {
			return i, false
		}
		if list[p-1].Name == name {
			return i, true
		}
	}
}

// get returns the position of name in list.
func (x *nameIndex) get(list []entry, name string) (int32, bool) {
	i, ok := x.find(list, name)
	if !ok {
		return 0, false
	}
	return x.slots[i] - 1, true
}

// put records that name, not yet indexed, is at pos. list must already
// hold it there.
func (x *nameIndex) put(list []entry, name string, pos int32) {
	if (x.n+1)*4 > len(x.slots)*3 {
		x.resize(list, max(16, 2*len(x.slots)))
	}
	i, _ := x.find(list, name)
	x.slots[i] = pos + 1
	x.n++
}

// move records that name, indexed, is now at pos.
func (x *nameIndex) move(list []entry, name string, pos int32) {
	if i, ok := x.find(list, name); ok {
		x.slots[i] = pos + 1
	}
}

// del removes name; list must still hold it at its indexed position. The
// entries after it in its probe run shift back (no tombstones).
func (x *nameIndex) del(list []entry, name string) {
	i, ok := x.find(list, name)
	if !ok {
		return
	}
	m := x.mask()
	x.slots[i] = 0
	x.n--
	for j := (i + 1) & m; x.slots[j] != 0; j = (j + 1) & m {
		home := NameHash(list[x.slots[j]-1].Name) & m
		// Move j back into the hole at i unless its home lies cyclically
		// in (i, j]: then it is still reachable where it is.
		if (j-home)&m >= (j-i)&m {
			x.slots[i], x.slots[j] = x.slots[j], 0
			i = j
		}
	}
}

// reserve makes room for n occupied slots without a resize.
func (x *nameIndex) reserve(list []entry, n int) {
	size := 16
	for n*4 > size*3 {
		size *= 2
	}
	if size > len(x.slots) {
		x.resize(list, size)
	}
}

func (x *nameIndex) resize(list []entry, size int) {
	old := x.slots
	x.slots = make([]int32, size)
	m := x.mask()
	for _, p := range old {
		if p == 0 {
			continue
		}
		i := NameHash(list[p-1].Name) & m
		for x.slots[i] != 0 {
			i = (i + 1) & m
		}
		x.slots[i] = p
	}
}
