package simulator

import (
	"encoding/binary"
	"io"
	"math/rand"
	randv2 "math/rand/v2"
	"net/netip"
	"time"

	"github.com/meshd/meshd/internal/core"
	"github.com/meshd/meshd/internal/membership"
)

// Node is what the simulator drives: the real *core.Node satisfies it. The
// interface exists so the engine can be tested with a tiny stand-in; it is
// called from the simulator's single goroutine only.
type Node interface {
	Step(now time.Time, from netip.AddrPort, data []byte)
	StepHeartbeat(now time.Time, from netip.AddrPort, data []byte)
	Tick(now time.Time)
	Ready() core.Ready
	Join(now time.Time, addrs []netip.AddrPort) core.JoinID
	SetDiscovered(now time.Time, addrs []netip.AddrPort) core.JoinID
	Leave(now time.Time)
	View() (live int, namesHash uint64)
	Members() []membership.Member
	Stats() core.Stats
}

// NewNodeFunc creates a node; the default wraps core.New.
type NewNodeFunc func(cfg core.Config, now time.Time) (Node, error)

func newCoreNode(cfg core.Config, now time.Time) (Node, error) {
	n, err := core.New(cfg, now)
	if err != nil {
		return nil, err
	}
	return n, nil
}

// splitmix64 derives independent seeds from one: the per-node random
// streams must not overlap, and must not depend on creation order alone.
func splitmix64(x uint64) uint64 {
	x += 0x9e3779b97f4a7c15
	x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9
	x = (x ^ (x >> 27)) * 0x94d049bb133111eb
	return x ^ (x >> 31)
}

// streamSeed is the seed of one random stream: the scenario seed, a purpose
// (node random, nonces, network), a node index and its restart count.
func streamSeed(seed int64, purpose, node, life uint64) uint64 {
	return splitmix64(splitmix64(splitmix64(uint64(seed)^purpose<<56)^node) ^ life<<32)
}

const (
	purposeRand uint64 = iota + 1
	purposeNonce
	purposeNet
	purposePick
	purposeKey
)

// pcgSource adapts math/rand/v2's PCG (16 bytes of state) to the
// math/rand.Source64 the core takes; math/rand's own source is ~5 KiB per
// instance, which adds up at 10,000 nodes.
type pcgSource struct{ p randv2.PCG }

func (s *pcgSource) Int63() int64    { return int64(s.p.Uint64() >> 1) }
func (s *pcgSource) Uint64() uint64  { return s.p.Uint64() }
func (s *pcgSource) Seed(seed int64) { s.p.Seed(uint64(seed), splitmix64(uint64(seed))) }

func newNodeRand(seed uint64) *rand.Rand {
	src := &pcgSource{}
	src.p.Seed(seed, splitmix64(seed))
	return rand.New(src)
}

// nonceReader is a deterministic io.Reader for AEAD nonces, so encrypted
// runs reproduce bit for bit too.
func newNonceReader(seed uint64) io.Reader {
	var key [32]byte
	for i := 0; i < 4; i++ {
		binary.LittleEndian.PutUint64(key[i*8:], splitmix64(seed+uint64(i)))
	}
	return randv2.NewChaCha8(key)
}

// simKey derives the scenario's AES-256 key from the seed.
func simKey(seed int64) []byte {
	k := make([]byte, 32)
	for i := 0; i < 4; i++ {
		binary.LittleEndian.PutUint64(k[i*8:], streamSeed(seed, purposeKey, uint64(i), 0))
	}
	return k
}

// Addresses: node address number k is 10.0.0.0 + k + 1, port 7946. They are
// netip values only; nothing is ever sent on a socket.
const (
	addrBase = 10 << 24
	simPort  = 7946
	// maxAddrs leaves room in 10.0.0.0/8 for restarts at new addresses.
	maxAddrs = 1<<24 - 2
)

func addrOf(k int32) netip.AddrPort {
	v := uint32(addrBase + 1 + k)
	return netip.AddrPortFrom(netip.AddrFrom4([4]byte{byte(v >> 24), byte(v >> 16), byte(v >> 8), byte(v)}), simPort)
}

// addrNumber inverts addrOf; ok is false for an address the simulator never
// handed out.
func addrNumber(a netip.AddrPort) (int32, bool) {
	ip := a.Addr().Unmap()
	if !ip.Is4() || a.Port() != simPort {
		return 0, false
	}
	b := ip.As4()
	v := uint32(b[0])<<24 | uint32(b[1])<<16 | uint32(b[2])<<8 | uint32(b[3])
	if v <= addrBase || v > addrBase+maxAddrs {
		return 0, false
	}
	return int32(v - addrBase - 1), true
}
