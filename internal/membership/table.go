package membership

import (
	"net/netip"
	"time"
	"unique"
)

// Buckets is the number of anti-entropy digest buckets. 128 bucket hashes
// fit one 1400-byte packet.
const Buckets = 128

// Update is a claim about a member, from gossip or a state transfer.
type Update struct {
	Name    string
	Addr    netip.AddrPort
	Inc     uint64
	State   State
	Meta    map[string]string
	MetaVer uint64
	From    string // who made the claim (suspect/dead)
}

// Outcome says what Apply did with an update.
type Outcome uint8

const (
	Ignored        Outcome = iota // stale or redundant: do not rebroadcast
	Applied                       // the table changed: rebroadcast
	Confirmed                     // an already suspected member suspected again (Lifeguard confirmation)
	SelfConflict                  // a claim about this node that it must refute
	AddrConflict                  // another live member claims this name at another address
	StaleSelfClaim                // a suspicion or verdict about this node that it refuted already
)

// entry is a member as the table stores it: by value in one slice, the
// address as raw bytes, Since as Unix nanoseconds. At thousands of members
// per node and thousands of nodes per process (the simulator) the table is
// most of the memory: this is 72 bytes a member where a Member is 104, and
// one slice instead of one object per member spares the garbage collector
// millions of small objects.
type entry struct {
	Name        string
	Meta        map[string]string
	Incarnation uint64
	MetaVersion uint64
	since       int64    // Member.Since, Unix nanoseconds (0: zero time)
	ip          [16]byte // the first 4 for IPv4
	port        uint16
	fam         uint8 // famNone, fam4, fam6 or famZoned (address in Table.zoned)
	State       State
}

const (
	famNone  uint8 = iota // no address
	fam4                  // IPv4 in ip[:4]
	fam6                  // IPv6 (or IPv4-mapped) in ip
	famZoned              // IPv6 with a zone: the whole address is in Table.zoned
)

// addr is e's address.
func (t *Table) addr(e *entry) netip.AddrPort {
	switch e.fam {
	case fam4:
		return netip.AddrPortFrom(netip.AddrFrom4([4]byte(e.ip[:4])), e.port)
	case fam6:
		return netip.AddrPortFrom(netip.AddrFrom16(e.ip), e.port)
	case famZoned:
		return t.zoned[e.Name]
	}
	return netip.AddrPort{}
}

// setAddr stores a as e's address. Zones are rare (link-local addresses
// given by hand; the wire format carries none), so they live aside.
func (t *Table) setAddr(e *entry, a netip.AddrPort) {
	if e.fam == famZoned {
		delete(t.zoned, e.Name)
	}
	e.ip, e.port = [16]byte{}, a.Port()
	switch ip := a.Addr(); {
	case !a.IsValid():
		e.fam, e.port = famNone, 0
	case ip.Zone() != "":
		if t.zoned == nil {
			t.zoned = make(map[string]netip.AddrPort)
		}
		t.zoned[e.Name] = a
		e.fam = famZoned
	case ip.Is4():
		b := ip.As4()
		copy(e.ip[:], b[:])
		e.fam = fam4
	default:
		e.ip = ip.As16()
		e.fam = fam6
	}
}

func (t *Table) member(e *entry) Member {
	m := Member{Name: e.Name, Addr: t.addr(e), Meta: e.Meta, State: e.State,
		Incarnation: e.Incarnation, MetaVersion: e.MetaVersion}
	if e.since != 0 {
		m.Since = time.Unix(0, e.since).UTC()
	}
	return m
}

func (t *Table) set(e *entry, m *Member) {
	e.Name, e.Meta, e.State = m.Name, m.Meta, m.State
	e.Incarnation, e.MetaVersion = m.Incarnation, m.MetaVersion
	t.setAddr(e, m.Addr)
	e.since = 0
	if !m.Since.IsZero() {
		e.since = m.Since.UnixNano()
	}
}

// Table is the member table. Not safe for concurrent use. list[0] is this
// node: it is inserted first and never removed.
type Table struct {
	index   nameIndex // name -> position in list
	list    []entry
	zoned   map[string]netip.AddrPort // addresses with a zone, by name (see setAddr)
	buckets [Buckets]uint64
	live    int
	liveSum uint64 // XOR of NameHash over live members
	events  []Event
}

// New returns a table holding only self, alive.
func New(self Member, now time.Time) *Table {
	t := &Table{}
	self.State = StateAlive
	self.Since = now
	t.insert(self)
	return t
}

func (t *Table) self() *entry { return &t.list[0] }

// Grow makes room for n more members, so that a table filled at once (a
// node that starts with a known cluster) is allocated once, at its size.
func (t *Table) Grow(n int) {
	if n <= 0 {
		return
	}
	if cap(t.list)-len(t.list) < n {
		list := make([]entry, len(t.list), len(t.list)+n)
		copy(list, t.list)
		t.list = list
	}
	t.index.reserve(t.list, len(t.list)+n)
}

// lookup returns the entry of name; the pointer is valid until the next
// insert or remove.
func (t *Table) lookup(name string) (*entry, bool) {
	i, ok := t.index.get(t.list, name)
	if !ok {
		return nil, false
	}
	return &t.list[i], true
}

// NameHash is a stable 64-bit hash of a member name (FNV-1a, mixed). Digests
// are compared between processes, so no per-process seed may enter it.
func NameHash(name string) uint64 {
	h := uint64(14695981039346656037)
	for i := 0; i < len(name); i++ {
		h ^= uint64(name[i])
		h *= 1099511628211
	}
	return mix(h)
}

func mix(x uint64) uint64 { // splitmix64 finaliser
	x ^= x >> 30
	x *= 0xbf58476d1ce4e5b9
	x ^= x >> 27
	x *= 0x94d049bb133111eb
	x ^= x >> 31
	return x
}

// BucketOf is the digest bucket of a name.
func BucketOf(name string) int { return int(NameHash(name) % Buckets) }

func isLive(s State) bool { return s == StateAlive || s == StateSuspect }

// contribution is what a live member adds to its bucket: name, incarnation
// and metadata version (nh is NameHash of the name). Suspicion is left out
// on purpose: it is transient and refuted by gossip, so digests should not
// diverge over it. Members that are not live add nothing.
func contribution(nh uint64, e *entry) uint64 {
	return mix(nh ^ mix(e.Incarnation+0x9e3779b97f4a7c15) ^ mix(e.MetaVersion^0x5851f42d4c957f2d))
}

func (t *Table) insert(m Member) *entry {
	// Every node of a cluster holds every name: one shared copy per process
	// instead of one per table matters when thousands of nodes share a
	// process (the simulator, the benchmark).
	m.Name = unique.Make(m.Name).Value()
	t.list = append(t.list, entry{})
	e := &t.list[len(t.list)-1]
	t.set(e, &m)
	t.index.put(t.list, m.Name, int32(len(t.list)-1))
	t.account(e, +1)
	return e
}

// account adds (+1) or removes (-1) e's share of the digest and live set.
// The share is recomputed, not stored: removal runs before e changes, so it
// sees the fields the share was added with (8 bytes less per entry).
func (t *Table) account(e *entry, sign int) {
	if !isLive(e.State) {
		return
	}
	nh := NameHash(e.Name)
	t.buckets[nh%Buckets] ^= contribution(nh, e)
	t.liveSum ^= nh
	t.live += sign
}

// change applies fn to e, keeping digest and live set in step.
func (t *Table) change(e *entry, fn func(m *Member)) {
	t.account(e, -1)
	m := t.member(e)
	fn(&m)
	t.set(e, &m)
	t.account(e, +1)
}

// remove deletes the entry at index i; the last entry moves into its place.
func (t *Table) remove(i int) {
	e := &t.list[i]
	t.account(e, -1)
	t.index.del(t.list, e.Name)
	if e.fam == famZoned {
		delete(t.zoned, e.Name)
	}
	last := len(t.list) - 1
	if i != last {
		t.list[i] = t.list[last]
		t.index.move(t.list, t.list[i].Name, int32(i))
	}
	t.list[last] = entry{}
	t.list = t.list[:last]
}

func (t *Table) emit(typ EventType, e *entry, now time.Time) {
	t.events = append(t.events, Event{Type: typ, Member: t.member(e).Clone(), At: now})
}

// TakeEvents returns and clears the events produced since the last call.
func (t *Table) TakeEvents() []Event {
	ev := t.events
	t.events = nil
	return ev
}

// Self returns this node's entry.
func (t *Table) Self() Member { return t.member(t.self()) }

// Get returns the member called name.
func (t *Table) Get(name string) (Member, bool) {
	e, ok := t.lookup(name)
	if !ok {
		return Member{}, false
	}
	return t.member(e), true
}

// Len is the number of entries, tombstones included.
func (t *Table) Len() int { return len(t.list) }

// Live is the number of alive or suspect members, self included.
func (t *Table) Live() int { return t.live }

// LiveHash is the XOR of NameHash over live members.
func (t *Table) LiveHash() uint64 { return t.liveSum }

// Root is the digest of the whole table: the XOR of the bucket hashes.
func (t *Table) Root() uint64 {
	var r uint64
	for _, b := range t.buckets {
		r ^= b
	}
	return r
}

// BucketHashes returns a copy of the per-bucket hashes.
func (t *Table) BucketHashes() []uint64 {
	out := make([]uint64, Buckets)
	copy(out, t.buckets[:])
	return out
}

// Each calls fn for every member (in table order, which is arbitrary but
// deterministic for a given history).
func (t *Table) Each(fn func(m *Member)) {
	for i := range t.list {
		m := t.member(&t.list[i])
		fn(&m)
	}
}

// InBuckets returns the members (tombstones included) whose bucket is set in want.
func (t *Table) InBuckets(want *[Buckets]bool) []Member {
	var out []Member
	for i := range t.list {
		if e := &t.list[i]; want[BucketOf(e.Name)] {
			out = append(out, t.member(e))
		}
	}
	return out
}

// Members returns copies of every entry.
func (t *Table) Members() []Member {
	out := make([]Member, len(t.list))
	for i := range t.list {
		out[i] = t.member(&t.list[i]).Clone()
	}
	return out
}

// Random returns up to k distinct members other than self for which ok
// returns true, chosen uniformly with rng.
// Rand is what Random draws from: an injected, seeded source (a
// *math/rand.Rand satisfies it), never a global one.
type Rand interface {
	Intn(n int) int
	Perm(n int) []int
}

func (t *Table) Random(rng Rand, k int, ok func(m *Member) bool) []Member {
	if k <= 0 || len(t.list) <= 1 {
		return nil
	}
	out := make([]Member, 0, k)
	// Sample without replacement by a partial Fisher-Yates over indices when
	// the table is small, by rejection when it is large.
	n := len(t.list)
	if n <= 4*k+16 {
		perm := rng.Perm(n)
		for _, i := range perm {
			if i == 0 {
				continue // self
			}
			if m := t.member(&t.list[i]); ok(&m) {
				out = append(out, m)
				if len(out) == k {
					break
				}
			}
		}
		return out
	}
	seen := make(map[int]bool, 2*k)
	for tries := 0; tries < 8*k && len(out) < k; tries++ {
		i := rng.Intn(n)
		if seen[i] {
			continue
		}
		seen[i] = true
		if i == 0 {
			continue // self
		}
		if m := t.member(&t.list[i]); ok(&m) {
			out = append(out, m)
		}
	}
	return out
}

// Reap removes dead and left members whose state is older than reclaim.
func (t *Table) Reap(now time.Time, reclaim time.Duration) int {
	n := 0
	cutoff := now.Add(-reclaim).UnixNano()
	for i := 1; i < len(t.list); { // list[0] is self
		e := &t.list[i]
		if !isLive(e.State) && e.since <= cutoff {
			t.remove(i)
			n++
			continue // the last entry moved into i
		}
		i++
	}
	return n
}
