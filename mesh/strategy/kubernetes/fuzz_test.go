package kubernetes

import (
	"bytes"
	"encoding/json"
	"net"
	"strconv"
	"strings"
	"testing"
)

// Fuzz targets for everything that parses bytes from outside: API server
// responses (lists, watch events, error bodies) and the one-line spec from
// flags and the environment. Seed corpora live in testdata/fuzz.

var fuzzModes = []string{ModeEndpointSlices, ModeEndpoints, ModePods}
var fuzzAddressTypes = []string{AddressIP, AddressDNS, AddressHostname}

func fuzzExtractor(mode, at uint8, includeNotReady bool) extractor {
	cfg := Config{
		Mode: fuzzModes[int(mode)%len(fuzzModes)], AddressType: fuzzAddressTypes[int(at)%len(fuzzAddressTypes)],
		Service: "meshd", Selector: "app=meshd", Port: "gossip", IncludeNotReady: includeNotReady,
	}
	if at&0x80 != 0 {
		cfg.Port = "7946"
	}
	return newExtractor(cfg.withDefaults(), "prod")
}

// checkSeed fails unless s is host:port with a port in range and a host
// without spaces or control characters.
func checkSeed(t *testing.T, s string) {
	host, port, err := net.SplitHostPort(s)
	if err != nil {
		t.Fatalf("seed %q: %v", s, err)
	}
	if n, err := strconv.Atoi(port); err != nil || n < 1 || n > 65535 {
		t.Fatalf("seed %q: bad port", s)
	}
	if host == "" || strings.ContainsFunc(host, func(r rune) bool { return r <= ' ' || r == '/' || r == '%' }) {
		t.Fatalf("seed %q: bad host", s)
	}
}

func FuzzParseList(f *testing.F) {
	for i, name := range []string{"endpointslices.json", "endpoints.json", "pods.json"} {
		f.Add(uint8(i), uint8(0), false, fixture(f, name))
		f.Add(uint8(i), uint8(1), true, fixture(f, name))
		f.Add(uint8(i), uint8(2|0x80), true, fixture(f, name))
	}
	f.Fuzz(func(t *testing.T, mode, at uint8, notReady bool, data []byte) {
		x := fuzzExtractor(mode, at, notReady)
		p, err := x.parseList(bytes.NewReader(data))
		if err != nil {
			return
		}
		for _, o := range p.objects {
			for _, s := range o.seeds {
				checkSeed(t, s)
			}
			if o.noPort < 0 || o.badAddr < 0 {
				t.Fatalf("negative skip counts: %+v", o)
			}
		}
	})
}

func FuzzParseEvent(f *testing.F) {
	f.Add(uint8(0), uint8(0), false, fixture(f, "watch-events.jsonl"))
	f.Add(uint8(2), uint8(1), true, []byte(`{"type":"ADDED","object":{"metadata":{"name":"p","namespace":"prod"},"spec":{"containers":[{"ports":[{"name":"gossip","containerPort":7946}]}]},"status":{"phase":"Running","podIP":"fd00::1","conditions":[{"type":"Ready","status":"True"}]}}}`))
	f.Add(uint8(1), uint8(2), false, []byte(`{"type":"MODIFIED","object":{"metadata":{"name":"meshd"},"subsets":[{"addresses":[{"ip":"10.0.0.1","hostname":"a"}],"ports":[{"name":"gossip","port":1}]}]}}`))
	f.Fuzz(func(t *testing.T, mode, at uint8, notReady bool, data []byte) {
		x := fuzzExtractor(mode, at, notReady)
		lr := &limitedReader{r: bytes.NewReader(data)}
		dec := json.NewDecoder(lr)
		// Each Decode consumes input or fails, so this ends; bound it
		// anyway.
		for range 1000 {
			lr.n = maxEventBytes
			ev, err := x.parseEvent(dec)
			if err != nil {
				return
			}
			for _, s := range ev.obj.seeds {
				checkSeed(t, s)
			}
		}
	})
}

func FuzzAPIError(f *testing.F) {
	f.Add(403, []byte(`{"kind":"Status","message":"pods is forbidden","reason":"Forbidden","code":403}`))
	f.Add(401, []byte(`{"kind":"Status","message":"Unauthorized","code":401}`))
	f.Add(500, []byte("<html>\n\xffbad gateway</html>"))
	f.Fuzz(func(t *testing.T, code int, body []byte) {
		e := newAPIError(code, body, "list", resourceFor(ModePods), "prod", "/token", len(body)%2 == 0)
		line := e.Error()
		if strings.ContainsAny(line, "\r\n") {
			t.Fatalf("error line spans lines: %q", line)
		}
		if len(line) > 2000 {
			t.Fatalf("error line is %d bytes", len(line))
		}
	})
}

func FuzzParseSpec(f *testing.F) {
	for _, s := range []string{
		"service=meshd,port=gossip",
		"selector=app=meshd,tier in (a,b),mode=pods,namespace=prod",
		`selector="a=b,mode=x",watch=false,poll_interval=5s`,
		"api_server=https://[::1]:6443,include_not_ready=1,timeout=1m,address_type=hostname,service=s",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		c, err := ParseSpec(s)
		if err != nil {
			return
		}
		_ = c.Validate() // must not panic
	})
}
