package api

import (
	"bytes"
	"testing"
)

// FuzzParseJoinRequest: a join body from the network never panics, and
// what is accepted respects the limits.
func FuzzParseJoinRequest(f *testing.F) {
	f.Add([]byte(`{"addrs":["127.0.0.2:7946"]}`))
	f.Add([]byte(`{"addrs":[""]}`))
	f.Add([]byte(`{"addrs":null}`))
	f.Add([]byte(`[1,2,3]`))
	f.Fuzz(func(t *testing.T, data []byte) {
		addrs, err := ParseJoinRequest(bytes.NewReader(data))
		if err != nil {
			return
		}
		if len(addrs) == 0 || len(addrs) > MaxJoinAddrs {
			t.Fatalf("accepted %d addrs", len(addrs))
		}
		for _, a := range addrs {
			if a == "" || len(a) > maxAddrLen {
				t.Fatalf("accepted addr %q", a)
			}
		}
	})
}

// FuzzReadSSE: an event stream from the network never panics and never
// hands out more than the data limit.
func FuzzReadSSE(f *testing.F) {
	f.Add([]byte("event: join\ndata: {}\n\n"))
	f.Add([]byte(": c\n\ndata\ndata:\n\n"))
	f.Add([]byte("event:\r\ndata: x\r\n\r\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		_ = ReadSSE(bytes.NewReader(data), func(event, d string) error {
			if len(d) > maxSSEData {
				t.Fatalf("event data of %d bytes", len(d))
			}
			return nil
		})
	})
}
