package config

import (
	"errors"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/meshd/meshd/cmd/meshd/internal/cli"
)

func env(m map[string]string) LookupEnv {
	return func(k string) (string, bool) { v, ok := m[k]; return v, ok }
}

func writeFile(t *testing.T, content string) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), "meshd.yaml")
	if err := os.WriteFile(p, []byte(content), 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

func TestDefaults(t *testing.T) {
	s, err := Load(nil, env(nil))
	if err != nil {
		t.Fatal(err)
	}
	host, _ := os.Hostname()
	if s.Name != host || s.Bind != "0.0.0.0:7946" || s.HTTP != DefaultHTTP || s.Profile != "lan" ||
		s.Cluster != "meshd" || s.LogFormat != "text" || s.LeaveTimeout != DefaultLeaveTimeout || s.MulticastTTL != 1 {
		t.Fatalf("defaults: %+v", s)
	}
	local, err := Load([]string{"--profile", "local"}, env(nil))
	if err != nil {
		t.Fatal(err)
	}
	if local.Bind != "127.0.0.1:7946" {
		t.Fatalf("--profile local binds %s, want 127.0.0.1:7946", local.Bind)
	}
	mc := local.MeshConfig()
	if mc.ProbeTimeout != Preset("local").ProbeTimeout || mc.Name != host {
		t.Fatalf("MeshConfig does not use the local preset: %+v", mc)
	}
}

// Precedence: flags > env > file > defaults, for scalars and lists alike.
func TestPrecedence(t *testing.T) {
	file := writeFile(t, `
name: from-file
cluster: file-cluster
profile: wan
join: [10.0.0.1:7946, 10.0.0.2:7946]
meta: {role: api}
log_level: debug
`)
	s, err := Load([]string{"--config", file}, env(nil))
	if err != nil {
		t.Fatal(err)
	}
	if s.Name != "from-file" || s.Cluster != "file-cluster" || s.Profile != "wan" ||
		!slices.Equal(s.Join, []string{"10.0.0.1:7946", "10.0.0.2:7946"}) || s.Meta["role"] != "api" || s.LogLevel.String() != "DEBUG" {
		t.Fatalf("file: %+v", s)
	}
	if o := s.Origin("cluster"); !strings.Contains(o, file) || !strings.Contains(o, "line 3") {
		t.Fatalf("origin of cluster = %q", o)
	}

	e := env(map[string]string{"MESHD_CONFIG": file, "MESHD_CLUSTER": "env-cluster", "MESHD_JOIN": "10.9.9.9:7946, 10.9.9.8", "MESHD_NAME": "from-env"})
	s, err = Load(nil, e)
	if err != nil {
		t.Fatal(err)
	}
	if s.Name != "from-env" || s.Cluster != "env-cluster" || s.Profile != "wan" || !slices.Equal(s.Join, []string{"10.9.9.9:7946", "10.9.9.8"}) {
		t.Fatalf("env over file: %+v", s)
	}

	s, err = Load([]string{"--name=from-flag", "--join", "127.0.0.5:1", "--join", "127.0.0.6:1", "--profile", "local"}, e)
	if err != nil {
		t.Fatal(err)
	}
	if s.Name != "from-flag" || s.Cluster != "env-cluster" || s.Profile != "local" || !slices.Equal(s.Join, []string{"127.0.0.5:1", "127.0.0.6:1"}) {
		t.Fatalf("flags over env: %+v", s)
	}
	if s.Origin("name") != "flag --name" || s.Origin("cluster") != "environment MESHD_CLUSTER" {
		t.Fatalf("origins: %q %q", s.Origin("name"), s.Origin("cluster"))
	}
}

func TestEmptyEnvIsUnset(t *testing.T) {
	s, err := Load(nil, env(map[string]string{"MESHD_NAME": "", "MESHD_JOIN": "", "MESHD_PROFILE": ""}))
	if err != nil {
		t.Fatal(err)
	}
	host, _ := os.Hostname()
	if s.Name != host || s.Join != nil || s.Profile != "lan" {
		t.Fatalf("empty variables changed settings: %+v", s)
	}
}

func TestStrategiesFromFileEnvAndFlags(t *testing.T) {
	file := writeFile(t, `
strategies:
  - kind: dns
    name: meshd.default.svc.cluster.local
    port: 7946
  - {kind: static, hosts: [10.0.0.1, "10.0.0.5:7946-7950"]}
strategy: hostsfile:/etc/meshd/hosts
`)
	s, err := Load([]string{"--config", file}, env(nil))
	if err != nil {
		t.Fatal(err)
	}
	var kinds []string
	for _, sp := range s.Strategies {
		kinds = append(kinds, sp.Kind)
	}
	if !slices.Equal(kinds, []string{"dns", "static", "hostsfile"}) {
		t.Fatalf("kinds %v", kinds)
	}
	dns := s.Strategies[0]
	if dns.Node == nil || dns.Value != "" || !strings.Contains(dns.Origin, "strategies[0]") {
		t.Fatalf("dns spec %+v", dns)
	}
	var body map[string]any
	if err := dns.Node.Decode(&body); err != nil {
		t.Fatal(err)
	}
	if _, hasKind := body["kind"]; hasKind || body["name"] != "meshd.default.svc.cluster.local" || body["port"] != 7946 {
		t.Fatalf("dns node without kind: %v", body)
	}
	if s.Strategies[2].Value != "/etc/meshd/hosts" {
		t.Fatalf("one-line strategy in file: %+v", s.Strategies[2])
	}

	// The environment's list replaces the file's, several separated by ';'.
	s, err = Load([]string{"--config", file}, env(map[string]string{"MESHD_STRATEGY": "kubernetes:selector=app=meshd,namespace=prod; static:10.0.0.1,10.0.0.2"}))
	if err != nil {
		t.Fatal(err)
	}
	if len(s.Strategies) != 2 || s.Strategies[0].Kind != "kubernetes" || s.Strategies[0].Value != "selector=app=meshd,namespace=prod" ||
		s.Strategies[1].Value != "10.0.0.1,10.0.0.2" || s.Strategies[1].Origin != "environment MESHD_STRATEGY, strategy 2" {
		t.Fatalf("env strategies %+v", s.Strategies)
	}
	s, err = Load([]string{"--strategy", "dnssrv:_gossip._udp.meshd"}, env(map[string]string{"MESHD_STRATEGY": "static:x"}))
	if err != nil || len(s.Strategies) != 1 || s.Strategies[0].Kind != "dnssrv" {
		t.Fatalf("flag strategies %+v %v", s.Strategies, err)
	}
}

// Every bad input names where it came from, the setting, and what was expected.
func TestErrorsNameSourceFieldAndExpectation(t *testing.T) {
	type tc struct {
		args []string
		env  map[string]string
		file string
		want []string
	}
	cases := map[string]tc{
		"bad profile in file": {file: "cluster: c\nprofile: lna\n", want: []string{"line 2", `"profile"`, "want lan, wan or local"}},
		"typo in file":        {file: "clustr: c\n", want: []string{"line 1", `"clustr"`, `did you mean "cluster"`}},
		"unknown far off":     {file: "zzzzzzzzzz: 1\n", want: []string{"unknown field", "known:"}},
		"list for scalar":     {file: "name: [a, b]\n", want: []string{`"name"`, "got a list"}},
		"not yaml":            {file: "name: [unclosed\n", want: []string{"not valid YAML", "line"}},
		"not a mapping":       {file: "- a\n- b\n", want: []string{"want a mapping of settings"}},
		"twice":               {file: "name: a\nname: b\n", want: []string{"line 2", "set twice (first on line 1)"}},
		"strategy no kind":    {file: "strategies:\n  - name: x\n", want: []string{"strategies[0]", "missing kind"}},
		"strategies scalar":   {file: "strategies: dns\n", want: []string{`"strategies"`, "want a list of mappings"}},
		"bad bind in env":     {env: map[string]string{"MESHD_BIND": "localhost"}, want: []string{"environment MESHD_BIND", `"localhost"`, "want IP:PORT"}},
		"bad bool in env":     {env: map[string]string{"MESHD_MULTICAST": "maybe"}, want: []string{"environment MESHD_MULTICAST", "want true or false"}},
		"multicast no iface":  {args: []string{"--multicast"}, want: []string{"flag --multicast", "multicast-if"}},
		"advertise 0.0.0.0":   {env: map[string]string{"MESHD_ADVERTISE": "0.0.0.0:7946"}, want: []string{"MESHD_ADVERTISE", "not an address others can reach"}},
		"token and file":      {args: []string{"--http-token", "a", "--http-token-file", "/x"}, want: []string{"not both"}},
		"missing config file": {args: []string{"--config", "/nonexistent/meshd.yaml"}, want: []string{"config file /nonexistent/meshd.yaml", "cannot read"}},
	}
	for name, c := range cases {
		t.Run(name, func(t *testing.T) {
			args := c.args
			if c.file != "" {
				args = append([]string{"--config", writeFile(t, c.file)}, args...)
			}
			_, err := Load(args, env(c.env))
			var ce *Error
			if !errors.As(err, &ce) {
				t.Fatalf("Load = %v, want a *config.Error", err)
			}
			for _, w := range c.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q does not contain %q", err, w)
				}
			}
			if strings.Contains(err.Error(), "\n") {
				t.Errorf("error is not one line: %q", err)
			}
		})
	}
}

func TestFlagErrorsAreUsageErrors(t *testing.T) {
	cases := map[string][]string{
		"unknown flag --bogus":                  {"--bogus"},
		`invalid value "lna" for --profile`:     {"--profile", "lna"},
		"flag --bind needs a value":             {"--bind"},
		`unexpected argument "10.0.0.1:7946"`:   {"10.0.0.1:7946"},
		`invalid value "5" for --leave-timeout`: {"--leave-timeout=5"},
		`invalid value "x" for --strategy`:      {"--strategy", "x"},
	}
	for want, args := range cases {
		_, err := Load(args, env(nil))
		var ue *cli.UsageError
		if !errors.As(err, &ue) || !strings.Contains(err.Error(), want) {
			t.Errorf("Load(%q) = %v, want a usage error containing %q", args, err, want)
		}
	}
	if _, err := Load([]string{"--help"}, env(nil)); !errors.Is(err, cli.ErrHelp) {
		t.Errorf("--help gave %v", err)
	}
}

func TestMulticastAndMeta(t *testing.T) {
	s, err := Load([]string{"--multicast", "--multicast-if", "lo", "--multicast-ttl", "0", "--meta", "role=api", "--meta", "zone=a=b"}, env(nil))
	if err != nil {
		t.Fatal(err)
	}
	mc := s.MeshConfig()
	if mc.Multicast == nil || !slices.Equal(mc.Multicast.Interfaces, []string{"lo"}) || mc.Multicast.TTL != 0 || mc.Multicast.Group != DefaultMulticastGroup {
		t.Fatalf("multicast config %+v", mc.Multicast)
	}
	if mc.Meta["role"] != "api" || mc.Meta["zone"] != "a=b" {
		t.Fatalf("meta %v", mc.Meta)
	}
	if s, _ := Load(nil, env(nil)); s.MeshConfig().Multicast != nil {
		t.Fatal("multicast on by default")
	}
}

func TestTokenFile(t *testing.T) {
	p := filepath.Join(t.TempDir(), "token")
	os.WriteFile(p, []byte("s3cret\n"), 0o600)
	s, err := Load([]string{"--http-token-file", p}, env(nil))
	if err != nil {
		t.Fatal(err)
	}
	if tok, err := s.Token(); err != nil || tok != "s3cret" {
		t.Fatalf("token %q %v", tok, err)
	}
	os.WriteFile(p, []byte("  \n"), 0o600)
	if _, err := Load([]string{"--http-token-file", p}, env(nil)); err == nil || !strings.Contains(err.Error(), "empty") {
		t.Fatalf("empty token file: %v", err)
	}
}

func TestEmptyFileAndDurations(t *testing.T) {
	for _, content := range []string{"", "# only a comment\n", "---\n"} {
		if _, err := Load([]string{"--config", writeFile(t, content)}, env(nil)); err != nil {
			t.Errorf("file %q: %v", content, err)
		}
	}
	s, err := Load([]string{"--config", writeFile(t, "leave-timeout: 3s\nmulticast: false\n")}, env(nil))
	if err != nil || s.LeaveTimeout != 3*time.Second {
		t.Fatalf("%v %v", s, err)
	}
}

func TestHelpListsEveryFieldWithEnv(t *testing.T) {
	var b strings.Builder
	WriteHelp(&b)
	for _, f := range fields {
		if !strings.Contains(b.String(), "--"+f.name) || !strings.Contains(b.String(), cli.EnvName(f.name)) {
			t.Errorf("help lacks --%s or its variable", f.name)
		}
	}
	if !strings.Contains(b.String(), "Examples:") {
		t.Error("help has no example")
	}
}

// Two agents on one host bind distinct addresses, and without --name get
// distinct names; the profile's default address keeps the bare hostname,
// and a name stays the same from one start to the next.
func TestDefaultNamesDifferByBind(t *testing.T) {
	host, _ := os.Hostname()
	name := func(args ...string) string {
		t.Helper()
		s, err := Load(args, env(nil))
		if err != nil {
			t.Fatal(err)
		}
		return s.Name
	}
	seen := map[string]string{}
	for _, args := range [][]string{nil, {"--bind", "0.0.0.0:7950"}, {"--bind", "127.0.0.3:7946"}, {"--bind", "[::1]:7946"},
		{"--profile", "local", "--bind", "127.0.0.1:7950"}} {
		n := name(args...)
		if n != name(args...) {
			t.Errorf("%v: the default name changes from one start to the next", args)
		}
		if prev, ok := seen[n]; ok {
			t.Errorf("%q and %q both default to %q", prev, strings.Join(args, " "), n)
		}
		seen[n] = strings.Join(args, " ")
	}
	if n := name(); n != host {
		t.Errorf("default bind: name %q, want the hostname %q", n, host)
	}
	if n := name("--profile", "local"); n != host {
		t.Errorf("--profile local: name %q, want the hostname %q", n, host)
	}
	if n := name("--bind", "0.0.0.0:7950"); n != host+"-7950" {
		t.Errorf("--bind 0.0.0.0:7950: name %q, want %q", n, host+"-7950")
	}
	if n := name("--bind", "[::1]:7946"); strings.ContainsAny(n, ":[]") {
		t.Errorf("--bind [::1]:7946: name %q carries address syntax", n)
	}
	if a, b := name("--bind", "127.0.0.1:0"), name("--bind", "127.0.0.1:0"); a == b {
		t.Errorf("two agents bound to port 0 both default to %q", a)
	}
}
