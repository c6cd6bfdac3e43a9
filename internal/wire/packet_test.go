package wire

import (
	"bytes"
	"testing"
	"time"
)

// A payload returned by Open stays intact while the caller frames replies:
// the core acks a ping before it decodes the gossip piggybacked after it.
func TestFrameLeavesAnOpenedPayloadIntact(t *testing.T) {
	keys := [][]byte{bytes.Repeat([]byte{1}, 32)}
	c, err := NewCodec("c", keys, nil)
	if err != nil {
		t.Fatal(err)
	}
	now := time.Unix(1700000000, 0)
	want := bytes.Repeat([]byte("gossip piggybacked on a ping "), 20)
	pkt, err := c.Frame(nil, want, now)
	if err != nil {
		t.Fatal(err)
	}
	got, err := c.Open(pkt, now)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := c.Frame(nil, []byte("a short ack"), now); err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got, want) {
		t.Fatalf("framing a reply changed the opened payload:\n got %q\nwant %q", got, want)
	}
}
