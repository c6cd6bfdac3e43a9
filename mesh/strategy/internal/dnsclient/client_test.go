package dnsclient

import (
	"context"
	"errors"
	"fmt"
	"net/netip"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/meshd/meshd/mesh/strategy/internal/dnstest"
	"github.com/miekg/dns"
	"go.uber.org/goleak"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

func client(t *testing.T, srv *dnstest.Server) *Client {
	t.Helper()
	c, err := New(srv.Addr, 2*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func strs(ips []netip.Addr) []string {
	var out []string
	for _, ip := range ips {
		out = append(out, ip.String())
	}
	slices.Sort(out)
	return out
}

func TestLookupIPBothFamiliesAndCNAME(t *testing.T) {
	srv := dnstest.Start(t)
	srv.SetIPs("meshd.test", "10.0.0.1", "10.0.0.2", "2001:db8::1")
	srv.SetCNAME("alias.test", "meshd.test")
	c := client(t, srv)
	for _, name := range []string{"meshd.test", "MESHD.test.", "alias.test"} {
		ips, err := c.LookupIP(context.Background(), name)
		if err != nil {
			t.Fatalf("LookupIP(%s): %v", name, err)
		}
		if got, want := strs(ips), []string{"10.0.0.1", "10.0.0.2", "2001:db8::1"}; !slices.Equal(got, want) {
			t.Fatalf("LookupIP(%s) = %q, want %q", name, got, want)
		}
	}
}

func TestFailuresAreErrors(t *testing.T) {
	srv := dnstest.Start(t)
	srv.SetIPs("meshd.test", "10.0.0.1")
	c := client(t, srv)
	ctx := context.Background()

	if _, err := c.LookupIP(ctx, "missing.test"); !errors.Is(err, ErrNXDomain) {
		t.Fatalf("missing name: %v, want NXDOMAIN", err)
	}
	srv.SetRcode("meshd.test", dns.RcodeServerFailure)
	_, err := c.LookupIP(ctx, "meshd.test")
	if err == nil || errors.Is(err, ErrNXDomain) || !strings.Contains(err.Error(), "SERVFAIL") {
		t.Fatalf("SERVFAIL: %v", err)
	}
	srv.SetRcode("meshd.test", 0)
	srv.SetSilent(true)
	if _, err := c.LookupIP(ctx, "meshd.test"); err == nil {
		t.Fatal("a silent server gave no error")
	}
	srv.SetSilent(false)
	if ips, err := c.LookupIP(ctx, "meshd.test"); err != nil || len(ips) != 1 {
		t.Fatalf("after recovery: %v %v", ips, err)
	}
}

func TestTruncationFallsBackToTCP(t *testing.T) {
	srv := dnstest.Start(t)
	var want []string
	var ips []string
	for i := range 300 {
		ip := fmt.Sprintf("10.1.%d.%d", i/200, i%200+1)
		ips = append(ips, ip)
		want = append(want, ip)
	}
	slices.Sort(want)
	srv.SetIPs("big.test", ips...)
	c := client(t, srv)

	// 300 A records do not fit 1232 bytes: the server truncates, we ask again over TCP.
	got, err := c.LookupIP(context.Background(), "big.test")
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(strs(got), want) {
		t.Fatalf("got %d addresses over the TCP fallback, want all %d", len(got), len(want))
	}
	if _, tcp := srv.Queries(); tcp == 0 {
		t.Fatal("no TCP query was made")
	}

	// Forced truncation with TCP down: an error, never the partial answer.
	srv.SetIPs("small.test", "10.0.0.1", "10.0.0.2")
	srv.SetTruncate(true)
	srv.SetTCP(false)
	got, err = c.LookupIP(context.Background(), "small.test")
	if !errors.Is(err, ErrTruncated) || len(got) != 0 {
		t.Fatalf("truncated without TCP: %v, %v; want ErrTruncated and nothing", got, err)
	}
	srv.SetTCP(true)
	got, err = c.LookupIP(context.Background(), "small.test")
	if err != nil || len(got) != 2 {
		t.Fatalf("truncated with TCP: %v, %v; want both addresses", got, err)
	}
}

func TestLookupSRVWithGlue(t *testing.T) {
	srv := dnstest.Start(t)
	srv.SetSRV("_gossip._udp.meshd.test",
		dnstest.SRV{Target: "a.meshd.test", Port: 7001, Glue: []string{"10.0.0.1", "2001:db8::1"}},
		dnstest.SRV{Target: "b.meshd.test", Port: 7002},
		dnstest.SRV{Target: ".", Port: 7003},
	)
	ts, err := client(t, srv).LookupSRV(context.Background(), "_gossip._udp.meshd.test")
	if err != nil {
		t.Fatal(err)
	}
	if len(ts) != 2 || ts[0].Host != "a.meshd.test." || ts[0].Port != 7001 || len(ts[0].Glue) != 2 ||
		ts[1].Host != "b.meshd.test." || len(ts[1].Glue) != 0 {
		t.Fatalf("LookupSRV = %+v", ts)
	}
}

func TestSystemResolverUsesSearchList(t *testing.T) {
	srv := dnstest.Start(t)
	srv.SetIPs("meshd.svc.test", "10.0.0.7")
	host, port, _ := strings.Cut(srv.Addr, ":")
	conf := filepath.Join(t.TempDir(), "resolv.conf")
	body := fmt.Sprintf("nameserver %s\nsearch svc.test\noptions ndots:5\n", host)
	if err := os.WriteFile(conf, []byte(body), 0o600); err != nil {
		t.Fatal(err)
	}
	old := ResolvConf
	ResolvConf = conf
	defer func() { ResolvConf = old }()
	c, err := New("", 2*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	// resolv.conf has no port syntax: point the client at the test port
	// before it sends anything, so no query leaves for port 53.
	for i, s := range c.servers {
		h, _, _ := strings.Cut(s, ":")
		c.servers[i] = h + ":" + port
	}
	ips, err := c.LookupIP(context.Background(), "meshd")
	if err != nil || len(ips) != 1 || ips[0].String() != "10.0.0.7" {
		t.Fatalf("LookupIP(meshd) with search svc.test = %v, %v", ips, err)
	}
}

func TestParseServer(t *testing.T) {
	good := map[string]string{
		"127.0.0.1":      "127.0.0.1:53",
		"127.0.0.1:5353": "127.0.0.1:5353",
		"::1":            "[::1]:53",
		"[::1]:5353":     "[::1]:5353",
	}
	for in, want := range good {
		if got, err := ParseServer(in); err != nil || got != want {
			t.Errorf("ParseServer(%q) = %q, %v; want %q", in, got, err, want)
		}
	}
	for _, in := range []string{"", "dns.google", "1.1.1.1:53-54", "1.1.1.1:0"} {
		if _, err := ParseServer(in); err == nil {
			t.Errorf("ParseServer(%q) accepted", in)
		}
	}
}

func TestAnswerReadersIgnoreOtherNames(t *testing.T) {
	m := new(dns.Msg)
	a := func(name, ip string) dns.RR {
		rr, err := dns.NewRR(name + " 5 IN A " + ip)
		if err != nil {
			t.Fatal(err)
		}
		return rr
	}
	cname, _ := dns.NewRR("x.test. 5 IN CNAME y.test.")
	m.Answer = []dns.RR{a("x.test.", "10.0.0.1"), cname, a("y.test.", "10.0.0.2"), a("evil.test.", "10.6.6.6")}
	if got := strs(Addrs(m, "x.test")); !slices.Equal(got, []string{"10.0.0.1", "10.0.0.2"}) {
		t.Fatalf("Addrs = %q, want only x.test and its CNAME target", got)
	}
	if Addrs(nil, "x") != nil || SRVs(nil, "x") != nil {
		t.Fatal("nil message gave answers")
	}
}

// FuzzAnswer feeds arbitrary bytes, as a server could send, through the
// parser and the answer readers.
func FuzzAnswer(f *testing.F) {
	m := new(dns.Msg)
	m.SetQuestion("_gossip._udp.x.test.", dns.TypeSRV)
	srv, _ := dns.NewRR("_gossip._udp.x.test. 5 IN SRV 1 1 7946 a.x.test.")
	glue, _ := dns.NewRR("a.x.test. 5 IN A 10.0.0.1")
	m.Answer, m.Extra = []dns.RR{srv}, []dns.RR{glue}
	b, _ := m.Pack()
	f.Add(b)
	m2 := new(dns.Msg)
	m2.SetQuestion("x.test.", dns.TypeA)
	aaaa, _ := dns.NewRR("x.test. 5 IN AAAA 2001:db8::1")
	m2.Answer = []dns.RR{glue, aaaa}
	b2, _ := m2.Pack()
	f.Add(b2)
	f.Fuzz(func(t *testing.T, data []byte) {
		var m dns.Msg
		if m.Unpack(data) != nil {
			return
		}
		name := "x.test."
		if len(m.Question) > 0 {
			name = m.Question[0].Name
		}
		ips := Addrs(&m, name)
		if len(ips) > MaxRecords {
			t.Fatalf("%d addresses, more than MaxRecords", len(ips))
		}
		for _, ip := range ips {
			if !ip.IsValid() || ip.Is4In6() {
				t.Fatalf("bad address %v", ip)
			}
		}
		for _, tg := range SRVs(&m, name) {
			if tg.Port == 0 || tg.Host == "." {
				t.Fatalf("unusable target kept: %+v", tg)
			}
		}
	})
}

func TestEachFamilyStandsOnItsOwn(t *testing.T) {
	srv := dnstest.Start(t)
	srv.SetIPs("meshd.test", "10.0.0.1", "2001:db8::1")
	c := client(t, srv)
	ctx := context.Background()

	srv.SetTypeRcode("meshd.test", dns.TypeAAAA, dns.RcodeRefused)
	l, err := c.LookupFamilies(ctx, "meshd.test", FamilyAny)
	if err != nil || len(l.Families) != 2 || l.Name != "meshd.test." {
		t.Fatalf("LookupFamilies = %+v, %v", l, err)
	}
	if a, aaaa := l.Families[0], l.Families[1]; a.Qtype != dns.TypeA || a.Err != nil || strs(a.Addrs)[0] != "10.0.0.1" ||
		aaaa.Qtype != dns.TypeAAAA || aaaa.Err == nil || FailureKey(aaaa.Qtype, aaaa.Err) != "AAAA REFUSED" {
		t.Fatalf("families %+v", l.Families)
	}
	if got := strs(l.Addrs()); !slices.Equal(got, []string{"10.0.0.1"}) || l.Err() == nil {
		t.Fatalf("Addrs %q, Err %v", got, l.Err())
	}
	// The hostport.Resolver view: the family that answered is the answer.
	if ips, err := c.LookupIP(ctx, "meshd.test"); err != nil || !slices.Equal(strs(ips), []string{"10.0.0.1"}) {
		t.Fatalf("LookupIP = %v, %v", ips, err)
	}
	// A family not asked cannot fail.
	if l, err := c.LookupFamilies(ctx, "meshd.test", FamilyIPv4); err != nil || len(l.Families) != 1 || l.Err() != nil {
		t.Fatalf("ipv4 only: %+v, %v", l, err)
	}
	// Every family failing is an error, with each failure in the Lookup.
	srv.SetTypeRcode("meshd.test", dns.TypeA, dns.RcodeServerFailure)
	l, err = c.LookupFamilies(ctx, "meshd.test", FamilyAny)
	if err == nil || errors.Is(err, ErrNXDomain) || FailureKey(dns.TypeA, l.Families[0].Err) != "A SERVFAIL" {
		t.Fatalf("both failing: %+v, %v", l, err)
	}
	if _, err := c.LookupIP(ctx, "meshd.test"); err == nil {
		t.Fatal("LookupIP with both families failing gave no error")
	}
	// NXDOMAIN for one family while the other answers is "none of this family".
	srv.SetTypeRcode("meshd.test", dns.TypeA, 0)
	srv.SetTypeRcode("meshd.test", dns.TypeAAAA, dns.RcodeNameError)
	if l, err := c.LookupFamilies(ctx, "meshd.test", FamilyAny); err != nil || l.Err() != nil || len(l.Addrs()) != 1 {
		t.Fatalf("AAAA NXDOMAIN: %+v, %v", l, err)
	}
}

func TestCause(t *testing.T) {
	for want, err := range map[string]error{
		"REFUSED":   &RcodeError{Rcode: dns.RcodeRefused},
		"RCODE3841": &RcodeError{Rcode: 3841},
		"truncated": fmt.Errorf("x: %w", ErrTruncated),
		"timeout":   context.DeadlineExceeded,
		"error":     errors.New("connection refused"),
		"":          nil,
	} {
		if got := Cause(err); got != want {
			t.Errorf("Cause(%v) = %q, want %q", err, got, want)
		}
	}
	var f Failures
	for i := range 2 * maxFailureKeys {
		f.Add(dns.TypeA, &RcodeError{Rcode: 100 + i})
	}
	f.Add(dns.TypeA, nil)
	if n := len(f.Snapshot()); n != maxFailureKeys+1 {
		t.Fatalf("%d keys, want at most %d and %q", n, maxFailureKeys, otherFailures)
	}
}
