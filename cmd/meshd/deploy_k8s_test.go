package main

// The Kubernetes deployment as the agent sees it: the StatefulSet's
// container, with the image's environment under the pod's, makes an agent
// that serves its API on loopback only (or with a token), and the probes the
// manifest declares pass against it. The API server's verdict on every
// object of deploy/kubernetes (a server-side dry run, strict field
// validation and the restricted Pod Security level) is
// TestDeployManifests in mesh/strategy/kubernetes, which runs the real
// kube-apiserver.

import (
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"

	"gopkg.in/yaml.v3"

	"github.com/meshd/meshd/cmd/meshd/internal/config"
)

// podContainer is the part of statefulset.yaml's container this test reads.
type podContainer struct {
	Name string   `yaml:"name"`
	Args []string `yaml:"args"`
	Env  []struct {
		Name      string `yaml:"name"`
		Value     string `yaml:"value"`
		ValueFrom any    `yaml:"valueFrom"`
	} `yaml:"env"`
	Readiness *probe `yaml:"readinessProbe"`
	Liveness  *probe `yaml:"livenessProbe"`
}

type probe struct {
	Exec *struct {
		Command []string `yaml:"command"`
	} `yaml:"exec"`
	HTTPGet any `yaml:"httpGet"`
}

func statefulSetContainer(t *testing.T) podContainer {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(repoRoot(t), "deploy/kubernetes/statefulset.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	var ss struct {
		Spec struct {
			Template struct {
				Spec struct {
					Containers []podContainer `yaml:"containers"`
				} `yaml:"spec"`
			} `yaml:"template"`
		} `yaml:"spec"`
	}
	if err := yaml.Unmarshal(b, &ss); err != nil {
		t.Fatal(err)
	}
	for _, c := range ss.Spec.Template.Spec.Containers {
		if c.Name == "meshd" {
			return c
		}
	}
	t.Fatal("statefulset.yaml has no container meshd")
	return podContainer{}
}

// imageEnv is the Dockerfile's ENV.
func imageEnv(t *testing.T) map[string]string {
	t.Helper()
	vars := map[string]string{}
	for _, in := range parseDockerfile(t, filepath.Join(repoRoot(t), "Dockerfile")) {
		if in.cmd == "ENV" {
			for _, kv := range strings.Fields(in.args) {
				k, v, _ := strings.Cut(kv, "=")
				vars[k] = v
			}
		}
	}
	return vars
}

// podEnv is the environment of the meshd container: the image's, then the
// pod's (which wins), with $(VAR) references expanded as the kubelet does
// and the downward API's values given.
func podEnv(t *testing.T, c podContainer, downward map[string]string) map[string]string {
	t.Helper()
	env := imageEnv(t)
	ref := regexp.MustCompile(`\$\(([A-Z_][A-Z0-9_]*)\)`)
	for _, e := range c.Env {
		if e.ValueFrom != nil {
			v, ok := downward[e.Name]
			if !ok {
				t.Fatalf("env %s comes from the downward API; the test gives no value for it", e.Name)
			}
			env[e.Name] = v
			continue
		}
		env[e.Name] = ref.ReplaceAllStringFunc(e.Value, func(m string) string {
			if v, ok := env[m[2:len(m)-1]]; ok {
				return v
			}
			return m
		})
	}
	return env
}

// TestKubernetesPodIsSafe: the pod's settings resolve (flags, environment,
// the image's environment) to an API that only loopback reaches, or that
// has a token; the probes are exec probes of a real meshd subcommand, and
// the Dockerfile's HEALTHCHECK is the same.
func TestKubernetesPodIsSafe(t *testing.T) {
	c := statefulSetContainer(t)
	env := podEnv(t, c, map[string]string{"POD_IP": "10.1.2.3", "POD_NAME": "meshd-0"})
	args := slices.Clone(c.Args)
	if len(args) == 0 || args[0] != "agent" {
		t.Fatalf("container args %q do not run the agent", args)
	}
	// The ConfigMap's file is checked by mesh/strategy/kubernetes; here
	// only the flags and the environment matter.
	if i := slices.Index(args, "--config"); i >= 0 {
		args = slices.Delete(args, i, i+2)
	}
	s, err := config.Load(args[1:], func(k string) (string, bool) { v, ok := env[k]; return v, ok })
	if err != nil {
		t.Fatalf("the pod's settings: %v", err)
	}
	tok, _ := s.Token()
	if tok == "" && !strings.HasPrefix(s.HTTP, "127.") && !strings.HasPrefix(s.HTTP, "[::1]") {
		t.Errorf("the pod serves the API on %s (%s) without a token", s.HTTP, s.Origin("http"))
	}
	if s.HTTPInsecureNoToken {
		t.Error("the pod runs with --http-insecure-no-token")
	}
	if s.Advertise != "10.1.2.3:7946" || s.Name != "meshd-0" {
		t.Errorf("advertise %q name %q, want the pod's IP and name", s.Advertise, s.Name)
	}
	for what, p := range map[string]*probe{"readinessProbe": c.Readiness, "livenessProbe": c.Liveness} {
		if p == nil || p.Exec == nil || p.HTTPGet != nil {
			t.Errorf("%s is not an exec probe (an httpGet probe cannot reach loopback or read a token)", what)
			continue
		}
		cmd := p.Exec.Command
		if len(cmd) < 2 || cmd[0] != "/meshd" || cmd[1] != "health" {
			t.Errorf("%s runs %q, want /meshd health", what, cmd)
		}
	}
	docker, _ := os.ReadFile(filepath.Join(repoRoot(t), "Dockerfile"))
	if !regexp.MustCompile(`(?m)^HEALTHCHECK .*CMD \["/meshd", "health"`).Match(docker) {
		t.Error("the Dockerfile has no HEALTHCHECK running /meshd health")
	}
}

// TestKubernetesProbesPass runs the agent with the pod's environment and
// arguments in a network namespace of its own (so the manifest's real
// addresses, 0.0.0.0:7946 and 127.0.0.1:7947, are used as they are), then
// the probes' commands as the kubelet would, in the same namespace.
func TestKubernetesProbesPass(t *testing.T) {
	if _, err := exec.LookPath("unshare"); err != nil {
		t.Skip("unshare is not installed")
	}
	c := statefulSetContainer(t)
	env := podEnv(t, c, map[string]string{"POD_IP": "127.0.0.1", "POD_NAME": "meshd-0"})
	env["MESHD_SNAPSHOT"] = filepath.Join(t.TempDir(), "snapshot") // the pod's is a volume
	args := slices.Clone(c.Args)
	if i := slices.Index(args, "--config"); i >= 0 {
		args = slices.Delete(args, i, i+2) // its kubernetes strategy needs a cluster
	}
	var script strings.Builder
	script.WriteString("set -u; ip link set lo up || exit 90\n")
	script.WriteString(shellQuote(meshdBin) + " " + shellJoin(args) + " 2>agent.log &\n")
	for _, p := range []*probe{c.Readiness, c.Liveness} {
		cmd := slices.Clone(p.Exec.Command)
		cmd[0] = meshdBin
		// As the kubelet: try until the agent is up, at most 50 times.
		script.WriteString("ok=1; for i in $(seq 50); do if " + shellJoin(cmd) + "; then ok=0; break; fi; sleep 0.1; done; echo probe=$ok\n")
	}
	script.WriteString("kill -TERM $!; wait $!; echo agent=$?\n")
	cmd := exec.Command("unshare", "-n", "sh", "-c", script.String())
	cmd.Dir = t.TempDir()
	for k, v := range env {
		cmd.Env = append(cmd.Env, k+"="+v)
	}
	cmd.Env = append(cmd.Env, "PATH="+os.Getenv("PATH"))
	out, err := cmd.CombinedOutput()
	if ee, ok := err.(*exec.ExitError); ok && ee.ExitCode() == 90 || strings.Contains(string(out), "Operation not permitted") {
		t.Skipf("no network namespace here: %s", out)
	}
	log, _ := os.ReadFile(filepath.Join(cmd.Dir, "agent.log"))
	if err != nil || string(out) != "probe=0\nprobe=0\nagent=0\n" {
		t.Fatalf("probes against the pod's agent: %v\n%s\nagent log:\n%s", err, out, log)
	}
	if !strings.Contains(string(log), `"http":"127.0.0.1:7947"`) {
		t.Errorf("the agent did not serve on 127.0.0.1:7947:\n%s", log)
	}
}

func shellQuote(s string) string { return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'" }

func shellJoin(args []string) string {
	q := make([]string, len(args))
	for i, a := range args {
		q[i] = shellQuote(a)
	}
	return strings.Join(q, " ")
}
