package hostport

import (
	"context"
	"errors"
	"net/netip"
	"slices"
	"strings"
	"testing"
)

func TestParseEntry(t *testing.T) {
	ok := []struct {
		in   string
		host string
		ip   bool
		lo   uint16
		hi   uint16
	}{
		{"10.0.0.5", "10.0.0.5", true, 7946, 7946},
		{" 10.0.0.5:7000 ", "10.0.0.5", true, 7000, 7000},
		{"10.0.0.5:7946-7950", "10.0.0.5", true, 7946, 7950},
		{"node-1.example.com", "node-1.example.com", false, 7946, 7946},
		{"node-1.example.com.:8000", "node-1.example.com.", false, 8000, 8000},
		{"localhost:1-1024", "localhost", false, 1, 1024},
		{"2001:db8::1", "2001:db8::1", true, 7946, 7946},
		{"[2001:db8::1]", "2001:db8::1", true, 7946, 7946},
		{"[2001:db8::1]:7946-7947", "2001:db8::1", true, 7946, 7947},
		{"[fe80::1%eth0]:9", "fe80::1%eth0", true, 9, 9},
		{"::1", "::1", true, 7946, 7946},
		{"[::ffff:10.0.0.1]:5", "10.0.0.1", true, 5, 5},
		{"_gossip.svc", "_gossip.svc", false, 7946, 7946},
	}
	for _, c := range ok {
		e, err := ParseEntry(c.in, 7946)
		if err != nil {
			t.Errorf("ParseEntry(%q): %v", c.in, err)
			continue
		}
		if e.Host != c.host || e.IP.IsValid() != c.ip || e.Lo != c.lo || e.Hi != c.hi {
			t.Errorf("ParseEntry(%q) = %+v, want host %q ip %v ports %d-%d", c.in, e, c.host, c.ip, c.lo, c.hi)
		}
		again, err := ParseEntry(e.String(), 1)
		if err != nil || again != e {
			t.Errorf("round trip of %q via %q: %+v, %v", c.in, e.String(), again, err)
		}
	}

	bad := map[string]string{
		"":                              "empty",
		"10.0.0.5:":                     "host:port",
		":7946":                         "host:port",
		"10.0.0.5:0":                    "1 to 65535",
		"10.0.0.5:65536":                "1 to 65535",
		"10.0.0.5:x":                    "1 to 65535",
		"10.0.0.5:7950-7946":            "backwards",
		"10.0.0.5:1-65535":              "at most 1024",
		"[10.0.0.5":                     "missing ']'",
		"[node]:1":                      "only an IPv6",
		"[::1]x":                        "[address]:port",
		"[]:1":                          "empty address",
		"2001:db8::1:7946:x":            "[address]:port",
		"bad_host!:1":                   "bad character",
		"-lead.example":                 "starts or ends",
		"a..b":                          "1 to 63",
		strings.Repeat("a", 64):         "1 to 63",
		strings.Repeat("a.", 130) + "a": "at most 253",
		strings.Repeat("x", 600):        "at most 512",
	}
	for in, want := range bad {
		_, err := ParseEntry(in, 7946)
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("ParseEntry(%q) error %v, want one mentioning %q", in, err, want)
		}
	}
	if _, err := ParseEntry("host", 0); err == nil {
		t.Error("a host without port and no default port parsed")
	}
}

type fakeResolver map[string][]string

func (f fakeResolver) LookupIP(_ context.Context, host string) ([]netip.Addr, error) {
	ips, ok := f[host]
	if !ok {
		return nil, errors.New("nxdomain")
	}
	var out []netip.Addr
	for _, s := range ips {
		out = append(out, netip.MustParseAddr(s))
	}
	return out, nil
}

func mustEntries(t *testing.T, specs ...string) []Entry {
	t.Helper()
	var es []Entry
	for _, s := range specs {
		e, err := ParseEntry(s, 7946)
		if err != nil {
			t.Fatal(err)
		}
		es = append(es, e)
	}
	return es
}

func TestExpandRangesNamesAndLastGood(t *testing.T) {
	r := fakeResolver{"a.test": {"10.0.0.1", "2001:db8::1", "0.0.0.0", "224.0.0.1", "::ffff:10.0.0.9"}}
	x := &Expander{Resolver: r}
	es := mustEntries(t, "10.0.0.5:7946-7948", "a.test:9", "[::1]")
	got, err := x.Expand(context.Background(), es)
	if err != nil {
		t.Fatal(err)
	}
	want := []string{"10.0.0.5:7946", "10.0.0.5:7947", "10.0.0.5:7948", "10.0.0.1:9", "[2001:db8::1]:9", "10.0.0.9:9", "[::1]:7946"}
	if !slices.Equal(got, want) {
		t.Fatalf("Expand = %q, want %q (unspecified and multicast dropped)", got, want)
	}

	// The name stops resolving: its last good answer stands, the error is reported.
	delete(r, "a.test")
	got, err = x.Expand(context.Background(), es)
	if err == nil || !strings.Contains(err.Error(), `"a.test"`) {
		t.Fatalf("error %v, want one naming a.test", err)
	}
	if !slices.Equal(got, want) {
		t.Fatalf("after a failed lookup Expand = %q, want the last good %q", got, want)
	}
	x.Forget(mustEntries(t, "10.0.0.5"))
	got, _ = x.Expand(context.Background(), es)
	if slices.Contains(got, "10.0.0.1:9") {
		t.Fatal("Forget did not drop the remembered answer")
	}
}

func TestExpandIsBounded(t *testing.T) {
	var es []Entry
	for i := range 20 {
		es = append(es, Entry{Host: "10.0.0.1", IP: netip.MustParseAddr("10.0.0.1"), Lo: uint16(1 + i*1000), Hi: uint16(1000 + i*1000)})
	}
	got, err := (&Expander{}).Expand(context.Background(), es)
	if len(got) != MaxSeeds || err == nil {
		t.Fatalf("expanded to %d seeds with error %v, want %d and an error", len(got), err, MaxSeeds)
	}
}

func FuzzParseEntry(f *testing.F) {
	for _, s := range []string{"10.0.0.5:7946-7950", "[::1]:1", "a.b", "::1", "[fe80::1%eth0]", "x:1-", "[:]:", "1.2.3.4:-5"} {
		f.Add(s, uint16(7946))
	}
	f.Fuzz(func(t *testing.T, s string, def uint16) {
		e, err := ParseEntry(s, def)
		if err != nil {
			return
		}
		if e.Lo == 0 || e.Hi < e.Lo || e.Ports() > MaxPortRange {
			t.Fatalf("ParseEntry(%q) = %+v: bad port range", s, e)
		}
		again, err := ParseEntry(e.String(), 1)
		if err != nil || again != e {
			t.Fatalf("round trip of %q via %q = %+v, %v; want %+v", s, e.String(), again, err, e)
		}
	})
}
