package hashicorp

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
