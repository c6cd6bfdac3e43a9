package wire

import (
	"bytes"
	"net/netip"
	"sort"

	"github.com/vmihailenco/msgpack/v5"
)

// Encoder turns messages into msgpack bytes without reflection. It reuses
// its buffer: the slice Encode returns is valid until the next call.
// Not safe for concurrent use.
type Encoder struct {
	buf  bytes.Buffer
	enc  *msgpack.Encoder
	keys []string
}

// NewEncoder returns an Encoder.
func NewEncoder() *Encoder {
	e := &Encoder{}
	e.enc = msgpack.NewEncoder(&e.buf)
	e.enc.UseCompactInts(true)
	return e
}

// Encode returns the encoding of m (an array whose first element is its kind).
func (e *Encoder) Encode(m Msg) []byte {
	e.buf.Reset()
	e.encode(m)
	return e.buf.Bytes()
}

// Append appends the encoding of m to dst.
func (e *Encoder) Append(dst []byte, m Msg) []byte {
	return append(dst, e.Encode(m)...)
}

// Writes to a bytes.Buffer cannot fail, so the msgpack errors are ignored.
func (e *Encoder) encode(m Msg) {
	enc := e.enc
	switch m := m.(type) {
	case Ping:
		e.head(m.Kind(), 2)
		enc.EncodeUint(uint64(m.Seq))
		enc.EncodeString(m.Target)
	case Ack:
		e.head(m.Kind(), 1)
		enc.EncodeUint(uint64(m.Seq))
	case Nack:
		e.head(m.Kind(), 1)
		enc.EncodeUint(uint64(m.Seq))
	case PingReq:
		e.head(m.Kind(), 4)
		enc.EncodeUint(uint64(m.Seq))
		enc.EncodeString(m.Target)
		e.addr(m.TargetAddr)
	case Alive:
		e.head(m.Kind(), 6)
		enc.EncodeString(m.Name)
		e.addr(m.Addr)
		enc.EncodeUint(m.Inc)
		enc.EncodeUint(m.MetaVer)
		e.meta(m.Meta)
	case Suspect:
		e.head(m.Kind(), 3)
		enc.EncodeString(m.Name)
		enc.EncodeUint(m.Inc)
		enc.EncodeString(m.From)
	case Dead:
		e.head(m.Kind(), 3)
		enc.EncodeString(m.Name)
		enc.EncodeUint(m.Inc)
		enc.EncodeString(m.From)
	case Left:
		e.head(m.Kind(), 2)
		enc.EncodeString(m.Name)
		enc.EncodeUint(m.Inc)
	case Digest:
		e.head(m.Kind(), 2)
		enc.EncodeUint(m.Root)
		enc.EncodeUint(uint64(m.Count))
	case Buckets:
		e.head(m.Kind(), 1)
		enc.EncodeArrayLen(len(m.Hashes))
		for _, h := range m.Hashes {
			enc.EncodeUint(h)
		}
	case SyncReq:
		e.head(m.Kind(), 1)
		enc.EncodeArrayLen(len(m.Buckets))
		for _, b := range m.Buckets {
			enc.EncodeUint(uint64(b))
		}
	case Entry:
		e.head(m.Kind(), 7)
		enc.EncodeString(m.Name)
		e.addr(m.Addr)
		enc.EncodeUint(m.Inc)
		enc.EncodeUint(uint64(m.State))
		enc.EncodeUint(m.MetaVer)
		e.meta(m.Meta)
	case JoinReq:
		e.head(m.Kind(), 6)
		a := m.Self
		enc.EncodeString(a.Name)
		e.addr(a.Addr)
		enc.EncodeUint(a.Inc)
		enc.EncodeUint(a.MetaVer)
		e.meta(a.Meta)
	case JoinDone:
		e.head(m.Kind(), 1)
		enc.EncodeUint(uint64(m.Count))
	case NameProbe:
		e.head(m.Kind(), 6)
		e.nameClaim(m.Seq, m.Claim)
	case NameHeld:
		e.head(m.Kind(), 6)
		e.nameClaim(m.Seq, m.Claim)
	default:
		panic("wire: unknown message type")
	}
}

// nameClaim is six fields: the sequence number, the name, the address (two
// fields), the incarnation and the start time.
func (e *Encoder) nameClaim(seq uint32, c NameClaim) {
	e.enc.EncodeUint(uint64(seq))
	e.enc.EncodeString(c.Name)
	e.addr(c.Addr)
	e.enc.EncodeUint(c.Inc)
	e.enc.EncodeUint(c.Started)
}

// head writes the array header: fields plus the kind itself.
func (e *Encoder) head(k Kind, fields int) {
	e.enc.EncodeArrayLen(fields + 1)
	e.enc.EncodeUint(uint64(k))
}

// addr is two fields: the IP as 0, 4 or 16 raw bytes, and the port.
func (e *Encoder) addr(ap netip.AddrPort) {
	if !ap.IsValid() {
		e.enc.EncodeBytes(nil)
		e.enc.EncodeUint(0)
		return
	}
	a := ap.Addr().Unmap()
	if a.Is4() {
		b := a.As4()
		e.enc.EncodeBytes(b[:])
	} else {
		b := a.As16()
		e.enc.EncodeBytes(b[:])
	}
	e.enc.EncodeUint(uint64(ap.Port()))
}

// meta is encoded with sorted keys so equal maps encode to equal bytes
// (the simulator's trace hash depends on it).
func (e *Encoder) meta(m map[string]string) {
	e.enc.EncodeMapLen(len(m))
	e.keys = e.keys[:0]
	for k := range m {
		e.keys = append(e.keys, k)
	}
	sort.Strings(e.keys)
	for _, k := range e.keys {
		e.enc.EncodeString(k)
		e.enc.EncodeString(m[k])
	}
}

// MetaSize is the encoded size of a metadata map, for limits.
func MetaSize(m map[string]string) int {
	e := NewEncoder()
	e.buf.Reset()
	e.meta(m)
	return e.buf.Len()
}
