package kubernetes

import (
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"gopkg.in/yaml.v3"
)

func TestParseSpec(t *testing.T) {
	f := false
	for _, tc := range []struct {
		in   string
		want Config
	}{
		{"", Config{}},
		{"service=meshd,port=gossip", Config{Service: "meshd", Port: "gossip"}},
		{
			"selector=app=meshd,tier=web,namespace=prod,mode=pods,port=7946",
			Config{Selector: "app=meshd,tier=web", Namespace: "prod", Mode: "pods", Port: "7946"},
		},
		{
			"selector=app=meshd,tier in (a,b),environment!=dev, mode=endpointslices",
			Config{Selector: "app=meshd,tier in (a,b),environment!=dev", Mode: "endpointslices"},
		},
		{
			`selector="app=meshd,mode=x",service=meshd`,
			Config{Selector: "app=meshd,mode=x", Service: "meshd"},
		},
		{
			"service=meshd,address_type=hostname,cluster_domain=k8s.example,include_not_ready=true,watch=false,poll_interval=3s,timeout=1m",
			Config{Service: "meshd", AddressType: "hostname", ClusterDomain: "k8s.example", IncludeNotReady: true, Watch: &f, PollInterval: 3 * time.Second, Timeout: time.Minute},
		},
		{
			"api_server=https://[::1]:6443,token_file=/t,ca_file=/c,namespace_file=/n,service=s",
			Config{APIServer: "https://[::1]:6443", TokenFile: "/t", CAFile: "/c", NamespaceFile: "/n", Service: "s"},
		},
	} {
		got, err := ParseSpec(tc.in)
		if err != nil {
			t.Errorf("ParseSpec(%q): %v", tc.in, err)
			continue
		}
		if !sameConfig(got, tc.want) {
			t.Errorf("ParseSpec(%q) =\n%+v\nwant\n%+v", tc.in, got, tc.want)
		}
	}
}

func sameConfig(a, b Config) bool {
	aw, bw := a.Watch, b.Watch
	a.Watch, b.Watch = nil, nil
	if (aw == nil) != (bw == nil) || (aw != nil && *aw != *bw) {
		return false
	}
	return a == b
}

func TestParseSpecErrors(t *testing.T) {
	for in, want := range map[string]string{
		"servic=meshd":                `"servic=meshd" is not KEY=VALUE with a known key`,
		"meshd":                       `"meshd" is not KEY=VALUE`,
		"service=a,service=b":         `key "service" given twice`,
		"watch=maybe":                 `watch: "maybe" is not a boolean`,
		"include_not_ready=2":         `include_not_ready:`,
		"poll_interval=soon":          `poll_interval: time: invalid duration`,
		"timeout=-1s":                 `timeout: -1s is not positive`,
		`selector="app=x`:             `selector: unterminated quote`,
		`selector="app=x"y,service=a`: `selector: text after the closing quote`,
		strings.Repeat("x", 20<<10):   `limit`,
		"service=meshd,,port=gossip":  `is not KEY=VALUE`,
		"service = meshd":             `is not KEY=VALUE`,
	} {
		_, err := ParseSpec(in)
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("ParseSpec(%.40q) error = %v, want it to contain %q", in, err, want)
		}
	}
}

func TestValidate(t *testing.T) {
	for _, tc := range []struct {
		cfg  Config
		want string // "" means valid
	}{
		{Config{Service: "meshd"}, ""},
		{Config{Selector: "app=meshd"}, ""},
		{Config{Mode: ModePods, Selector: "app=meshd", Port: "gossip"}, ""},
		{Config{Mode: ModeEndpoints, Service: "meshd", AddressType: AddressHostname}, ""},
		{Config{}, "mode endpointslices needs service or selector"},
		{Config{Mode: ModeEndpoints, Selector: "a=b"}, "mode endpoints needs service"},
		{Config{Mode: ModePods, Service: "meshd"}, "mode pods needs selector"},
		{Config{Mode: "nodes", Service: "meshd"}, `mode "nodes"`},
		{Config{Service: "meshd", AddressType: "fqdn"}, `address_type "fqdn"`},
		{Config{Selector: "a=b", AddressType: AddressHostname}, "address_type hostname needs service"},
		{Config{Service: "meshd", Port: "0"}, "port 0 out of range"},
		{Config{Service: "meshd", Port: "65536"}, "port 65536 out of range"},
		{Config{Service: "meshd", Port: "Gossip"}, `port "Gossip" is neither`},
		{Config{Service: "meshd", Port: "a-very-long-port-name"}, "neither"},
		{Config{Service: "meshd", Namespace: "Prod"}, `namespace "Prod"`},
		{Config{Service: "my_svc"}, `service "my_svc"`},
		{Config{Service: "meshd", ClusterDomain: "bad..domain"}, "cluster_domain"},
		{Config{Service: "meshd", APIServer: "10.0.0.1:443"}, "api_server"},
		{Config{Service: "meshd", APIServer: "ftp://x"}, "api_server"},
		{Config{Service: "meshd", APIServer: "https://u:p@x"}, "user info"},
		{Config{Service: "meshd", PollInterval: -time.Second}, "poll_interval"},
		{Config{Service: "meshd", Timeout: -time.Second}, "timeout"},
		{Config{Service: "meshd", Selector: strings.Repeat("a", 5000)}, "selector is 5000 bytes"},
	} {
		err := tc.cfg.Validate()
		switch {
		case tc.want == "" && err != nil:
			t.Errorf("%+v: unexpected error %v", tc.cfg, err)
		case tc.want != "" && (err == nil || !strings.Contains(err.Error(), tc.want)):
			t.Errorf("%+v: error %v, want %q", tc.cfg, err, tc.want)
		}
	}
}

func TestNewInCluster(t *testing.T) {
	t.Setenv("KUBERNETES_SERVICE_HOST", "fd00::1")
	t.Setenv("KUBERNETES_SERVICE_PORT", "443")
	s, err := New(Config{Service: "meshd"})
	if err != nil {
		t.Fatal(err)
	}
	if got := s.client.base.String(); got != "https://[fd00::1]:443" {
		t.Fatalf("in-cluster server = %s", got)
	}
	if s.Name() != "kubernetes" {
		t.Fatalf("Name() = %q", s.Name())
	}
	if s.cfg.TokenFile != DefaultTokenFile || s.cfg.CAFile != DefaultCAFile || s.cfg.NamespaceFile != DefaultNamespaceFile {
		t.Fatalf("in-cluster files not defaulted: %+v", s.cfg)
	}

	t.Setenv("KUBERNETES_SERVICE_HOST", "")
	if _, err := New(Config{Service: "meshd"}); err == nil || !strings.Contains(err.Error(), "KUBERNETES_SERVICE_HOST") {
		t.Fatalf("New outside a pod without api_server: %v", err)
	}
	if _, err := New(Config{Service: "meshd", APIServer: "http://127.0.0.1:8001/"}); err != nil {
		t.Fatalf("New with api_server outside a pod: %v", err)
	}
}

func TestSelectors(t *testing.T) {
	for _, tc := range []struct {
		cfg          Config
		label, field string
	}{
		{Config{Service: "meshd"}, "kubernetes.io/service-name=meshd", ""},
		{Config{Service: "meshd", Selector: "app=x"}, "kubernetes.io/service-name=meshd,app=x", ""},
		{Config{Selector: "app=x"}, "app=x", ""},
		{Config{Mode: ModeEndpoints, Service: "meshd"}, "", "metadata.name=meshd"},
		{Config{Mode: ModePods, Selector: "app=x", Service: "meshd"}, "app=x", ""},
	} {
		s := &Strategy{cfg: tc.cfg.withDefaults()}
		if l, f := s.selectors(); l != tc.label || f != tc.field {
			t.Errorf("%+v: selectors %q %q, want %q %q", tc.cfg, l, f, tc.label, tc.field)
		}
	}
}

// TestConfigYAML: meshd's config file decodes strictly into Config through
// its yaml tags (mesh/strategy/all does this for `kind: kubernetes`).
func TestConfigYAML(t *testing.T) {
	const doc = `
service: meshd
selector: app=meshd
namespace: prod
mode: endpoints
port: gossip
address_type: hostname
cluster_domain: k8s.example
api_server: https://10.0.0.1:443
token_file: /t
ca_file: /c
namespace_file: /n
include_not_ready: true
watch: false
poll_interval: 30s
timeout: 5s
`
	dec := yaml.NewDecoder(strings.NewReader(doc))
	dec.KnownFields(true)
	var c Config
	if err := dec.Decode(&c); err != nil {
		t.Fatal(err)
	}
	f := false
	want := Config{Service: "meshd", Selector: "app=meshd", Namespace: "prod", Mode: ModeEndpoints, Port: "gossip",
		AddressType: AddressHostname, ClusterDomain: "k8s.example", APIServer: "https://10.0.0.1:443",
		TokenFile: "/t", CAFile: "/c", NamespaceFile: "/n", IncludeNotReady: true, Watch: &f,
		PollInterval: 30 * time.Second, Timeout: 5 * time.Second}
	if !sameConfig(c, want) {
		t.Fatalf("decoded\n%+v\nwant\n%+v", c, want)
	}
	if err := c.Validate(); err != nil {
		t.Fatal(err)
	}
	// Every spec key is a yaml tag and the other way round.
	var tags []string
	rt := reflect.TypeOf(Config{})
	for i := 0; i < rt.NumField(); i++ {
		if tag := rt.Field(i).Tag.Get("yaml"); tag != "-" {
			tags = append(tags, tag)
		}
	}
	if !slices.Equal(tags, specKeys) {
		t.Fatalf("yaml tags %q differ from ParseSpec keys %q", tags, specKeys)
	}
}
