package wire

import (
	"fmt"
	"net/netip"
)

// The primitives check every declared length against the bytes actually
// left, so a forged length never causes an allocation larger than the packet.

func (d *Decoder) fail(err error) {
	if d.err == nil {
		d.err = err
	}
}

func (d *Decoder) must(v uint64, err error) uint64 {
	if err != nil {
		d.fail(err)
	}
	return v
}

func (d *Decoder) mustInt(v int, err error) int {
	if err != nil {
		d.fail(err)
		return 0
	}
	return v
}

func (d *Decoder) mustStr(v string, err error) string {
	if err != nil {
		d.fail(err)
	}
	return v
}

func (d *Decoder) uint(max uint64) (uint64, error) {
	if d.err != nil {
		return 0, d.err
	}
	v, err := d.dec.DecodeUint64()
	if err != nil {
		return 0, err
	}
	if v > max {
		return 0, fmt.Errorf("value %d out of range (max %d)", v, max)
	}
	return v, nil
}

func (d *Decoder) arrayLen(max int) (int, error) {
	if d.err != nil {
		return 0, d.err
	}
	n, err := d.dec.DecodeArrayLen()
	if err != nil {
		return 0, err
	}
	if n < 0 || n > max || n > d.r.Len() {
		return 0, fmt.Errorf("array length %d out of bounds", n)
	}
	return n, nil
}

// rawLen reads a str or bin header and checks the length.
func (d *Decoder) rawLen(max int) (int, error) {
	if d.err != nil {
		return 0, d.err
	}
	n, err := d.dec.DecodeBytesLen()
	if err != nil {
		return 0, err
	}
	if n < 0 {
		n = 0 // nil
	}
	if n > max || n > d.r.Len() {
		return 0, fmt.Errorf("string length %d out of bounds", n)
	}
	return n, nil
}

func (d *Decoder) raw(max int) ([]byte, error) {
	n, err := d.rawLen(max)
	if err != nil {
		return nil, err
	}
	b := make([]byte, n)
	if _, err := d.r.Read(b); err != nil && n > 0 {
		return nil, err
	}
	return b, nil
}

func (d *Decoder) str(max int) (string, error) {
	b, err := d.raw(max)
	return string(b), err
}

func (d *Decoder) addr() netip.AddrPort {
	ip, err := d.raw(16)
	if err != nil {
		d.fail(err)
		return netip.AddrPort{}
	}
	port := uint16(d.must(d.uint(65535)))
	switch len(ip) {
	case 0:
		return netip.AddrPort{}
	case 4:
		return netip.AddrPortFrom(netip.AddrFrom4([4]byte(ip)), port)
	case 16:
		return netip.AddrPortFrom(netip.AddrFrom16([16]byte(ip)).Unmap(), port)
	}
	d.fail(fmt.Errorf("address of %d bytes", len(ip)))
	return netip.AddrPort{}
}

func (d *Decoder) meta() map[string]string {
	if d.err != nil {
		return nil
	}
	n, err := d.dec.DecodeMapLen()
	if err != nil {
		d.fail(err)
		return nil
	}
	if n <= 0 {
		return nil
	}
	if n > MaxMetaPairs || 2*n > d.r.Len() {
		d.fail(fmt.Errorf("metadata of %d pairs out of bounds", n))
		return nil
	}
	m := make(map[string]string, n)
	for i := 0; i < n && d.err == nil; i++ {
		k := d.mustStr(d.str(MaxStringLen))
		v := d.mustStr(d.str(MaxValueLen))
		m[k] = v
	}
	return m
}

func (d *Decoder) alive() Alive {
	var a Alive
	a.Name = d.mustStr(d.str(MaxNameLen))
	a.Addr = d.addr()
	a.Inc = d.must(d.uint(1<<64 - 1))
	a.MetaVer = d.must(d.uint(1<<64 - 1))
	a.Meta = d.meta()
	return a
}

// nameClaim reads the six fields Encoder.nameClaim writes.
func (d *Decoder) nameClaim() (uint32, NameClaim) {
	seq := uint32(d.must(d.uint(1<<32 - 1)))
	var c NameClaim
	c.Name = d.mustStr(d.str(MaxNameLen))
	c.Addr = d.addr()
	c.Inc = d.must(d.uint(1<<64 - 1))
	c.Started = d.must(d.uint(1<<64 - 1))
	return seq, c
}
