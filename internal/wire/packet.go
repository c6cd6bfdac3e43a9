package wire

import (
	"crypto/rand"
	"encoding/binary"
	"errors"
	"hash/fnv"
	"io"
	"time"
)

// Packet header: magic, version, flags, then the 4-byte FNV-1a tag of the
// cluster name, so a foreign cluster's packet is recognised before any
// decoding. A sealed packet's body is nonce||AES-GCM(timestamp||payload)||tag
// with header and cluster name as additional data.
const (
	Magic      = 'M'
	Version    = 1
	HeaderSize = 7

	flagSealed = 1 << 0

	// MaxSkew bounds how far a sealed packet's timestamp may be from the
	// receiver's clock; older packets are replays or hopelessly late.
	MaxSkew = 60 * time.Second
)

// Reasons Open refuses a packet (ErrOversized is the caller's, for a
// datagram longer than it accepts). The engine maps each, with errors.Is,
// to its typed drop reason.
var (
	ErrShort          = errors.New("truncated")
	ErrBadMagic       = errors.New("bad-magic")
	ErrVersion        = errors.New("unsupported-version")
	ErrForeignCluster = errors.New("foreign-cluster")
	ErrUnencrypted    = errors.New("unencrypted")
	ErrUnexpectedSeal = errors.New("encrypted-without-key")
	ErrBadKey         = errors.New("bad-key")
	ErrStale          = errors.New("stale")
	ErrReplay         = errors.New("replay")
	ErrOversized      = errors.New("oversized")
)

// Codec frames payloads into packets of one cluster. Not safe for
// concurrent use.
type Codec struct {
	tag     uint32
	aad     []byte // header || cluster name, header part rewritten per packet
	keys    *Keyring
	nonce   io.Reader
	replays *nonceCache
	// sealIn is Frame's plaintext, opened Open's. They are apart because a
	// caller frames replies while it still decodes an opened payload (a
	// ping's ack before the gossip piggybacked after the ping).
	sealIn, opened []byte
}

// ClusterTag is the header tag of a cluster name.
func ClusterTag(cluster string) uint32 {
	h := fnv.New32a()
	h.Write([]byte(cluster))
	return h.Sum32()
}

// HeaderClusterTag is the cluster tag in a packet's header, as Open
// compares it with the codec's own; ok is false if pkt is too short to
// carry one. It says which cluster a foreign packet claims to be from.
func HeaderClusterTag(pkt []byte) (tag uint32, ok bool) {
	if len(pkt) < HeaderSize {
		return 0, false
	}
	return binary.BigEndian.Uint32(pkt[3:7]), true
}

// Tag is the cluster tag of the codec's cluster (ClusterTag of its name).
func (c *Codec) Tag() uint32 { return c.tag }

// NewCodec returns a codec for cluster; keys may be empty (no encryption);
// nonce nil means crypto/rand.
func NewCodec(cluster string, keys [][]byte, nonce io.Reader) (*Codec, error) {
	if nonce == nil {
		nonce = rand.Reader
	}
	c := &Codec{tag: ClusterTag(cluster), nonce: nonce}
	c.aad = append(make([]byte, HeaderSize), cluster...)
	if err := c.SetKeys(keys); err != nil {
		return nil, err
	}
	return c, nil
}

// SetKeys replaces the keyring.
func (c *Codec) SetKeys(keys [][]byte) error {
	kr, err := NewKeyring(keys)
	if err != nil {
		return err
	}
	c.keys = kr
	if kr != nil && c.replays == nil {
		c.replays = newNonceCache(1 << 14)
	}
	return nil
}

// Overhead is how many bytes framing adds to a payload.
func (c *Codec) Overhead() int {
	if c.keys == nil {
		return HeaderSize
	}
	return SealedOverhead
}

// SealedOverhead is what framing adds to the payload of a sealed packet:
// header, nonce, tag and the 8-byte timestamp.
const SealedOverhead = HeaderSize + SealOverhead + 8

func (c *Codec) header(dst []byte, flags byte) []byte {
	dst = append(dst, Magic, Version, flags, 0, 0, 0, 0)
	binary.BigEndian.PutUint32(dst[len(dst)-4:], c.tag)
	return dst
}

// Frame appends the packet carrying payload to dst.
func (c *Codec) Frame(dst, payload []byte, now time.Time) ([]byte, error) {
	if c.keys == nil {
		dst = c.header(dst, 0)
		return append(dst, payload...), nil
	}
	start := len(dst)
	dst = c.header(dst, flagSealed)
	copy(c.aad, dst[start:])
	c.sealIn = binary.BigEndian.AppendUint64(c.sealIn[:0], uint64(now.UnixMilli()))
	c.sealIn = append(c.sealIn, payload...)
	return c.keys.Seal(dst, c.sealIn, c.aad, c.nonce)
}

// Open checks the header, authenticates and decrypts a packet, and returns
// its payload (which may alias pkt or an internal buffer valid until the next
// Open; Frame does not touch it). The error is one of the Err* reasons above.
func (c *Codec) Open(pkt []byte, now time.Time) ([]byte, error) {
	if len(pkt) < HeaderSize {
		return nil, ErrShort
	}
	if pkt[0] != Magic {
		return nil, ErrBadMagic
	}
	if pkt[1] != Version {
		return nil, ErrVersion
	}
	if binary.BigEndian.Uint32(pkt[3:7]) != c.tag {
		return nil, ErrForeignCluster
	}
	sealed := pkt[2]&flagSealed != 0
	switch {
	case c.keys == nil && sealed:
		return nil, ErrUnexpectedSeal
	case c.keys != nil && !sealed:
		return nil, ErrUnencrypted
	case c.keys == nil:
		return pkt[HeaderSize:], nil
	}
	copy(c.aad, pkt[:HeaderSize])
	body := pkt[HeaderSize:]
	plain, err := c.keys.Open(c.opened[:0], body, c.aad)
	if err != nil {
		if errors.Is(err, ErrNoKey) {
			return nil, ErrBadKey
		}
		return nil, ErrShort
	}
	c.opened = plain
	if len(plain) < 8 {
		return nil, ErrShort
	}
	ts := time.UnixMilli(int64(binary.BigEndian.Uint64(plain)))
	if d := now.Sub(ts); d > MaxSkew || d < -MaxSkew {
		return nil, ErrStale
	}
	if !c.replays.add([nonceSize]byte(body[:nonceSize])) {
		return nil, ErrReplay
	}
	return plain[8:], nil
}

// nonceCache remembers the last n nonces seen: an authentic packet whose
// nonce is among them is a replay. Packets older than MaxSkew are refused by
// timestamp, so n only has to cover MaxSkew's worth of traffic.
type nonceCache struct {
	seen map[[nonceSize]byte]struct{}
	ring [][nonceSize]byte
	next int
}

func newNonceCache(n int) *nonceCache {
	return &nonceCache{seen: make(map[[nonceSize]byte]struct{}, n), ring: make([][nonceSize]byte, 0, n)}
}

func (c *nonceCache) add(n [nonceSize]byte) bool {
	if _, ok := c.seen[n]; ok {
		return false
	}
	if len(c.ring) < cap(c.ring) {
		c.ring = append(c.ring, n)
	} else {
		delete(c.seen, c.ring[c.next])
		c.ring[c.next] = n
		c.next = (c.next + 1) % len(c.ring)
	}
	c.seen[n] = struct{}{}
	return true
}
