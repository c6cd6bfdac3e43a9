package tuning

import (
	"errors"
	"net/netip"
	"strings"
	"testing"
	"time"

	"github.com/meshd/meshd/internal/wire"
)

func TestPresetsAreValid(t *testing.T) {
	for name, p := range map[string]Params{"lan": LAN(), "wan": WAN(), "local": Local()} {
		if err := p.Validate(); err != nil {
			t.Errorf("%s: %v", name, err)
		}
	}
}

func TestValidateNamesTheField(t *testing.T) {
	cases := map[string]func(*Params){
		"ProbeInterval":       func(p *Params) { p.ProbeInterval = 0 },
		"ProbeTimeout":        func(p *Params) { p.ProbeTimeout = p.ProbeInterval },
		"IndirectChecks":      func(p *Params) { p.IndirectChecks = 17 },
		"MaxPacketSize":       func(p *Params) { p.MaxPacketSize = MinPacketSize - 1 },
		"MaxMetaSize":         func(p *Params) { p.MaxMetaSize = MaxMetaSizeFor(p.MaxPacketSize) + 1 },
		"GossipToTheDeadTime": func(p *Params) { p.GossipToTheDeadTime = -time.Second },
	}
	for field, mod := range cases {
		p := LAN()
		mod(&p)
		var fe *FieldError
		if err := p.Validate(); !errors.As(err, &fe) || fe.Field != field {
			t.Errorf("%s: got %v", field, err)
		}
	}
	p := LAN()
	p.MaxMetaSize = MaxMetaSizeFor(p.MaxPacketSize)
	if err := p.Validate(); err != nil {
		t.Errorf("the largest MaxMetaSize was refused: %v", err)
	}
}

// Metadata of exactly MaxMetaSizeFor(n) bytes, in the largest message that
// carries it (the longest name, an IPv6 address, the largest counters),
// sealed, fits a packet of n bytes: the bound is derived, not guessed.
func TestMaxMetaSizeForFitsOnePacket(t *testing.T) {
	name := strings.Repeat("n", wire.MaxNameLen)
	addr := netip.MustParseAddrPort("[2001:db8::1]:7946")
	codec, err := wire.NewCodec("c", [][]byte{make([]byte, wire.KeySize)}, nil)
	if err != nil {
		t.Fatal(err)
	}
	enc := wire.NewEncoder()
	for _, size := range []int{MinPacketSize, DefaultMaxPacketSize, 9000} {
		room := MaxMetaSizeFor(size)
		meta := map[string]string{"k": ""}
		meta["k"] = strings.Repeat("v", room-wire.MetaSize(meta))
		for wire.MetaSize(meta) > room { // a longer string has a longer header
			meta["k"] = meta["k"][1:]
		}
		if got := wire.MetaSize(meta); got < room-2 {
			t.Fatalf("test metadata is %d bytes, want about %d", got, room)
		}
		const big = 1<<64 - 1
		alive := wire.Alive{Name: name, Addr: addr, Inc: big, MetaVer: big, Meta: meta}
		for _, m := range []wire.Msg{alive, wire.JoinReq{Self: alive},
			wire.Entry{Name: name, Addr: addr, Inc: big, State: 3, MetaVer: big, Meta: meta}} {
			pkt, err := codec.Frame(nil, enc.Encode(m), time.Now())
			if err != nil {
				t.Fatal(err)
			}
			if len(pkt) > size {
				t.Errorf("packet size %d: a %T with %d bytes of metadata takes %d bytes", size, m, room, len(pkt))
			}
		}
	}
}
