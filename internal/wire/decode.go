package wire

import (
	"bytes"
	"errors"
	"fmt"

	"github.com/vmihailenco/msgpack/v5"
)

// Limits applied while decoding, before anything is allocated.
const (
	MaxNameLen   = 128 // member and cluster names
	MaxStringLen = 512 // metadata keys
	// MaxValueLen bounds a metadata value only by the largest packet: the
	// sender's MaxMetaSize is the real limit, and every length is also
	// checked against the bytes left in the packet before allocating.
	MaxValueLen   = 1 << 16
	MaxMetaPairs  = 64
	MaxBucketList = 4096
)

// ErrMalformed wraps every decoding failure.
var ErrMalformed = errors.New("malformed message")

// Decoder parses compound payloads. It reuses its state; not safe for
// concurrent use.
type Decoder struct {
	r   bytes.Reader
	dec *msgpack.Decoder
	err error // sticky: the first failure of the message being decoded
}

// NewDecoder returns a Decoder.
func NewDecoder() *Decoder {
	d := &Decoder{}
	d.dec = msgpack.NewDecoder(&d.r)
	return d
}

// Reset starts decoding payload; Next then returns its messages in order.
// The decoder holds payload until the next Reset.
func (d *Decoder) Reset(payload []byte) {
	d.r.Reset(payload)
	d.dec.Reset(&d.r)
}

// Next returns the next message of the payload given to Reset, and false
// once none is left. It stops at the first malformed message with an error
// wrapping ErrMalformed; messages before it were already returned. A caller
// that needs context per message (the packet's source) keeps it in its own
// loop, so nothing is allocated to carry it.
func (d *Decoder) Next() (Msg, bool, error) {
	if d.r.Len() == 0 {
		return nil, false, nil
	}
	m, err := d.one()
	if err != nil {
		d.r.Reset(nil)
		return nil, false, fmt.Errorf("%w: %v", ErrMalformed, err)
	}
	return m, true, nil
}

// DecodeAll calls fn for each message of payload in order, with Next's
// stopping rule: messages before a malformed one were already delivered.
func (d *Decoder) DecodeAll(payload []byte, fn func(Msg)) error {
	d.Reset(payload)
	for {
		m, ok, err := d.Next()
		if !ok {
			return err
		}
		fn(m)
	}
}

// fieldCount is the number of fields after the kind, by kind.
var fieldCount = [kindMax + 1]int{
	KindPing: 2, KindAck: 1, KindNack: 1, KindPingReq: 4, KindAlive: 6, KindSuspect: 3,
	KindDead: 3, KindLeft: 2, KindDigest: 2, KindBuckets: 1, KindSyncReq: 1, KindEntry: 7,
	KindJoinReq: 6, KindJoinDone: 1, KindNameProbe: 6, KindNameHeld: 6,
}

func (d *Decoder) one() (Msg, error) {
	n, err := d.arrayLen(16)
	if err != nil {
		return nil, err
	}
	if n < 1 {
		return nil, errors.New("empty message")
	}
	k, err := d.uint(kindMax)
	if err != nil {
		return nil, err
	}
	want := fieldCount[k]
	if want == 0 {
		return nil, fmt.Errorf("unknown kind %d", k)
	}
	if n-1 != want {
		return nil, fmt.Errorf("kind %d has %d fields, want %d", k, n-1, want)
	}
	var m Msg
	switch Kind(k) {
	case KindPing:
		var p Ping
		p.Seq = uint32(d.must(d.uint(1<<32 - 1)))
		p.Target = d.mustStr(d.str(MaxNameLen))
		m = p
	case KindAck:
		m = Ack{Seq: uint32(d.must(d.uint(1<<32 - 1)))}
	case KindNack:
		m = Nack{Seq: uint32(d.must(d.uint(1<<32 - 1)))}
	case KindPingReq:
		var p PingReq
		p.Seq = uint32(d.must(d.uint(1<<32 - 1)))
		p.Target = d.mustStr(d.str(MaxNameLen))
		p.TargetAddr = d.addr()
		m = p
	case KindAlive:
		m = d.alive()
	case KindSuspect:
		var s Suspect
		s.Name = d.mustStr(d.str(MaxNameLen))
		s.Inc = d.must(d.uint(1<<64 - 1))
		s.From = d.mustStr(d.str(MaxNameLen))
		m = s
	case KindDead:
		var s Dead
		s.Name = d.mustStr(d.str(MaxNameLen))
		s.Inc = d.must(d.uint(1<<64 - 1))
		s.From = d.mustStr(d.str(MaxNameLen))
		m = s
	case KindLeft:
		var s Left
		s.Name = d.mustStr(d.str(MaxNameLen))
		s.Inc = d.must(d.uint(1<<64 - 1))
		m = s
	case KindDigest:
		var g Digest
		g.Root = d.must(d.uint(1<<64 - 1))
		g.Count = uint32(d.must(d.uint(1<<32 - 1)))
		m = g
	case KindBuckets:
		n := d.mustInt(d.arrayLen(MaxBucketList))
		b := Buckets{Hashes: make([]uint64, 0, n)}
		for i := 0; i < n && d.err == nil; i++ {
			b.Hashes = append(b.Hashes, d.must(d.uint(1<<64-1)))
		}
		m = b
	case KindSyncReq:
		n := d.mustInt(d.arrayLen(MaxBucketList))
		s := SyncReq{Buckets: make([]uint16, 0, n)}
		for i := 0; i < n && d.err == nil; i++ {
			s.Buckets = append(s.Buckets, uint16(d.must(d.uint(1<<16-1))))
		}
		m = s
	case KindEntry:
		var e Entry
		e.Name = d.mustStr(d.str(MaxNameLen))
		e.Addr = d.addr()
		e.Inc = d.must(d.uint(1<<64 - 1))
		e.State = uint8(d.must(d.uint(3)))
		e.MetaVer = d.must(d.uint(1<<64 - 1))
		e.Meta = d.meta()
		m = e
	case KindJoinReq:
		m = JoinReq{Self: d.alive()}
	case KindJoinDone:
		m = JoinDone{Count: uint32(d.must(d.uint(1<<32 - 1)))}
	case KindNameProbe:
		seq, c := d.nameClaim()
		m = NameProbe{Seq: seq, Claim: c}
	case KindNameHeld:
		seq, c := d.nameClaim()
		m = NameHeld{Seq: seq, Claim: c}
	}
	if d.err != nil {
		err := d.err
		d.err = nil
		return nil, err
	}
	return m, nil
}
