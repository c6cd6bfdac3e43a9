package hashicorp

import (
	"bytes"
	"compress/lzw"
	"encoding/binary"
	"hash/crc32"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/hashicorp/go-msgpack/v2/codec"
)

// The helpers below build packets the way memberlist v0.7.0 does (net.go,
// util.go): a type byte, then the struct encoded by go-msgpack's default
// MsgpackHandle, optionally compressed, compounded and CRC'd.

type suspectMsg struct {
	Incarnation uint32
	Node        string
	From        string
}

type aliveMsg struct {
	Incarnation uint32
	Node        string
	Addr        []byte
	Port        uint16
	Meta        []byte
	Vsn         []uint8
}

type compressMsg struct {
	Algo int
	Buf  []byte
}

func encodeMsg(t testing.TB, typ byte, v any) []byte {
	t.Helper()
	var buf bytes.Buffer
	buf.WriteByte(typ)
	if err := codec.NewEncoder(&buf, &codec.MsgpackHandle{}).Encode(v); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

func compound(parts ...[]byte) []byte {
	b := []byte{msgCompound, byte(len(parts))}
	for _, p := range parts {
		b = binary.BigEndian.AppendUint16(b, uint16(len(p)))
	}
	for _, p := range parts {
		b = append(b, p...)
	}
	return b
}

func compressed(t testing.TB, inner []byte) []byte {
	t.Helper()
	var z bytes.Buffer
	w := lzw.NewWriter(&z, lzw.LSB, 8)
	w.Write(inner)
	w.Close()
	return encodeMsg(t, msgCompress, compressMsg{Algo: 0, Buf: z.Bytes()})
}

func withCRC(inner []byte) []byte {
	h := []byte{msgHasCRC, 0, 0, 0, 0}
	binary.BigEndian.PutUint32(h[1:], crc32.ChecksumIEEE(inner))
	return append(h, inner...)
}

func withLabel(label string, inner []byte) []byte {
	return append(append([]byte{msgHasLabel, byte(len(label))}, label...), inner...)
}

// samplePackets are well-formed packets and the suspicions they hold; the
// fuzz corpus is seeded from them.
func samplePackets(t testing.TB) map[string]struct {
	pkt  []byte
	want []Suspicion
} {
	s1 := encodeMsg(t, msgSuspect, suspectMsg{Incarnation: 7, Node: "n003", From: "n001"})
	s2 := encodeMsg(t, msgSuspect, suspectMsg{Incarnation: 1, Node: "n010", From: "n002"})
	alive := encodeMsg(t, 4, aliveMsg{Incarnation: 2, Node: "n004", Addr: []byte{127, 0, 0, 1}, Port: 7946, Vsn: []uint8{1, 5, 2, 0, 0, 0}})
	ping := encodeMsg(t, 0, struct {
		SeqNo uint32
		Node  string
	}{SeqNo: 9, Node: "n003"})
	w1 := []Suspicion{{Node: "n003", From: "n001", Incarnation: 7}}
	w2 := append(append([]Suspicion(nil), w1...), Suspicion{Node: "n010", From: "n002", Incarnation: 1})
	return map[string]struct {
		pkt  []byte
		want []Suspicion
	}{
		"bare suspect":            {s1, w1},
		"ping":                    {ping, nil},
		"compound":                {compound(ping, s1, alive, s2), w2},
		"crc compound":            {withCRC(compound(ping, s1)), w1},
		"compressed compound":     {compressed(t, compound(alive, s1, s2)), w2},
		"crc compressed":          {withCRC(compressed(t, compound(ping, s1))), w1},
		"label crc compressed":    {withLabel("prod", withCRC(compressed(t, compound(s1)))), w1},
		"compressed lone suspect": {compressed(t, s1), w1},
		"compound of alive only":  {compound(alive, alive), nil},
		"suspect with extra field": {encodeMsg(t, msgSuspect, struct {
			Incarnation       uint32
			Node, From, Extra string
			X                 []int
		}{3, "a", "b", "c", []int{1, 2}}), []Suspicion{{Node: "a", From: "b", Incarnation: 3}}},
	}
}

func TestSuspicionsDecodesMemberlistFraming(t *testing.T) {
	for name, tc := range samplePackets(t) {
		got, err := Suspicions(tc.pkt)
		if err != nil {
			t.Errorf("%s: %v", name, err)
		}
		if len(got) != len(tc.want) {
			t.Errorf("%s: got %v, want %v", name, got, tc.want)
			continue
		}
		for i := range got {
			if got[i] != tc.want[i] {
				t.Errorf("%s: [%d] = %+v, want %+v", name, i, got[i], tc.want[i])
			}
		}
	}
}

func TestSuspicionsRejectsMalformed(t *testing.T) {
	s1 := encodeMsg(t, msgSuspect, suspectMsg{Incarnation: 7, Node: "n003", From: "n001"})
	cases := map[string][]byte{
		"empty":                  {},
		"truncated suspect":      s1[:len(s1)-3],
		"crc header only":        {msgHasCRC, 1, 2},
		"compound lengths short": {msgCompound, 3, 0, 1},
		"compound part too long": {msgCompound, 1, 0xff, 0xff, msgSuspect},
		"label longer than pkt":  {msgHasLabel, 200, 'a'},
		"compress not a map":     {msgCompress, 0x93, 1, 2, 3},
		"compress unknown algo":  encodeMsg(t, msgCompress, compressMsg{Algo: 3, Buf: []byte{1}}),
		"suspect without From":   encodeMsg(t, msgSuspect, struct{ Node string }{"x"}),
		"map32 count lies":       {msgSuspect, 0xdf, 0xff, 0xff, 0xff, 0xff},
		"str32 length lies":      {msgSuspect, 0x81, 0xdb, 0xff, 0xff, 0xff, 0xff},
		"deep nesting":           append([]byte{msgSuspect, 0x81, 0xa1, 'X'}, bytes.Repeat([]byte{0x91}, 64)...),
		"nested crc":             bytes.Repeat([]byte{msgHasCRC, 0, 0, 0, 0}, 20),
	}
	for name, pkt := range cases {
		if got, err := Suspicions(pkt); err == nil {
			t.Errorf("%s: no error, got %v", name, got)
		}
	}
}

// TestSuspicionsDecompressionCap: a compress message that inflates beyond
// the cap is refused rather than allocated.
func TestSuspicionsDecompressionCap(t *testing.T) {
	pkt := compressed(t, bytes.Repeat([]byte{0}, 4*maxDecompressed))
	if len(pkt) > 64<<10 {
		t.Fatalf("test packet is %d bytes, want a small bomb", len(pkt))
	}
	if _, err := Suspicions(pkt); err == nil {
		t.Fatal("inflating beyond the cap: no error")
	}
}

func FuzzSuspicions(f *testing.F) {
	for _, tc := range samplePackets(f) {
		f.Add(tc.pkt)
	}
	f.Fuzz(func(t *testing.T, pkt []byte) {
		got, err := Suspicions(pkt)
		for _, s := range got {
			if s.Node == "" || s.From == "" {
				t.Fatalf("suspicion with an empty name: %+v (err %v)", s, err)
			}
			if len(s.Node)+len(s.From) > len(pkt)+maxDecompressed {
				t.Fatalf("names longer than the input could hold: %+v", s)
			}
		}
	})
}

// TestWriteCorpus regenerates testdata/fuzz/FuzzSuspicions from
// samplePackets when BENCH_WRITE_CORPUS=1; otherwise it checks the corpus
// is there, so the fuzz target always starts from real memberlist framing.
func TestWriteCorpus(t *testing.T) {
	dir := filepath.Join("testdata", "fuzz", "FuzzSuspicions")
	if os.Getenv("BENCH_WRITE_CORPUS") != "1" {
		ents, err := os.ReadDir(dir)
		if err != nil || len(ents) == 0 {
			t.Fatalf("seed corpus %s missing (regenerate with BENCH_WRITE_CORPUS=1): %v", dir, err)
		}
		return
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	for name, tc := range samplePackets(t) {
		file := filepath.Join(dir, strings.ReplaceAll(name, " ", "-"))
		body := "go test fuzz v1\n[]byte(" + strconv.Quote(string(tc.pkt)) + ")\n"
		if err := os.WriteFile(file, []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
	}
}
