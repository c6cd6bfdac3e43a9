package hashicorp

import (
	"bytes"
	"compress/lzw"
	"encoding/binary"
	"errors"
	"io"
)

// memberlist v0.7.0's message types (net.go); the numbers are protocol.
const (
	msgSuspect  = 3
	msgCompound = 7
	msgCompress = 9
	msgHasCRC   = 12
	msgHasLabel = 244
)

// Bounds of the decoder: a datagram holds at most 64 KiB, and memberlist
// nests at most label, CRC, compression and compound around a message.
const (
	maxWireDepth     = 6
	maxDecompressed  = 64 << 10
	maxMsgpackNested = 8
)

// Suspicion is a suspect message seen on the wire: From suspects Node.
type Suspicion struct {
	Node, From  string
	Incarnation uint64
}

// errWire is returned for bytes that are not a well-formed memberlist packet.
var errWire = errors.New("malformed memberlist packet")

// Suspicions returns the suspect messages in one memberlist datagram,
// looking through its label, CRC, compression and compound framing. It
// reads untrusted bytes: every length is checked against what is left,
// decompression is capped, nesting is bounded, and nothing is allocated
// beyond the input's size and the decompression cap. A part it cannot
// decode is skipped; the first such problem is returned beside the
// suspicions found in the other parts.
func Suspicions(pkt []byte) ([]Suspicion, error) {
	var out []Suspicion
	err := walk(pkt, 0, &out)
	return out, err
}

func walk(b []byte, depth int, out *[]Suspicion) error {
	if depth > maxWireDepth {
		return errWire
	}
	if len(b) == 0 {
		return errWire
	}
	switch b[0] {
	case msgHasLabel:
		// [244][label length][label] then the packet.
		if len(b) < 2 || len(b) < 2+int(b[1]) {
			return errWire
		}
		return walk(b[2+int(b[1]):], depth+1, out)
	case msgHasCRC:
		// [12][crc32 big endian] then the packet; the CRC is memberlist's
		// business, not ours.
		if len(b) < 5 {
			return errWire
		}
		return walk(b[5:], depth+1, out)
	case msgCompress:
		inner, err := decompress(b[1:])
		if err != nil {
			return err
		}
		return walk(inner, depth+1, out)
	case msgCompound:
		// [7][n][n big-endian uint16 lengths][parts]
		if len(b) < 2 {
			return errWire
		}
		n := int(b[1])
		b = b[2:]
		if len(b) < 2*n {
			return errWire
		}
		lens, parts := b[:2*n], b[2*n:]
		var firstErr error
		for i := range n {
			l := int(binary.BigEndian.Uint16(lens[2*i:]))
			if l > len(parts) {
				return errWire
			}
			if err := walk(parts[:l], depth+1, out); err != nil && firstErr == nil {
				firstErr = err
			}
			parts = parts[l:]
		}
		return firstErr
	case msgSuspect:
		s, err := decodeSuspect(b[1:])
		if err != nil {
			return err
		}
		*out = append(*out, s)
	}
	return nil
}

// decompress decodes memberlist's compress{Algo, Buf} and inflates Buf
// (LZW, LSB order, 8-bit literals), capped at maxDecompressed.
func decompress(b []byte) ([]byte, error) {
	r := mpReader{b: b}
	n, err := r.mapLen()
	if err != nil {
		return nil, err
	}
	var algo uint64
	var buf []byte
	for range n {
		key, err := r.str()
		if err != nil {
			return nil, err
		}
		switch string(key) {
		case "Algo":
			if algo, err = r.uint(); err != nil {
				return nil, err
			}
		case "Buf":
			if buf, err = r.str(); err != nil {
				return nil, err
			}
		default:
			if err := r.skip(0); err != nil {
				return nil, err
			}
		}
	}
	if algo != 0 { // lzwAlgo, the only one memberlist has
		return nil, errWire
	}
	zr := lzw.NewReader(bytes.NewReader(buf), lzw.LSB, 8)
	defer zr.Close()
	var dst bytes.Buffer
	if _, err := io.CopyN(&dst, zr, maxDecompressed+1); err != nil && !errors.Is(err, io.EOF) {
		return nil, errWire
	}
	if dst.Len() > maxDecompressed {
		return nil, errWire
	}
	return dst.Bytes(), nil
}

// decodeSuspect decodes suspect{Incarnation, Node, From}, which
// go-msgpack encodes as a map keyed by field name.
func decodeSuspect(b []byte) (Suspicion, error) {
	r := mpReader{b: b}
	var s Suspicion
	n, err := r.mapLen()
	if err != nil {
		return s, err
	}
	for range n {
		key, err := r.str()
		if err != nil {
			return s, err
		}
		switch string(key) {
		case "Incarnation":
			s.Incarnation, err = r.uint()
		case "Node":
			var v []byte
			v, err = r.str()
			s.Node = string(v)
		case "From":
			var v []byte
			v, err = r.str()
			s.From = string(v)
		default:
			err = r.skip(0)
		}
		if err != nil {
			return s, err
		}
	}
	if s.Node == "" || s.From == "" {
		return s, errWire
	}
	return s, nil
}

// mpReader reads the few msgpack forms go-msgpack produces for memberlist's
// structs. Every read checks the remaining length first.
type mpReader struct{ b []byte }

func (r *mpReader) take(n int) ([]byte, error) {
	if n < 0 || n > len(r.b) {
		return nil, errWire
	}
	v := r.b[:n]
	r.b = r.b[n:]
	return v, nil
}

func (r *mpReader) byte() (byte, error) {
	v, err := r.take(1)
	if err != nil {
		return 0, err
	}
	return v[0], nil
}

// be reads an n-byte big-endian unsigned integer (n in 1, 2, 4, 8).
func (r *mpReader) be(n int) (uint64, error) {
	v, err := r.take(n)
	if err != nil {
		return 0, err
	}
	var x uint64
	for _, c := range v {
		x = x<<8 | uint64(c)
	}
	return x, nil
}

func (r *mpReader) mapLen() (int, error) {
	c, err := r.byte()
	if err != nil {
		return 0, err
	}
	switch {
	case c >= 0x80 && c <= 0x8f:
		return int(c & 0x0f), nil
	case c == 0xde:
		n, err := r.be(2)
		return int(n), err
	case c == 0xdf:
		n, err := r.be(4)
		// Each entry takes at least two bytes: a count beyond that is a lie.
		if err == nil && n > uint64(len(r.b)/2) {
			return 0, errWire
		}
		return int(n), err
	}
	return 0, errWire
}

// str reads a str or bin (go-msgpack writes []byte as str by default).
func (r *mpReader) str() ([]byte, error) {
	c, err := r.byte()
	if err != nil {
		return nil, err
	}
	var n uint64
	switch {
	case c >= 0xa0 && c <= 0xbf:
		n = uint64(c & 0x1f)
	case c == 0xd9 || c == 0xc4:
		n, err = r.be(1)
	case c == 0xda || c == 0xc5:
		n, err = r.be(2)
	case c == 0xdb || c == 0xc6:
		n, err = r.be(4)
	default:
		return nil, errWire
	}
	if err != nil || n > uint64(len(r.b)) {
		return nil, errWire
	}
	return r.take(int(n))
}

// uint reads a non-negative integer of any width.
func (r *mpReader) uint() (uint64, error) {
	c, err := r.byte()
	if err != nil {
		return 0, err
	}
	switch {
	case c <= 0x7f:
		return uint64(c), nil
	case c == 0xcc || c == 0xd0:
		return r.be(1)
	case c == 0xcd || c == 0xd1:
		return r.be(2)
	case c == 0xce || c == 0xd2:
		return r.be(4)
	case c == 0xcf || c == 0xd3:
		return r.be(8)
	}
	return 0, errWire
}

// skip skips one value of any type, nesting at most maxMsgpackNested deep.
func (r *mpReader) skip(depth int) error {
	if depth > maxMsgpackNested {
		return errWire
	}
	c, err := r.byte()
	if err != nil {
		return err
	}
	var n uint64 // bytes to skip, or elements for containers
	elems := 0   // 1 for arrays, 2 for maps
	switch {
	case c <= 0x7f || c >= 0xe0 || c == 0xc0 || c == 0xc2 || c == 0xc3:
		return nil
	case c >= 0x80 && c <= 0x8f:
		n, elems = uint64(c&0x0f), 2
	case c >= 0x90 && c <= 0x9f:
		n, elems = uint64(c&0x0f), 1
	case c >= 0xa0 && c <= 0xbf:
		n = uint64(c & 0x1f)
	case c == 0xcc || c == 0xd0:
		n = 1
	case c == 0xcd || c == 0xd1:
		n = 2
	case c == 0xce || c == 0xd2 || c == 0xca:
		n = 4
	case c == 0xcf || c == 0xd3 || c == 0xcb:
		n = 8
	case c == 0xd9 || c == 0xc4:
		n, err = r.be(1)
	case c == 0xda || c == 0xc5:
		n, err = r.be(2)
	case c == 0xdb || c == 0xc6:
		n, err = r.be(4)
	case c == 0xdc:
		n, err = r.be(2)
		elems = 1
	case c == 0xdd:
		n, err = r.be(4)
		elems = 1
	case c == 0xde:
		n, err = r.be(2)
		elems = 2
	case c == 0xdf:
		n, err = r.be(4)
		elems = 2
	case c == 0xd4:
		n = 2 // fixext 1: type + 1
	case c == 0xd5:
		n = 3
	case c == 0xd6:
		n = 5
	case c == 0xd7:
		n = 9
	case c == 0xd8:
		n = 17
	case c == 0xc7, c == 0xc8, c == 0xc9:
		w := map[byte]int{0xc7: 1, 0xc8: 2, 0xc9: 4}[c]
		n, err = r.be(w)
		n++ // the ext type byte
	default:
		return errWire
	}
	if err != nil {
		return err
	}
	if elems == 0 {
		if n > uint64(len(r.b)) {
			return errWire
		}
		_, err = r.take(int(n))
		return err
	}
	// Every element takes at least one byte, so more elements than bytes
	// left is malformed; checking first keeps the loop bounded by the input.
	if n*uint64(elems) > uint64(len(r.b)) {
		return errWire
	}
	for range int(n) * elems {
		if err := r.skip(depth + 1); err != nil {
			return err
		}
	}
	return nil
}
