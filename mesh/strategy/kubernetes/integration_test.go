//go:build linux

package kubernetes

// Tests against a real kube-apiserver (see apiserver_test.go). The addresses
// in the EndpointSlices, Endpoints and Pods created here are data only:
// nothing dials them.

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"gopkg.in/yaml.v3"
)

func init() { afterTests = append(afterTests, stopSharedAPIServer) }

const deployDir = "../../../deploy/kubernetes"

// manifests decodes every YAML document of a file.
func manifests(t *testing.T, file string) []obj {
	t.Helper()
	b, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	dec := yaml.NewDecoder(bytes.NewReader(b))
	var out []obj
	for {
		var o obj
		err := dec.Decode(&o)
		if errors.Is(err, io.EOF) {
			return out
		}
		if err != nil {
			t.Fatalf("%s: %v", file, err)
		}
		if o != nil {
			out = append(out, o)
		}
	}
}

// inNamespace moves a deploy/ object into namespace ns: its metadata and the
// ServiceAccount subjects of a RoleBinding.
func inNamespace(o obj, ns string) obj {
	if md, ok := o["metadata"].(obj); ok && o["kind"] != "Namespace" {
		md["namespace"] = ns
	}
	if subs, ok := o["subjects"].([]any); ok {
		for _, s := range subs {
			if s, ok := s.(obj); ok && s["kind"] == "ServiceAccount" {
				s["namespace"] = ns
			}
		}
	}
	return o
}

func (e *apiEnv) create(t *testing.T, ns string, o obj, query string) {
	t.Helper()
	path, err := apiPath(o["apiVersion"].(string), o["kind"].(string), ns)
	if err != nil {
		t.Fatal(err)
	}
	e.must(t, http.MethodPost, path+query, o)
}

// grant applies deploy/kubernetes files (the ServiceAccount and a Role with
// its binding) to ns for real, and returns a file holding a bound token of
// the "meshd" ServiceAccount: the strategy then has exactly the permissions
// deploy/ grants.
func (e *apiEnv) grant(t *testing.T, ns string, files ...string) string {
	t.Helper()
	for _, f := range append([]string{"serviceaccount.yaml"}, files...) {
		for _, o := range manifests(t, filepath.Join(deployDir, f)) {
			e.create(t, ns, inNamespace(o, ns), "")
		}
	}
	tok := filepath.Join(t.TempDir(), "token")
	writeToken(t, tok, e.token(t, ns, "meshd"))
	return tok
}

// writeToken replaces the token file the way the kubelet does: a new file
// renamed over the old one, so a reader never sees half a token.
func writeToken(t *testing.T, path, token string) {
	t.Helper()
	tmp := path + ".tmp"
	if err := os.WriteFile(tmp, []byte(token+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.Rename(tmp, path); err != nil {
		t.Fatal(err)
	}
}

func (e *apiEnv) strategy(t *testing.T, cfg Config, tokenFile string) (*Strategy, *logs) {
	t.Helper()
	l := &logs{}
	cfg.APIServer, cfg.CAFile, cfg.TokenFile = e.URL, e.CAFile, tokenFile
	cfg.NamespaceFile = filepath.Join(t.TempDir(), "no-namespace-file")
	cfg.Logger = slog.New(l)
	s, err := New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if t.Failed() || testing.Verbose() {
			t.Logf("strategy log:\n%s\nstats: %+v", l, s.Stats())
		}
	})
	return s, l
}

func watchModes(t *testing.T, f func(t *testing.T, watch bool)) {
	for _, watch := range []bool{true, false} {
		name := "poll"
		if watch {
			name = "watch"
		}
		t.Run(name, func(t *testing.T) { f(t, watch) })
	}
}

func modeConfig(watch bool) Config {
	return Config{Watch: &watch, PollInterval: 200 * time.Millisecond, Timeout: 20 * time.Second}
}

func sliceObj(name, service, addressType string, ports []obj, eps ...obj) obj {
	return obj{
		"apiVersion": "discovery.k8s.io/v1", "kind": "EndpointSlice",
		"metadata": obj{"name": name, "labels": obj{
			"kubernetes.io/service-name":             service,
			"endpointslice.kubernetes.io/managed-by": "meshd-test",
		}},
		"addressType": addressType, "ports": ports, "endpoints": eps,
	}
}

func sliceEP(addr, hostname string, ready bool) obj {
	ep := obj{"addresses": []string{addr}, "conditions": obj{"ready": ready}}
	if hostname != "" {
		ep["hostname"] = hostname
	}
	return ep
}

var gossipPorts = []obj{{"name": "gossip", "port": 7946, "protocol": "UDP"}, {"name": "http", "port": 7947, "protocol": "TCP"}}

func TestKubernetesEndpointSlices(t *testing.T) {
	e := needAPIServer(t)
	watchModes(t, func(t *testing.T, watch bool) {
		ns := fmt.Sprintf("eps-%v", watch)
		e.createNamespace(t, ns)
		tok := e.grant(t, ns, "rbac.yaml")
		slicePath := "/apis/discovery.k8s.io/v1/namespaces/" + ns + "/endpointslices"
		e.create(t, ns, sliceObj("meshd-v4", "meshd", "IPv4", gossipPorts,
			sliceEP("10.1.0.1", "meshd-0", true), sliceEP("10.1.0.2", "meshd-1", true), sliceEP("10.1.0.3", "meshd-2", false)), "")
		e.create(t, ns, sliceObj("meshd-v6", "meshd", "IPv6", gossipPorts, sliceEP("fd00::1", "meshd-0", true)), "")
		e.create(t, ns, sliceObj("other", "other", "IPv4", gossipPorts, sliceEP("10.9.9.9", "", true)), "")

		cfg := modeConfig(watch)
		cfg.Namespace, cfg.Service, cfg.Port = ns, "meshd", "gossip"
		s, _ := e.strategy(t, cfg, tok)
		r := run(t, s)
		r.waitSeeds(t, "10.1.0.1:7946", "10.1.0.2:7946", "[fd00::1]:7946")

		// meshd-1 becomes not ready: it drops out of the seeds.
		e.must(t, http.MethodPatch, slicePath+"/meshd-v4", obj{"endpoints": []obj{
			sliceEP("10.1.0.1", "meshd-0", true), sliceEP("10.1.0.2", "meshd-1", false), sliceEP("10.1.0.3", "meshd-2", false)}})
		r.waitSeeds(t, "10.1.0.1:7946", "[fd00::1]:7946")

		// A new slice appears, and the IPv6 one goes away.
		e.create(t, ns, sliceObj("meshd-more", "meshd", "IPv4", gossipPorts, sliceEP("10.1.0.4", "meshd-3", true)), "")
		e.must(t, http.MethodDelete, slicePath+"/meshd-v6", nil)
		r.waitSeeds(t, "10.1.0.1:7946", "10.1.0.4:7946")

		for _, call := range r.snapshot() {
			for _, a := range call {
				if strings.HasPrefix(a, "10.9.9.9") || strings.HasPrefix(a, "10.1.0.3") {
					t.Fatalf("found got %s (another service's or a never-ready endpoint): %q", a, call)
				}
			}
		}
		if st := s.Stats(); st.Seeds != 2 || st.Polls == 0 || st.LastSuccess.IsZero() {
			t.Fatalf("Stats = %+v", st)
		}
		if watch && s.watchOff.Load() {
			t.Fatal("the real API server serves watches, yet the strategy fell back to polling")
		}
	})
}

func TestKubernetesEndpoints(t *testing.T) {
	e := needAPIServer(t)
	watchModes(t, func(t *testing.T, watch bool) {
		ns := fmt.Sprintf("ep-%v", watch)
		e.createNamespace(t, ns)
		tok := e.grant(t, ns, "optional/rbac-endpoints.yaml")
		subsets := func(ready, notReady []string) []obj {
			var r, n []obj
			for _, ip := range ready {
				r = append(r, obj{"ip": ip})
			}
			for _, ip := range notReady {
				n = append(n, obj{"ip": ip})
			}
			return []obj{{"addresses": r, "notReadyAddresses": n, "ports": gossipPorts}}
		}
		e.create(t, ns, obj{"apiVersion": "v1", "kind": "Endpoints", "metadata": obj{"name": "meshd"},
			"subsets": subsets([]string{"10.2.0.1", "10.2.0.2", "fd00::2"}, []string{"10.2.0.3"})}, "")
		e.create(t, ns, obj{"apiVersion": "v1", "kind": "Endpoints", "metadata": obj{"name": "other"},
			"subsets": subsets([]string{"10.9.9.9"}, nil)}, "")

		cfg := modeConfig(watch)
		cfg.Namespace, cfg.Service, cfg.Port, cfg.Mode = ns, "meshd", "gossip", ModeEndpoints
		s, _ := e.strategy(t, cfg, tok)
		r := run(t, s)
		r.waitSeeds(t, "10.2.0.1:7946", "10.2.0.2:7946", "[fd00::2]:7946")

		e.must(t, http.MethodPatch, "/api/v1/namespaces/"+ns+"/endpoints/meshd",
			obj{"subsets": subsets([]string{"10.2.0.1", "fd00::2"}, []string{"10.2.0.2", "10.2.0.3"})})
		r.waitSeeds(t, "10.2.0.1:7946", "[fd00::2]:7946")
	})
}

func TestKubernetesPods(t *testing.T) {
	e := needAPIServer(t)
	watchModes(t, func(t *testing.T, watch bool) {
		ns := fmt.Sprintf("pods-%v", watch)
		e.createNamespace(t, ns)
		tok := e.grant(t, ns, "optional/rbac-pods.yaml")
		podPath := "/api/v1/namespaces/" + ns + "/pods"
		setStatus := func(name, ip string, ready bool) {
			cond := "False"
			if ready {
				cond = "True"
			}
			e.must(t, http.MethodPatch, podPath+"/"+name+"/status", obj{"status": obj{
				"phase": "Running", "podIP": ip, "podIPs": []obj{{"ip": ip}},
				"conditions": []obj{{"type": "Ready", "status": cond}},
			}})
		}
		for i, app := range []string{"meshd", "meshd", "meshd", "other"} {
			name := fmt.Sprintf("%s-%d", app, i)
			e.create(t, ns, obj{"apiVersion": "v1", "kind": "Pod",
				"metadata": obj{"name": name, "labels": obj{"app": app}},
				"spec": obj{"containers": []obj{{"name": "meshd", "image": "meshd:test",
					"ports": []obj{{"name": "gossip", "containerPort": 7946, "protocol": "UDP"}}}}},
			}, "")
		}
		setStatus("meshd-0", "10.3.0.1", true)
		setStatus("meshd-1", "fd00::3", true)
		setStatus("meshd-2", "10.3.0.3", false)
		setStatus("other-3", "10.9.9.9", true)

		cfg := modeConfig(watch)
		cfg.Namespace, cfg.Selector, cfg.Port, cfg.Mode = ns, "app=meshd", "gossip", ModePods
		s, _ := e.strategy(t, cfg, tok)
		r := run(t, s)
		r.waitSeeds(t, "10.3.0.1:7946", "[fd00::3]:7946")

		setStatus("meshd-0", "10.3.0.1", false) // becomes not ready
		setStatus("meshd-2", "10.3.0.3", true)  // becomes ready
		r.waitSeeds(t, "10.3.0.3:7946", "[fd00::3]:7946")
	})
}

// TestKubernetesForbiddenAndTokenRotation: a 403 keeps the last list and logs
// one line naming the missing permission; a rewritten token file is used on
// the next request.
func TestKubernetesForbiddenAndTokenRotation(t *testing.T) {
	e := needAPIServer(t)
	ns := "forbidden"
	e.createNamespace(t, ns)
	tok := e.grant(t, ns, "rbac.yaml")
	slicePath := "/apis/discovery.k8s.io/v1/namespaces/" + ns + "/endpointslices"
	e.create(t, ns, sliceObj("meshd", "meshd", "IPv4", gossipPorts, sliceEP("10.4.0.1", "", true)), "")

	cfg := modeConfig(false)
	cfg.Namespace, cfg.Service, cfg.Port = ns, "meshd", "gossip"
	s, logs := e.strategy(t, cfg, tok)
	r := run(t, s)
	r.waitSeeds(t, "10.4.0.1:7946")
	calls := len(r.snapshot())

	// Take the permission away: every list now gets 403.
	e.must(t, http.MethodDelete, "/apis/rbac.authorization.k8s.io/v1/namespaces/"+ns+"/rolebindings/meshd", nil)
	waitFor(t, "a 403", func() bool { return strings.Contains(s.Stats().LastError, "403 Forbidden") })
	errs := s.Stats().Errors
	waitFor(t, "three more failed polls", func() bool { return s.Stats().Errors >= errs+3 })
	if got := r.snapshot(); len(got) != calls || !slices.Equal(r.last(), []string{"10.4.0.1:7946"}) {
		t.Fatalf("a 403 changed the seeds: %q", got[calls-1:])
	}
	if st := s.Stats(); st.Seeds != 1 {
		t.Fatalf("Stats after 403 = %+v, want Seeds 1", st)
	}
	lines := logs.matching("403 Forbidden", `verb "list" on resource "endpointslices" in apiGroup "discovery.k8s.io"`, `namespace "forbidden"`)
	if len(lines) != 1 {
		t.Fatalf("%d log lines name the missing permission, want exactly 1:\n%s", len(lines), logs)
	}

	// A garbage token: 401, still the same seeds.
	writeToken(t, tok, "not-a-token")
	waitFor(t, "a 401", func() bool { return strings.Contains(s.Stats().LastError, "401 Unauthorized") })
	if !slices.Equal(r.last(), []string{"10.4.0.1:7946"}) {
		t.Fatalf("a 401 changed the seeds: %q", r.last())
	}

	// Rotate to the token of another ServiceAccount that holds the deploy/
	// Role: the next list uses it and sees the new endpoint.
	e.create(t, ns, obj{"apiVersion": "v1", "kind": "ServiceAccount", "metadata": obj{"name": "meshd-rotated"}}, "")
	e.create(t, ns, obj{"apiVersion": "rbac.authorization.k8s.io/v1", "kind": "RoleBinding",
		"metadata": obj{"name": "meshd-rotated"},
		"roleRef":  obj{"apiGroup": "rbac.authorization.k8s.io", "kind": "Role", "name": "meshd"},
		"subjects": []obj{{"kind": "ServiceAccount", "name": "meshd-rotated", "namespace": ns}},
	}, "")
	e.must(t, http.MethodPatch, slicePath+"/meshd", obj{"endpoints": []obj{sliceEP("10.4.0.1", "", true), sliceEP("10.4.0.2", "", true)}})
	writeToken(t, tok, e.token(t, ns, "meshd-rotated"))
	r.waitSeeds(t, "10.4.0.1:7946", "10.4.0.2:7946")
	waitFor(t, "the recovery log line", func() bool { return len(logs.matching("discovery recovered")) == 1 })
	if st := s.Stats(); st.LastError != "" || st.Seeds != 2 {
		t.Fatalf("Stats after recovery = %+v", st)
	}
}

// TestKubernetesWatchStartsForbidden: in watch mode a strategy whose first
// lists are refused recovers by itself once the permission is granted, and
// then follows changes through its watch.
func TestKubernetesWatchStartsForbidden(t *testing.T) {
	e := needAPIServer(t)
	ns := "watch-forbidden"
	e.createNamespace(t, ns)
	e.create(t, ns, inNamespace(manifests(t, filepath.Join(deployDir, "serviceaccount.yaml"))[0], ns), "")
	tok := filepath.Join(t.TempDir(), "token")
	writeToken(t, tok, e.token(t, ns, "meshd"))
	e.create(t, ns, sliceObj("meshd", "meshd", "IPv4", gossipPorts, sliceEP("10.5.0.1", "", true)), "")

	cfg := modeConfig(true)
	cfg.Namespace, cfg.Service, cfg.Port = ns, "meshd", "gossip"
	s, logs := e.strategy(t, cfg, tok)
	r := run(t, s)
	waitFor(t, "a 403", func() bool { return strings.Contains(s.Stats().LastError, "403 Forbidden") })
	if len(r.snapshot()) != 0 {
		t.Fatalf("found called while forbidden: %q", r.snapshot())
	}
	if len(logs.matching(`verb "list" on resource "endpointslices"`)) != 1 {
		t.Fatalf("want one line naming the permission:\n%s", logs)
	}
	for _, o := range manifests(t, filepath.Join(deployDir, "rbac.yaml")) {
		e.create(t, ns, inNamespace(o, ns), "")
	}
	r.waitSeeds(t, "10.5.0.1:7946")
	e.must(t, http.MethodPatch, "/apis/discovery.k8s.io/v1/namespaces/"+ns+"/endpointslices/meshd",
		obj{"endpoints": []obj{sliceEP("10.5.0.1", "", true), sliceEP("10.5.0.2", "", true)}})
	r.waitSeeds(t, "10.5.0.1:7946", "10.5.0.2:7946")
}

// TestDeployManifests validates every file of deploy/kubernetes with a
// server-side dry run (strict field validation), checks that the Role grants
// exactly list and watch on what each mode reads, that the pod template
// passes the "restricted" Pod Security level, and that the ConfigMap's
// strategy config is one this package accepts.
func TestDeployManifests(t *testing.T) {
	e := needAPIServer(t)
	ns := "dryrun"
	e.createNamespace(t, ns)
	e.must(t, http.MethodPatch, "/api/v1/namespaces/"+ns, obj{"metadata": obj{"labels": obj{
		"pod-security.kubernetes.io/enforce": "restricted"}}})

	files, _ := filepath.Glob(filepath.Join(deployDir, "*.yaml"))
	more, _ := filepath.Glob(filepath.Join(deployDir, "optional", "*.yaml"))
	files = append(files, more...)
	if len(files) < 8 {
		t.Fatalf("only %d files in %s", len(files), deployDir)
	}
	kinds := map[string]obj{}
	var kustomized []any
	for _, f := range files {
		rel, _ := filepath.Rel(deployDir, f)
		for _, o := range manifests(t, f) {
			kind, _ := o["kind"].(string)
			if kind == "Kustomization" {
				kustomized = o["resources"].([]any)
				continue
			}
			if md, _ := o["metadata"].(obj); kind != "Namespace" && md["namespace"] != "meshd" {
				t.Errorf("%s: %s is not in namespace meshd", rel, kind)
			}
			path, err := apiPath(o["apiVersion"].(string), kind, ns)
			if err != nil {
				t.Fatalf("%s: %v", rel, err)
			}
			code, body, err := e.do(http.MethodPost, path+"?dryRun=All&fieldValidation=Strict", inNamespace(o, ns), "")
			if err != nil || code != http.StatusCreated && code != http.StatusOK {
				t.Errorf("%s: dry run of %s: %d %v: %s", rel, kind, code, err, body)
			}
			kinds[rel+":"+kind] = o
		}
	}
	for _, want := range []string{"service.yaml:Service", "statefulset.yaml:StatefulSet", "serviceaccount.yaml:ServiceAccount",
		"rbac.yaml:Role", "rbac.yaml:RoleBinding", "configmap.yaml:ConfigMap", "namespace.yaml:Namespace"} {
		if kinds[want] == nil {
			t.Errorf("deploy/kubernetes lacks %s", want)
		}
	}
	// Every top-level file but kustomization.yaml is in the kustomization.
	for _, f := range files {
		name := filepath.Base(f)
		if filepath.Dir(f) == filepath.Clean(deployDir) && name != "kustomization.yaml" && !slices.Contains(kustomized, any(name)) {
			t.Errorf("kustomization.yaml does not list %s", name)
		}
	}

	// Exactly list and watch, on exactly the resource each mode reads.
	for file, mode := range map[string]string{"rbac.yaml": ModeEndpointSlices, "optional/rbac-endpoints.yaml": ModeEndpoints, "optional/rbac-pods.yaml": ModePods} {
		res := resourceFor(mode)
		rules, _ := kinds[file+":Role"]["rules"].([]any)
		want := fmt.Sprintf("[map[apiGroups:[%s] resources:[%s] verbs:[list watch]]]", res.group, res.name)
		if got := fmt.Sprint(rules); got != want {
			t.Errorf("%s grants %s, want %s", file, got, want)
		}
	}

	// The headless Service names the port the ConfigMap's strategy asks for.
	svc := kinds["service.yaml:Service"]["spec"].(obj)
	if svc["clusterIP"] != "None" {
		t.Errorf("service.yaml: clusterIP %v, want None", svc["clusterIP"])
	}
	var cfgs []Config
	cm := kinds["configmap.yaml:ConfigMap"]["data"].(obj)
	var file struct {
		Strategies []yaml.Node `yaml:"strategies"`
	}
	if err := yaml.Unmarshal([]byte(cm["meshd.yaml"].(string)), &file); err != nil {
		t.Fatalf("configmap meshd.yaml: %v", err)
	}
	for _, n := range file.Strategies {
		var kind struct {
			Kind string `yaml:"kind"`
		}
		if n.Decode(&kind) != nil || kind.Kind != "kubernetes" {
			continue
		}
		// Decode strictly, as meshd's config parser does, without "kind".
		for i := 0; i+1 < len(n.Content); i += 2 {
			if n.Content[i].Value == "kind" {
				n.Content = append(n.Content[:i], n.Content[i+2:]...)
				break
			}
		}
		var b bytes.Buffer
		enc := yaml.NewEncoder(&b)
		if err := enc.Encode(&n); err != nil {
			t.Fatal(err)
		}
		dec := yaml.NewDecoder(&b)
		dec.KnownFields(true)
		var c Config
		if err := dec.Decode(&c); err != nil {
			t.Fatalf("configmap's kubernetes strategy: %v", err)
		}
		c.APIServer = e.URL // New needs a server outside a pod
		if _, err := New(c); err != nil {
			t.Fatalf("configmap's kubernetes strategy: %v", err)
		}
		cfgs = append(cfgs, c)
	}
	if len(cfgs) != 1 {
		t.Fatalf("configmap.yaml has %d kubernetes strategies, want 1", len(cfgs))
	}
	found := false
	for _, p := range svc["ports"].([]any) {
		if p.(obj)["name"] == cfgs[0].Port {
			found = true
		}
	}
	if !found {
		t.Errorf("service.yaml has no port named %q, which configmap.yaml's strategy looks up", cfgs[0].Port)
	}

	// The pod template passes the "restricted" Pod Security level: a Pod
	// made from it is admitted (dry run) in a namespace that enforces it.
	// Pod admission wants its ServiceAccount to exist for real.
	e.create(t, ns, inNamespace(kinds["serviceaccount.yaml:ServiceAccount"], ns), "")
	tmpl := kinds["statefulset.yaml:StatefulSet"]["spec"].(obj)["template"].(obj)
	pod := obj{"apiVersion": "v1", "kind": "Pod", "metadata": obj{"name": "meshd-0", "labels": tmpl["metadata"].(obj)["labels"]}, "spec": tmpl["spec"]}
	code, body, err := e.do(http.MethodPost, "/api/v1/namespaces/"+ns+"/pods?dryRun=All&fieldValidation=Strict", pod, "")
	if err != nil || code != http.StatusCreated {
		t.Errorf("a pod from statefulset.yaml's template is refused: %d %v: %s", code, err, body)
	}
}
