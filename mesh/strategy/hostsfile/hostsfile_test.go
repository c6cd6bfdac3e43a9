package hostsfile

import (
	"log/slog"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/meshd/meshd/mesh/strategy/internal/dnstest"
	"github.com/meshd/meshd/mesh/strategy/internal/strategytest"
	"github.com/meshd/meshd/mesh/strategy/poll"
	"go.uber.org/goleak"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

func TestParse(t *testing.T) {
	data := "# seeds\n" +
		"\n" +
		"10.0.0.5\n" +
		"  10.0.0.6:7000-7002   # three\r\n" +
		"[2001:db8::7]:7946\n" +
		"'node8.example.com'.    % Erlang style\n" +
		"% an Erlang comment line\n" +
		"fe80::1%eth0\n" +
		"two hosts\n" +
		"bad:0\n" +
		"'unterminated\n" +
		"node9.example.com."
	es, err := Parse([]byte(data), 7946)
	var got []string
	for _, e := range es {
		got = append(got, e.String())
	}
	want := []string{"10.0.0.5:7946", "10.0.0.6:7000-7002", "[2001:db8::7]:7946", "node8.example.com:7946", "[fe80::1%eth0]:7946", "node9.example.com.:7946"}
	if !slices.Equal(got, want) {
		t.Fatalf("entries %q, want %q", got, want)
	}
	for _, line := range []string{"line 9:", "line 10:", "line 11:"} {
		if err == nil || !strings.Contains(err.Error(), line) {
			t.Fatalf("error %v does not name %s", err, line)
		}
	}
}

func TestParseBounds(t *testing.T) {
	var b strings.Builder
	for range MaxHosts + 10 {
		b.WriteString("10.0.0.1\n")
	}
	for range 50 {
		b.WriteString("bad:0\n")
	}
	es, err := Parse([]byte(b.String()), 1)
	if len(es) != MaxHosts || err == nil || !strings.Contains(err.Error(), "more than") {
		t.Fatalf("%d entries, %v", len(es), err)
	}
	if n := strings.Count(err.Error(), "\n") + 1; n > maxReported+1 {
		t.Fatalf("%d error lines reported, want at most %d", n, maxReported+1)
	}
}

func write(t *testing.T, path, content string) {
	t.Helper()
	// Write and rename, as editors and config managers do.
	tmp := path + ".tmp"
	if err := os.WriteFile(tmp, []byte(content), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.Rename(tmp, path); err != nil {
		t.Fatal(err)
	}
}

func TestFileEditedMidTest(t *testing.T) {
	srv := dnstest.Start(t)
	srv.SetIPs("node.meshd.test", "10.0.0.9", "2001:db8::9")
	path := filepath.Join(t.TempDir(), "hosts")
	write(t, path, "10.0.0.1\n10.0.0.2:7000\n")
	s, err := New(Config{Path: path, Interval: 20 * time.Millisecond, Resolver: srv.Addr, Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		t.Fatal(err)
	}
	run := strategytest.RunClocked(t, s)

	run.AwaitFunc("the first file", func(l []string) bool { return slices.Equal(l, []string{"10.0.0.1:7946", "10.0.0.2:7000"}) })

	// Rewritten by rename, with a name, a range and a comment.
	write(t, path, "# edited\n10.0.0.3:7000-7001\nnode.meshd.test\n")
	run.AwaitFunc("the edited file", func(l []string) bool {
		return slices.Equal(l, []string{"10.0.0.3:7000", "10.0.0.3:7001", "10.0.0.9:7946", "[2001:db8::9]:7946"})
	})

	// Edited in place, with a bad line: the good lines are used, the bad one counted.
	if err := os.WriteFile(path, []byte("10.0.0.4\nnot a host\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	run.AwaitFunc("the in-place edit", func(l []string) bool { return slices.Equal(l, []string{"10.0.0.4:7946"}) })
	if st := s.Stats(); !strings.Contains(st.LastError, "line 2") {
		t.Fatalf("bad line not reported: %+v", st)
	}

	// Removed, then emptied: the last good list stands (nothing is delivered).
	os.Remove(path)
	run.Keeps(s, []string{"10.0.0.4:7946"}, 3, "no such file")
	write(t, path, "# nobody\n")
	if st := run.Keeps(s, []string{"10.0.0.4:7946"}, 3, poll.ErrNoAddresses.Error()); st.Seeds != 1 {
		t.Fatalf("stats %+v, want the last 1 seed kept", st)
	}
	write(t, path, "10.0.0.5\n")
	run.AwaitFunc("recovery", func(l []string) bool { return slices.Equal(l, []string{"10.0.0.5:7946"}) })
}

func TestConfig(t *testing.T) {
	c, err := ParseSpec("/etc/meshd/hosts?interval=1s&default_port=7000")
	if err != nil || c.Path != "/etc/meshd/hosts" || c.Interval != time.Second || c.DefaultPort != 7000 {
		t.Fatalf("ParseSpec = %+v, %v", c, err)
	}
	for _, bad := range []string{"", "?interval=1s", "/x?nope=1"} {
		if _, err := ParseSpec(bad); err == nil {
			t.Errorf("ParseSpec(%q) accepted", bad)
		}
	}
	for want, cfg := range map[string]Config{
		"Config.Path:":        {},
		"Config.DefaultPort:": {Path: "x", DefaultPort: -1},
		"Config.Interval:":    {Path: "x", Interval: -1},
		"Config.Resolver:":    {Path: "x", Resolver: "ns.example"},
	} {
		if _, err := New(cfg); err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("New(%+v) = %v, want an error naming %s", cfg, err, want)
		}
	}
}

func FuzzParse(f *testing.F) {
	f.Add([]byte("# c\n10.0.0.5\n10.0.0.6:7000-7002 # x\n'node'.\n[::1]:1\nfe80::1%eth0 % c\n"), uint16(7946))
	f.Add([]byte("'a' .\n''.\n'\n\r\n%\n#\n"), uint16(1))
	f.Fuzz(func(t *testing.T, data []byte, port uint16) {
		es, _ := Parse(data, port)
		if len(es) > MaxHosts {
			t.Fatalf("%d entries", len(es))
		}
		for _, e := range es {
			if e.Lo == 0 || e.Hi < e.Lo {
				t.Fatalf("bad entry %+v", e)
			}
		}
	})
}
