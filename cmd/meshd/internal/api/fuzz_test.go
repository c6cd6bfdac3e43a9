package api

import (
	"bytes"
	"net/url"
	"testing"

	"github.com/meshd/meshd/mesh"
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

// FuzzResume: a Last-Event-ID from the network never panics, and resumes
// only within what this run has numbered.
func FuzzResume(f *testing.F) {
	f.Add("b00t-0")
	f.Add("b00t-2")
	f.Add("0ld1-99")
	f.Add("-")
	f.Add("b00t--1")
	f.Add("b00t-18446744073709551616")
	f.Fuzz(func(t *testing.T, id string) {
		l := newEventLog("b00t", 4)
		l.add(mesh.Event{})
		l.add(mesh.Event{})
		cursor, notice := l.resume(id)
		if cursor > l.latest() || notice != nil && cursor != 0 {
			t.Fatalf("resume(%q) = %d %v", id, cursor, notice)
		}
	})
}

// FuzzMemberFilter: a query string from the network never panics, and what
// is accepted names only known states.
func FuzzMemberFilter(f *testing.F) {
	f.Add("state=alive,suspect&name=a&tag=role=api")
	f.Add("tag==x&state=")
	f.Add("%zz&sate=1")
	f.Fuzz(func(t *testing.T, raw string) {
		q, err := url.ParseQuery(raw)
		if err != nil {
			return
		}
		mf, err := ParseMemberFilter(q)
		if err != nil {
			return
		}
		for _, s := range mf.States {
			if s != "alive" && s != "suspect" && s != "dead" && s != "left" {
				t.Fatalf("accepted state %q", s)
			}
		}
		mf.Match(mesh.Member{Name: "a", Meta: map[string]string{"role": "api"}})
	})
}
