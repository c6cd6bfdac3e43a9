package gossip

import "testing"

func TestLimit(t *testing.T) {
	for _, c := range []struct{ mult, n, want int }{{4, 1, 4}, {4, 9, 4}, {4, 10, 8}, {4, 100, 12}, {2, 1000, 8}} {
		if got := Limit(c.mult, c.n); got != c.want {
			t.Errorf("Limit(%d, %d) = %d, want %d", c.mult, c.n, got, c.want)
		}
	}
}

func TestNewerReplacesOlderAndLimit(t *testing.T) {
	q := New()
	q.Push("x", []byte("old"))
	q.Push("y", []byte("why"))
	q.Push("x", []byte("new"))
	if q.Len() != 2 {
		t.Fatalf("len %d, want 2", q.Len())
	}
	sent := map[string]int{}
	for i := 0; i < 10; i++ {
		msgs, _ := q.Fill(nil, 1000, 0, 3)
		for _, m := range msgs {
			sent[string(m)]++
		}
	}
	if sent["old"] != 0 || sent["new"] != 3 || sent["why"] != 3 || q.Len() != 0 {
		t.Fatalf("sent %v, len %d: want new and why 3 times each, old never", sent, q.Len())
	}
}

func TestFillRespectsBudgetAndPrefersFresh(t *testing.T) {
	q := New()
	q.Push("a", make([]byte, 10))
	q.Fill(nil, 100, 0, 5) // a sent once
	q.Push("b", make([]byte, 10))
	msgs, used := q.Fill(nil, 15, 2, 5)
	if len(msgs) != 1 || used != 12 {
		t.Fatalf("%d messages, %d bytes within a 15-byte budget", len(msgs), used)
	}
	msgs, _ = q.Fill(nil, 100, 0, 5)
	if len(msgs) != 2 {
		t.Fatalf("%d messages, want both", len(msgs))
	}
}
