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
