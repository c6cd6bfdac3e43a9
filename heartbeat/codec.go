package heartbeat

import (
	"bytes"
	"errors"
	"fmt"
	"hash/fnv"
	"net/netip"

	"github.com/vmihailenco/msgpack/v5"
)

// Header layout. The core's gossip packets also start with 'M'; the second
// byte 'H' tells a heartbeat apart.
const (
	magic0, magic1 = 'M', 'H'
	version        = 1
	headerLen      = 8
	flagSealed     = 1 << 0
	knownFlags     = flagSealed
	bodyFields     = 9
	// MaxPacketLen bounds a heartbeat datagram: the largest valid body (two
	// 255-byte names and the fixed fields) plus header and AEAD overhead fits
	// well within it. Longer datagrams are dropped before any parsing.
	MaxPacketLen = 1024
)

// libclusterPrefix starts Elixir libcluster's unencrypted Gossip heartbeats
// ("heartbeat::" followed by an Erlang term); its default group was once
// 230.1.1.251, ours.
var libclusterPrefix = []byte("heartbeat::")

// body is the plaintext of a heartbeat.
type body struct {
	Announce
	Seq  uint64
	Time int64 // sender's clock, unix nanoseconds
}

func clusterTag(cluster string) uint32 {
	h := fnv.New32a()
	h.Write([]byte(cluster))
	return h.Sum32()
}

// appendHeader appends the 8-byte header.
func appendHeader(dst []byte, flags byte, tag uint32) []byte {
	return append(dst, magic0, magic1, version, flags,
		byte(tag>>24), byte(tag>>16), byte(tag>>8), byte(tag))
}

// header is a parsed header.
type header struct {
	flags byte
	tag   uint32
}

var errNotHeartbeat = errors.New("no heartbeat magic")

func parseHeader(pkt []byte) (header, error) {
	if len(pkt) < headerLen || pkt[0] != magic0 || pkt[1] != magic1 {
		return header{}, errNotHeartbeat
	}
	if pkt[2] != version {
		return header{}, fmt.Errorf("version %d, want %d", pkt[2], version)
	}
	if pkt[3]&^knownFlags != 0 {
		return header{}, fmt.Errorf("unknown flags %#x", pkt[3])
	}
	tag := uint32(pkt[4])<<24 | uint32(pkt[5])<<16 | uint32(pkt[6])<<8 | uint32(pkt[7])
	return header{flags: pkt[3], tag: tag}, nil
}

// encodeBody appends the msgpack encoding of b to buf.
func encodeBody(buf *bytes.Buffer, b body) error {
	enc := msgpack.NewEncoder(buf)
	enc.UseCompactInts(true)
	a := b.Addr.Addr().Unmap()
	var ip []byte
	if a.Is4() {
		v := a.As4()
		ip = v[:]
	} else {
		v := a.As16()
		ip = v[:]
	}
	for _, err := range []error{
		enc.EncodeArrayLen(bodyFields),
		enc.EncodeString(b.Cluster),
		enc.EncodeString(b.Name),
		enc.EncodeBytes(ip),
		enc.EncodeUint(uint64(b.Addr.Port())),
		enc.EncodeUint(b.Incarnation),
		enc.EncodeUint(b.Digest),
		enc.EncodeUint(uint64(b.Count)),
		enc.EncodeUint(b.Seq),
		enc.EncodeInt(b.Time),
	} {
		if err != nil {
			return err
		}
	}
	return nil
}

// decoder reads a body, checking every declared length against the bytes
// actually left before reading, so a forged length never allocates.
type decoder struct {
	r   *bytes.Reader
	dec *msgpack.Decoder
	err error
}

func (d *decoder) fail(field string, err error) {
	if d.err == nil {
		d.err = fmt.Errorf("%s: %w", field, err)
	}
}

// raw reads a str or bin of at most max bytes. The returned slice aliases
// the packet.
func (d *decoder) raw(field string, max int, src []byte) []byte {
	if d.err != nil {
		return nil
	}
	n, err := d.dec.DecodeBytesLen()
	switch {
	case err != nil:
		d.fail(field, err)
		return nil
	case n < 0 || n > max:
		d.fail(field, fmt.Errorf("length %d, want 0 to %d", n, max))
		return nil
	case n > d.r.Len():
		d.fail(field, fmt.Errorf("length %d, only %d bytes left", n, d.r.Len()))
		return nil
	}
	off := len(src) - d.r.Len()
	out := src[off : off+n]
	if _, err := d.r.Seek(int64(n), 1); err != nil {
		d.fail(field, err)
		return nil
	}
	return out
}

func (d *decoder) uint(field string, max uint64) uint64 {
	if d.err != nil {
		return 0
	}
	var v uint64
	c, err := d.dec.PeekCode()
	if err == nil && isIntCode(c) {
		// Signed encodings are legal msgpack for non-negative values, but
		// DecodeUint64 would turn a negative one into a huge number.
		var i int64
		if i, err = d.dec.DecodeInt64(); err == nil && i < 0 {
			err = fmt.Errorf("%d is negative", i)
		}
		v = uint64(i)
	} else if err == nil {
		v, err = d.dec.DecodeUint64()
	}
	if err != nil {
		d.fail(field, err)
		return 0
	}
	if v > max {
		d.fail(field, fmt.Errorf("%d out of range (max %d)", v, max))
		return 0
	}
	return v
}

// isIntCode reports msgpack's signed integer codes: negative fixint
// (0xe0-0xff) and int8..int64 (0xd0-0xd3).
func isIntCode(c byte) bool { return c >= 0xe0 || (c >= 0xd0 && c <= 0xd3) }

// decodeBody parses a body from src, which must hold exactly one body.
func decodeBody(src []byte) (body, error) {
	r := bytes.NewReader(src)
	d := &decoder{r: r, dec: msgpack.NewDecoder(r)}
	var b body
	n, err := d.dec.DecodeArrayLen()
	if err != nil {
		return b, fmt.Errorf("body: %w", err)
	}
	if n != bodyFields {
		return b, fmt.Errorf("body: %d fields, want %d", n, bodyFields)
	}
	b.Cluster = string(d.raw("cluster", MaxNameLen, src))
	b.Name = string(d.raw("name", MaxNameLen, src))
	ip := d.raw("ip", 16, src)
	port := d.uint("port", 0xffff)
	b.Incarnation = d.uint("incarnation", ^uint64(0))
	b.Digest = d.uint("digest", ^uint64(0))
	b.Count = uint32(d.uint("count", 0xffffffff))
	b.Seq = d.uint("seq", ^uint64(0))
	if d.err == nil {
		t, err := d.dec.DecodeInt64()
		if err != nil {
			d.fail("time", err)
		}
		b.Time = t
	}
	if d.err != nil {
		return b, d.err
	}
	if r.Len() != 0 {
		return b, fmt.Errorf("body: %d trailing bytes", r.Len())
	}
	addr, ok := netip.AddrFromSlice(ip)
	if !ok {
		return b, fmt.Errorf("ip: %d bytes, want 4 or 16", len(ip))
	}
	b.Addr = netip.AddrPortFrom(addr.Unmap(), uint16(port))
	if b.Cluster == "" || b.Name == "" {
		return b, errors.New("empty cluster or name")
	}
	if err := checkAddr(b.Addr); err != nil {
		return b, err
	}
	return b, nil
}
