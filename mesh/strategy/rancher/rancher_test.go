package rancher

import (
	"log/slog"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/meshd/meshd/mesh/strategy/internal/strategytest"
	"go.uber.org/goleak"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

// metadata is a fake Rancher metadata service.
type metadata struct {
	mu     sync.Mutex
	status int
	body   string
	bad    []string // request problems seen
}

func (m *metadata) set(status int, body string) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.status, m.body = status, body
}

func (m *metadata) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if r.URL.Path != "/latest/self/service" {
		m.bad = append(m.bad, "path "+r.URL.Path)
	}
	if r.Header.Get("Accept") != "application/json" {
		m.bad = append(m.bad, "Accept "+r.Header.Get("Accept"))
	}
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(m.status)
	w.Write([]byte(m.body))
}

const fourContainers = `{
  "name": "meshd", "stack_name": "default", "kind": "service", "scale": 4,
  "containers": [
    {"name": "default-meshd-1", "primary_ip": "10.42.1.5", "ips": ["10.42.1.5"], "state": "running", "labels": {"a": "b"}},
    {"name": "default-meshd-2", "primary_ip": "10.42.7.9/16", "state": "starting"},
    {"name": "default-meshd-3", "ips": ["fd00::3"], "state": "running"},
    {"name": "default-meshd-4", "primary_ip": "10.42.9.9", "state": "stopped"}
  ]
}`

var fourSeeds = []string{"10.42.1.5:7000", "10.42.7.9:7000", "[fd00::3]:7000"}

func TestDocumentedShapeAndFailures(t *testing.T) {
	md := &metadata{}
	md.set(200, fourContainers)
	srv := httptest.NewServer(md)
	defer srv.Close()

	s, err := New(Config{BaseURL: srv.URL + "/", Port: 7000, Interval: 20 * time.Millisecond, Timeout: 2 * time.Second, Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		t.Fatal(err)
	}
	run := strategytest.RunClocked(t, s)
	run.Await(fourSeeds...)

	md.set(200, `{"containers": [{"name": "a", "ips": ["10.42.0.1"]}, {"name": "b", "ips": ["10.42.0.2"]}]}`)
	run.Await("10.42.0.1:7000", "10.42.0.2:7000")
	last := []string{"10.42.0.1:7000", "10.42.0.2:7000"}

	for _, f := range []struct {
		name, body, msg string
		status          int
	}{
		{"server error", `{"code": 500}`, "500", 500},
		{"not found", `{"code":404,"message":"Not found"}`, "404", 404},
		{"garbage", `<html>`, "not the /latest/self/service JSON", 200},
		{"no containers field", `{"name": "meshd"}`, `no "containers"`, 200},
		{"no live container", `{"containers": [{"name": "a", "ips": ["10.42.0.1"], "state": "stopped"}]}`, "no addresses", 200},
		{"names only", `{"containers": ["meshd-1", "meshd-2"]}`, "not an object", 200},
	} {
		t.Run(f.name, func(t *testing.T) {
			md.set(f.status, f.body)
			if st := run.Keeps(s, last, 2, f.msg); st.Seeds != 2 {
				t.Fatalf("stats %+v, want 2 seeds kept", st)
			}
			md.set(200, `{"containers": [{"name": "a", "ips": ["10.42.0.1"]}, {"name": "b", "ips": ["10.42.0.2"]}]}`)
			run.Await(last...)
		})
	}

	md.mu.Lock()
	defer md.mu.Unlock()
	if len(md.bad) > 0 {
		t.Fatalf("bad requests: %q", md.bad)
	}
}

func TestServerGone(t *testing.T) {
	md := &metadata{}
	md.set(200, fourContainers)
	srv := httptest.NewServer(md)
	s, err := New(Config{BaseURL: srv.URL, Port: 7000, Interval: 20 * time.Millisecond, Timeout: 2 * time.Second, Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		t.Fatal(err)
	}
	run := strategytest.RunClocked(t, s)
	run.Await(fourSeeds...)
	srv.Close()
	if st := run.Keeps(s, fourSeeds, 2, ""); st.Seeds != 3 {
		t.Fatalf("stats %+v after the server went away", st)
	}
}

func TestParse(t *testing.T) {
	got, err := Parse([]byte(fourContainers), 7000)
	if err != nil || !slices.Equal(got, fourSeeds) {
		t.Fatalf("Parse = %q, %v", got, err)
	}
	// A bad container is skipped and reported; the good ones stay.
	got, err = Parse([]byte(`{"containers": [{"name": "x", "ips": ["banana"]}, {"name": "y", "primary_ip": "0.0.0.0"}, {"name": "z", "ips": ["10.0.0.1"]}]}`), 1)
	if !slices.Equal(got, []string{"10.0.0.1:1"}) || err == nil || !strings.Contains(err.Error(), `"x"`) || !strings.Contains(err.Error(), `"y"`) {
		t.Fatalf("Parse with bad containers = %q, %v", got, err)
	}
	// ips[0] wins over primary_ip, as in libcluster.
	got, _ = Parse([]byte(`{"containers": [{"ips": ["10.0.0.2", "10.0.0.3"], "primary_ip": "10.0.0.4"}]}`), 1)
	if !slices.Equal(got, []string{"10.0.0.2:1"}) {
		t.Fatalf("Parse picked %q", got)
	}
}

func TestConfig(t *testing.T) {
	c, err := ParseSpec("http://[::1]:8080/meta?port=7000&interval=10s&timeout=1s")
	if err != nil || c.BaseURL != "http://[::1]:8080/meta" || c.Port != 7000 || c.Interval != 10*time.Second || c.Timeout != time.Second {
		t.Fatalf("ParseSpec = %+v, %v", c, err)
	}
	s, err := New(c)
	if err != nil || s.url != "http://[::1]:8080/meta/latest/self/service" {
		t.Fatalf("New: %v, url %q", err, s.url)
	}
	if c, err := ParseSpec(""); err != nil || c.BaseURL != "" {
		t.Fatalf("ParseSpec(\"\") = %+v, %v", c, err)
	}
	if s, err := New(Config{}); err != nil || s.url != "http://rancher-metadata/latest/self/service" {
		t.Fatalf("default URL: %v %v", s, err)
	}
	for _, bad := range []string{"x?port=a", "x?bogus=1"} {
		if _, err := ParseSpec(bad); err == nil {
			t.Errorf("ParseSpec(%q) accepted", bad)
		}
	}
	for want, cfg := range map[string]Config{
		"Config.BaseURL:":                         {BaseURL: "ftp://x"},
		"Config.BaseURL: \"http://\" has no host": {BaseURL: "http://"},
		"Config.BaseURL: \"http://u:p@x\"":        {BaseURL: "http://u:p@x"},
		"Config.Port:":                            {Port: -1},
		"Config.Interval:":                        {Interval: -1},
		"Config.Timeout:":                         {Timeout: -1},
	} {
		if _, err := New(cfg); err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("New(%+v) = %v, want an error naming %s", cfg, err, want)
		}
	}
}

func FuzzParse(f *testing.F) {
	f.Add([]byte(fourContainers), uint16(7946))
	f.Add([]byte(`{"containers": ["a", 1, null, {"ips": null}, {"ips": ["::ffff:1.2.3.4/8"]}]}`), uint16(1))
	f.Add([]byte(`{"containers": null}`), uint16(0))
	f.Fuzz(func(t *testing.T, body []byte, port uint16) {
		list, _ := Parse(body, port)
		if len(list) > MaxContainers {
			t.Fatalf("%d seeds", len(list))
		}
		for _, s := range list {
			if s == "" || strings.ContainsAny(s, " /%") {
				t.Fatalf("bad seed %q", s)
			}
		}
	})
}
