package static

import (
	"log/slog"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/meshd/meshd/mesh/strategy/internal/dnstest"
	"github.com/meshd/meshd/mesh/strategy/internal/strategytest"
	"github.com/miekg/dns"
	"go.uber.org/goleak"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

func quiet() *slog.Logger { return slog.New(slog.DiscardHandler) }

func TestIPsRangesAndIPv6(t *testing.T) {
	s, err := New(Config{
		Hosts:  []string{"10.0.0.5:7000-7002", "10.0.0.6", "[2001:db8::1]:7000", "2001:db8::2"},
		Logger: quiet(),
	})
	if err != nil {
		t.Fatal(err)
	}
	got := strategytest.AwaitFunc(t, strategytest.Run(t, s), "the list arrives", func([]string) bool { return true })
	want := []string{"10.0.0.5:7000", "10.0.0.5:7001", "10.0.0.5:7002", "10.0.0.6:7946", "[2001:db8::1]:7000", "[2001:db8::2]:7946"}
	slices.Sort(want)
	if !slices.Equal(got, want) {
		t.Fatalf("found %q, want %q", got, want)
	}
	if st := s.Stats(); st.Seeds != len(want) || st.Polls == 0 || st.Errors != 0 {
		t.Fatalf("stats %+v", st)
	}
	if s.Name() != "static" {
		t.Fatalf("Name() = %q", s.Name())
	}
}

func TestNamesAreResolvedOnEveryPoll(t *testing.T) {
	srv := dnstest.Start(t)
	srv.SetIPs("a.meshd.test", "10.0.0.1")
	srv.SetIPs("b.meshd.test", "10.0.0.2", "2001:db8::2")
	s, err := New(Config{
		Hosts:    []string{"a.meshd.test:7000-7001", "b.meshd.test", "10.9.9.9"},
		Interval: 50 * time.Millisecond,
		Resolver: srv.Addr,
		Logger:   quiet(),
	})
	if err != nil {
		t.Fatal(err)
	}
	run := strategytest.RunClocked(t, s)
	run.AwaitFunc("both names resolved", func(l []string) bool {
		return slices.Equal(l, []string{"10.0.0.1:7000", "10.0.0.1:7001", "10.0.0.2:7946", "10.9.9.9:7946", "[2001:db8::2]:7946"})
	})

	// The records change: the next polls follow.
	srv.SetIPs("a.meshd.test", "10.0.0.3")
	run.AwaitFunc("a.meshd.test's new address", func(l []string) bool {
		return slices.Contains(l, "10.0.0.3:7000") && !slices.Contains(l, "10.0.0.1:7000")
	})

	// b fails: its last addresses stay, a still follows DNS, the error is counted.
	errsBefore := s.Stats().Errors
	srv.SetRcode("b.meshd.test", dns.RcodeServerFailure)
	srv.SetIPs("a.meshd.test", "10.0.0.4")
	l := run.AwaitFunc("a's change while b fails", func(l []string) bool { return slices.Contains(l, "10.0.0.4:7000") })
	if !slices.Contains(l, "10.0.0.2:7946") || !slices.Contains(l, "[2001:db8::2]:7946") {
		t.Fatalf("b's last good addresses were dropped while it fails: %q", l)
	}
	st := s.Stats()
	if st.Errors == errsBefore || !strings.Contains(st.LastError, "b.meshd.test") {
		t.Fatalf("b's failure was not reported: %+v", st)
	}
}

func TestParseSpec(t *testing.T) {
	c, err := ParseSpec("10.0.0.5, node1:7000 ,[::1]:7946-7950,?interval=10s&default_port=8000&resolver=127.0.0.1:5353")
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(c.Hosts, []string{"10.0.0.5", "node1:7000", "[::1]:7946-7950"}) ||
		c.Interval != 10*time.Second || c.DefaultPort != 8000 || c.Resolver != "127.0.0.1:5353" {
		t.Fatalf("ParseSpec = %+v", c)
	}
	for _, bad := range []string{"", " , ", "a?interval=x", "a?port=1"} {
		if _, err := ParseSpec(bad); err == nil {
			t.Errorf("ParseSpec(%q) accepted", bad)
		}
	}
}

func TestNewNamesTheBadField(t *testing.T) {
	for want, cfg := range map[string]Config{
		"Config.Hosts:":       {},
		"Config.Hosts[1]:":    {Hosts: []string{"a", "b:0"}},
		"Config.DefaultPort:": {Hosts: []string{"a"}, DefaultPort: 70000},
		"Config.Interval:":    {Hosts: []string{"a"}, Interval: -time.Second},
		"Config.Resolver:":    {Hosts: []string{"a"}, Resolver: "dns.example"},
	} {
		_, err := New(cfg)
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("New(%+v) = %v, want an error naming %s", cfg, err, want)
		}
	}
}

func FuzzParseSpec(f *testing.F) {
	for _, s := range []string{
		"10.0.0.5:7946-7950,node1,[::1]:1?interval=5s",
		"a,b,c?default_port=1&resolver=::1",
		"[fe80::1%eth0]:7946,2001:db8::1",
		",,,?",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		c, err := ParseSpec(s)
		if err != nil {
			return
		}
		st, err := New(c)
		if err != nil {
			return
		}
		if len(st.entries) == 0 || len(st.entries) > maxHosts {
			t.Fatalf("%d entries from %q", len(st.entries), s)
		}
	})
}
