package api

import (
	"errors"
	"slices"
	"strings"
	"testing"
)

func TestParseJoinRequest(t *testing.T) {
	addrs, err := ParseJoinRequest(strings.NewReader(`{"addrs":["127.0.0.2:7946","seed.example:7946"]}`))
	if err != nil || !slices.Equal(addrs, []string{"127.0.0.2:7946", "seed.example:7946"}) {
		t.Fatalf("%v %v", addrs, err)
	}
	bad := map[string]string{
		``:                                "want a JSON body",
		`{"addrs":[]}`:                    "is empty",
		`{"addr":["x"]}`:                  "unknown field",
		`{"addrs":["a b"]}`:               `"addrs"[0]`,
		`{"addrs":["x"]} {"addrs":["y"]}`: "trailing data",
		`{"addrs":"x"}`:                   "want a JSON body",
	}
	for body, want := range bad {
		if _, err := ParseJoinRequest(strings.NewReader(body)); err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("body %q: %v, want %q", body, err, want)
		}
	}
	big := `{"addrs":["` + strings.Repeat("a", MaxJoinBody) + `"]}`
	if _, err := ParseJoinRequest(strings.NewReader(big)); err == nil || !strings.Contains(err.Error(), "larger than") {
		t.Errorf("oversized body: %v", err)
	}
	many := `{"addrs":[` + strings.TrimSuffix(strings.Repeat(`"a:1",`, MaxJoinAddrs+1), ",") + `]}`
	if _, err := ParseJoinRequest(strings.NewReader(many)); err == nil || !strings.Contains(err.Error(), "at most") {
		t.Errorf("too many addrs: %v", err)
	}
}

func TestReadSSE(t *testing.T) {
	in := ": meshd events\nretry: 2000\n\nid: 1\nevent: join\ndata: {\"a\":1}\n\n: keepalive\n\ndata: line1\ndata: line2\n\nevent: fail\ndata:x\n\nevent: ignored-no-data\n\n"
	type ev struct{ event, data string }
	var got []ev
	err := ReadSSE(strings.NewReader(in), func(e, d string) error { got = append(got, ev{e, d}); return nil })
	if err != nil {
		t.Fatal(err)
	}
	want := []ev{{"join", `{"a":1}`}, {"message", "line1\nline2"}, {"fail", "x"}}
	if !slices.Equal(got, want) {
		t.Fatalf("got %q, want %q", got, want)
	}
	stop := errors.New("stop")
	if err := ReadSSE(strings.NewReader("data: a\n\ndata: b\n\n"), func(string, string) error { return stop }); err != stop {
		t.Fatalf("fn error not returned: %v", err)
	}
	if err := ReadSSE(strings.NewReader("data: "+strings.Repeat("x", maxSSELine+1)+"\n"), func(string, string) error { return nil }); err == nil {
		t.Fatal("over-long line accepted")
	}
	var huge strings.Builder
	for range maxSSEData/1000 + 10 {
		huge.WriteString("data: " + strings.Repeat("y", 1000) + "\n")
	}
	if err := ReadSSE(strings.NewReader(huge.String()), func(string, string) error { return nil }); err == nil {
		t.Fatal("over-large event accepted")
	}
}
