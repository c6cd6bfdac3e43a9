package kubernetes

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

func fixture(t testing.TB, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", name))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// seedsOf lists a fixture with cfg and returns the seeds and skip errors.
func seedsOf(t *testing.T, cfg Config, file string) ([]string, error) {
	t.Helper()
	cfg = cfg.withDefaults()
	if err := cfg.Validate(); err != nil {
		t.Fatal(err)
	}
	x := newExtractor(cfg, "prod")
	p, err := x.parseList(bytes.NewReader(fixture(t, file)))
	if err != nil {
		t.Fatalf("parseList(%s): %v", file, err)
	}
	l := &listing{objects: map[string]object{}}
	for _, o := range p.objects {
		l.objects[o.key] = o
	}
	return l.seeds(cfg)
}

func TestExtract(t *testing.T) {
	for _, tc := range []struct {
		name string
		cfg  Config
		file string
		want []string
		skip string // substring of the skip error, "" for none
	}{
		{
			name: "endpointslices ready only, named port, IPv4 and IPv6",
			cfg:  Config{Service: "meshd", Port: "gossip"},
			file: "endpointslices.json",
			want: []string{"10.1.2.3:7946", "10.1.2.4:7946", "[fd00::3]:7946"},
			skip: `1 endpoints have no port named "gossip"`,
		},
		{
			name: "endpointslices include not ready, numeric port",
			cfg:  Config{Service: "meshd", Port: "8000", IncludeNotReady: true},
			file: "endpointslices.json",
			want: []string{"10.1.2.3:8000", "10.1.2.4:8000", "10.1.2.5:8000", "10.1.2.9:8000", "[fd00::3]:8000"},
			skip: "1 endpoints lack a usable IP address",
		},
		{
			name: "endpointslices dns addresses",
			cfg:  Config{Service: "meshd", Port: "gossip", AddressType: AddressDNS, ClusterDomain: "k8s.example."},
			file: "endpointslices.json",
			want: []string{"10-1-2-3.prod.pod.k8s.example:7946", "10-1-2-4.prod.pod.k8s.example:7946", "fd00--3.prod.pod.k8s.example:7946"},
			skip: "no port named",
		},
		{
			name: "endpointslices hostname addresses",
			cfg:  Config{Service: "meshd", Port: "gossip", AddressType: AddressHostname},
			file: "endpointslices.json",
			want: []string{"meshd-0.meshd.prod.svc.cluster.local:7946", "meshd-1.meshd.prod.svc.cluster.local:7946"},
			skip: "no port named",
		},
		{
			name: "endpoints ready only; ports per subset",
			cfg:  Config{Mode: ModeEndpoints, Service: "meshd", Port: "gossip"},
			file: "endpoints.json",
			want: []string{"10.1.2.3:7946", "10.1.2.4:7946", "[2001:db8::7]:17946"},
		},
		{
			name: "endpoints include not ready",
			cfg:  Config{Mode: ModeEndpoints, Service: "meshd", Port: "gossip", IncludeNotReady: true},
			file: "endpoints.json",
			want: []string{"10.1.2.3:7946", "10.1.2.4:7946", "10.1.2.5:7946", "[2001:db8::7]:17946"},
		},
		{
			name: "endpoints hostname: an address without hostname is skipped",
			cfg:  Config{Mode: ModeEndpoints, Service: "meshd", Port: "gossip", AddressType: AddressHostname},
			file: "endpoints.json",
			want: []string{"meshd-0.meshd.prod.svc.cluster.local:7946", "meshd-1.meshd.prod.svc.cluster.local:7946"},
			skip: "1 endpoints lack a hostname",
		},
		{
			name: "pods: running and ready, not terminating",
			cfg:  Config{Mode: ModePods, Selector: "app=meshd", Port: "gossip"},
			file: "pods.json",
			want: []string{"10.1.2.3:7946"},
		},
		{
			name: "pods include not ready: never finished pods nor pods without IP",
			cfg:  Config{Mode: ModePods, Selector: "app=meshd", Port: "gossip", IncludeNotReady: true},
			file: "pods.json",
			want: []string{"10.1.2.3:7946", "10.1.2.4:7946", "10.1.2.5:7946"},
		},
		{
			name: "pods hostname falls back to the pod name",
			cfg:  Config{Mode: ModePods, Selector: "app=meshd", Service: "meshd", Port: "7946", AddressType: AddressHostname, IncludeNotReady: true},
			file: "pods.json",
			want: []string{"meshd-0.meshd.prod.svc.cluster.local:7946", "meshd-1.meshd.prod.svc.cluster.local:7946", "meshd-2.meshd.prod.svc.cluster.local:7946"},
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := seedsOf(t, tc.cfg, tc.file)
			if !slices.Equal(got, tc.want) {
				t.Errorf("seeds = %q\nwant    %q", got, tc.want)
			}
			switch {
			case tc.skip == "" && err != nil:
				t.Errorf("unexpected skip error: %v", err)
			case tc.skip != "" && (err == nil || !strings.Contains(err.Error(), tc.skip)):
				t.Errorf("skip error = %v, want it to say %q", err, tc.skip)
			}
		})
	}
}

func TestParseListPageMetadata(t *testing.T) {
	x := newExtractor(Config{Mode: ModePods, Selector: "a=b"}.withDefaults(), "prod")
	p, err := x.parseList(bytes.NewReader(fixture(t, "pods.json")))
	if err != nil {
		t.Fatal(err)
	}
	if p.rv != "555" || p.cont != "next-page" || len(p.objects) != 5 {
		t.Fatalf("page = rv %q continue %q, %d objects", p.rv, p.cont, len(p.objects))
	}
	if p.objects[0].key != "prod/meshd-0" || p.objects[0].rv != "550" {
		t.Fatalf("object 0 = %+v", p.objects[0])
	}
}

func TestParseListRejects(t *testing.T) {
	x := newExtractor(Config{Service: "meshd"}.withDefaults(), "prod")
	for name, body := range map[string]string{
		"empty":        ``,
		"not json":     `<html>oops</html>`,
		"status":       `{"kind":"Status","status":"Failure","message":"nope","code":500}`,
		"wrong shape":  `{"items":{"a":1}}`,
		"wrong type":   `{"items":[{"endpoints":"x"}]}`,
		"truncated":    `{"items":[{"metadata":{"name":"a"}`,
		"huge numbers": `{"items":[{"ports":[{"name":"gossip","port":99999999999}]}]}`,
	} {
		if _, err := x.parseList(strings.NewReader(body)); err == nil {
			t.Errorf("%s: parseList accepted %q", name, body)
		}
	}
}

func TestPortOutOfRangeIsSkipped(t *testing.T) {
	x := newExtractor(Config{Service: "meshd", Port: "gossip"}.withDefaults(), "prod")
	body := `{"items":[{"metadata":{"name":"s"},"addressType":"IPv4","endpoints":[{"addresses":["10.0.0.1"]}],"ports":[{"name":"gossip","port":70000}]}]}`
	p, err := x.parseList(strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	if o := p.objects[0]; len(o.seeds) != 0 || o.noPort != 1 {
		t.Fatalf("port 70000 gave %+v", o)
	}
}

func TestBadAddressesAreSkipped(t *testing.T) {
	for _, at := range []string{AddressIP, AddressDNS} {
		x := newExtractor(Config{Service: "meshd", Port: "7946", AddressType: at}.withDefaults(), "prod")
		body := `{"items":[{"metadata":{"name":"s","namespace":"prod"},"addressType":"FQDN","endpoints":[
			{"addresses":["db.example.com"]},{"addresses":["fe80::1%eth0"]},{"addresses":["10.0.0.1/24"]},{"addresses":["::ffff:10.0.0.7"]}]}]}`
		p, err := x.parseList(strings.NewReader(body))
		if err != nil {
			t.Fatal(err)
		}
		o := p.objects[0]
		want := "10.0.0.7:7946" // a 4-in-6 address is unmapped
		if at == AddressDNS {
			want = "10-0-0-7.prod.pod.cluster.local:7946"
		}
		if !slices.Equal(o.seeds, []string{want}) || o.badAddr != 3 {
			t.Errorf("%s: seeds %q, badAddr %d; want [%s], 3", at, o.seeds, o.badAddr, want)
		}
	}
}

func TestParseEvents(t *testing.T) {
	x := newExtractor(Config{Service: "meshd", Port: "gossip"}.withDefaults(), "prod")
	dec := json.NewDecoder(bytes.NewReader(fixture(t, "watch-events.jsonl")))
	var got []string
	for {
		ev, err := x.parseEvent(dec)
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		got = append(got, ev.typ+" "+ev.obj.key+" "+ev.obj.rv+" "+strings.Join(ev.obj.seeds, ","))
		if ev.typ == "ERROR" && (ev.status.Code != 410 || ev.status.Reason != "Expired") {
			t.Errorf("ERROR event status = %+v", ev.status)
		}
	}
	want := []string{
		"ADDED prod/meshd-abc12 1300 10.1.2.3:7946",
		"BOOKMARK  1400 ",
		"MODIFIED prod/meshd-abc12 1500 ",
		"DELETED prod/meshd-abc12 1600 ",
		"ERROR   ",
	}
	if !slices.Equal(got, want) {
		t.Fatalf("events:\n%q\nwant\n%q", got, want)
	}
}

func TestParseEventRejects(t *testing.T) {
	x := newExtractor(Config{Service: "meshd"}.withDefaults(), "prod")
	for _, body := range []string{
		`{"type":"WHAT","object":{}}`,
		`{"type":"ADDED","object":{"metadata":{}}}`, // no name
		`{"type":"ADDED","object":[]}`,
		`{"kind":"EndpointSliceList","items":[]}`, // a list, not an event
		`{"type":"ERROR","object":"x"}`,
	} {
		if _, err := x.parseEvent(json.NewDecoder(strings.NewReader(body))); err == nil {
			t.Errorf("parseEvent accepted %s", body)
		}
	}
}

func TestLimitedReader(t *testing.T) {
	r := &limitedReader{r: strings.NewReader(strings.Repeat("x", 100)), n: 10}
	b, err := io.ReadAll(r)
	if len(b) != 10 || !errors.Is(err, errTooLarge) {
		t.Fatalf("read %d bytes, err %v; want 10 and errTooLarge", len(b), err)
	}
	// A huge JSON value stops at the limit instead of being buffered whole.
	dec := json.NewDecoder(&limitedReader{r: strings.NewReader(`["` + strings.Repeat("a", 1<<20) + `"]`), n: 4096})
	var v any
	if err := dec.Decode(&v); !errors.Is(err, errTooLarge) {
		t.Fatalf("decode of an oversized value: %v", err)
	}
}

func TestAPIErrorLines(t *testing.T) {
	forbidden := `{"kind":"Status","apiVersion":"v1","status":"Failure","message":"endpointslices.discovery.k8s.io is forbidden: User \"system:serviceaccount:prod:meshd\" cannot list resource \"endpointslices\" in API group \"discovery.k8s.io\" in the namespace \"prod\"","reason":"Forbidden","code":403}`
	e := newAPIError(403, []byte(forbidden), "list", resourceFor(ModeEndpointSlices), "prod", "/tok", false)
	line := e.Error()
	for _, want := range []string{`403 Forbidden`, `verb "list"`, `resource "endpointslices"`, `apiGroup "discovery.k8s.io"`, `namespace "prod"`, `system:serviceaccount:prod:meshd`} {
		if !strings.Contains(line, want) {
			t.Errorf("403 line lacks %q:\n%s", want, line)
		}
	}
	if !e.isAuth() {
		t.Error("403 is not isAuth")
	}
	e = newAPIError(403, []byte(forbidden), "watch", resourceFor(ModePods), "prod", "/tok", false)
	if line := e.Error(); !strings.Contains(line, `verb "watch" on resource "pods" in apiGroup "" (core)`) {
		t.Errorf("core group 403 line: %s", line)
	}
	e = newAPIError(401, []byte(`{"kind":"Status","message":"Unauthorized","code":401}`), "list", resourceFor(ModeEndpoints), "prod", "/var/tok", false)
	if line := e.Error(); !strings.Contains(line, "401 Unauthorized") || !strings.Contains(line, "/var/tok") {
		t.Errorf("401 line: %s", line)
	}
	e = newAPIError(401, nil, "list", resourceFor(ModeEndpoints), "prod", "/var/tok", true)
	if line := e.Error(); !strings.Contains(line, "no token") {
		t.Errorf("401 without token: %s", line)
	}
	e = newAPIError(500, []byte("plain\ntext \xff body"), "list", resourceFor(ModePods), "prod", "/t", false)
	if line := e.Error(); strings.Contains(line, "\n") || !strings.Contains(line, "HTTP 500") || e.isAuth() {
		t.Errorf("500 line: %q", line)
	}
}
