package main

// Checks of the deployment files: deploy/systemd/ by systemd-analyze
// (verify, and the offline security score) where it is installed, and by a
// structural check everywhere; the Dockerfile by a parse of its
// instructions; the binary the Dockerfile builds by its ELF headers.

import (
	"bufio"
	"debug/elf"
	"encoding/json"
	"log/slog"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/meshd/meshd/cmd/meshd/internal/agent"
	"github.com/meshd/meshd/cmd/meshd/internal/config"
)

func repoRoot(t *testing.T) string {
	t.Helper()
	root, err := filepath.Abs("../..")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(filepath.Join(root, "go.mod")); err != nil {
		t.Fatalf("repository root not at %s: %v", root, err)
	}
	return root
}

// unitFile is a parsed systemd unit: section -> key -> values in order.
type unitFile map[string]map[string][]string

func parseUnit(t *testing.T, path string) unitFile {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	u := unitFile{}
	section := ""
	sc := bufio.NewScanner(f)
	for n := 1; sc.Scan(); n++ {
		line := strings.TrimSpace(sc.Text())
		if line == "" || line[0] == '#' || line[0] == ';' {
			continue
		}
		if strings.HasPrefix(line, "[") && strings.HasSuffix(line, "]") {
			section = line[1 : len(line)-1]
			u[section] = map[string][]string{}
			continue
		}
		k, v, ok := strings.Cut(line, "=")
		if !ok || section == "" || strings.HasSuffix(line, "\\") {
			t.Fatalf("%s:%d: not a key=value line in a section: %q", path, n, line)
		}
		u[section][k] = append(u[section][k], v)
	}
	return u
}

func TestSystemdUnitStructure(t *testing.T) {
	root := repoRoot(t)
	unit := parseUnit(t, filepath.Join(root, "deploy/systemd/meshd.service"))
	for _, s := range []string{"Unit", "Service", "Install"} {
		if unit[s] == nil {
			t.Fatalf("section [%s] missing", s)
		}
	}
	svc := unit["Service"]
	want := map[string]string{
		"Type": "notify", "KillSignal": "SIGTERM", "User": "meshd", "StateDirectory": "meshd",
		"NoNewPrivileges": "yes", "ProtectSystem": "strict", "ProtectHome": "yes", "PrivateTmp": "yes",
		"PrivateDevices": "yes", "ProtectKernelTunables": "yes", "ProtectKernelModules": "yes",
		"ProtectControlGroups": "yes", "RestrictNamespaces": "yes", "RestrictSUIDSGID": "yes",
		"LockPersonality": "yes", "MemoryDenyWriteExecute": "yes", "SystemCallArchitectures": "native",
		"CapabilityBoundingSet": "", "RestartPreventExitStatus": "2",
	}
	for k, v := range want {
		if got := svc[k]; len(got) == 0 || got[len(got)-1] != v {
			t.Errorf("[Service] %s = %q, want %q", k, got, v)
		}
	}
	if !slices.Contains(svc["ExecReload"], "/bin/kill -HUP $MAINPID") {
		t.Errorf("ExecReload does not send SIGHUP: %q", svc["ExecReload"])
	}
	// The command line must be one the agent accepts.
	exec := strings.Fields(svc["ExecStart"][0])
	if exec[0] != "/usr/local/bin/meshd" || exec[1] != "agent" {
		t.Fatalf("ExecStart %q", exec)
	}
	configPath := ""
	args := slices.Clone(exec[2:])
	for i := range args {
		if args[i] == "--config" {
			configPath = args[i+1]
			// Check the shipped example in its place.
			args[i+1] = filepath.Join(root, "deploy/systemd/config.yaml")
		}
	}
	if configPath != "/etc/meshd/config.yaml" {
		t.Errorf("ExecStart reads config %q", configPath)
	}
	s, err := config.Load(args, func(string) (string, bool) { return "", false })
	if err != nil {
		t.Fatalf("the unit's command line with the example config: %v", err)
	}
	if _, err := agent.BuildStrategies(s, slog.New(slog.DiscardHandler)); err != nil {
		t.Fatalf("the example config's strategies: %v", err)
	}
	if timeout, _ := strconv.Atoi(strings.TrimSuffix(svc["TimeoutStopSec"][0], "s")); float64(timeout) <= s.LeaveTimeout.Seconds() {
		t.Errorf("TimeoutStopSec %d does not leave room for the leave timeout %v", timeout, s.LeaveTimeout)
	}

	sysusers, err := os.ReadFile(filepath.Join(root, "deploy/systemd/meshd.sysusers.conf"))
	if err != nil {
		t.Fatal(err)
	}
	if !regexp.MustCompile(`(?m)^u meshd - "[^"]+" /var/lib/meshd$`).Match(sysusers) {
		t.Errorf("meshd.sysusers.conf does not create the meshd user:\n%s", sysusers)
	}
}

// systemd-analyze verify must pass without a single warning, and the
// offline security score must stay in the "OK" band (below 2.0).
func TestSystemdAnalyze(t *testing.T) {
	sa, err := exec.LookPath("systemd-analyze")
	if err != nil {
		t.Skip("systemd-analyze is not installed; TestSystemdUnitStructure checks the unit")
	}
	root := repoRoot(t)
	unit, err := os.ReadFile(filepath.Join(root, "deploy/systemd/meshd.service"))
	if err != nil {
		t.Fatal(err)
	}
	// verify checks that ExecStart exists: point it at the test binary.
	dir := t.TempDir()
	tmp := filepath.Join(dir, "meshd.service")
	os.WriteFile(tmp, []byte(strings.ReplaceAll(string(unit), "/usr/local/bin/meshd", meshdBin)), 0o644)
	out, err := exec.Command(sa, "verify", "--man=no", tmp).CombinedOutput()
	if err != nil || len(strings.TrimSpace(string(out))) > 0 {
		t.Fatalf("systemd-analyze verify: %v\n%s", err, out)
	}
	out, err = exec.Command(sa, "security", "--offline=yes", "--no-pager", tmp).CombinedOutput()
	if err != nil {
		t.Fatalf("systemd-analyze security: %v\n%s", err, out)
	}
	m := regexp.MustCompile(`Overall exposure level for meshd.service: ([0-9.]+)`).FindSubmatch(out)
	if m == nil {
		t.Fatalf("no exposure level in:\n%s", out)
	}
	score, _ := strconv.ParseFloat(string(m[1]), 64)
	t.Logf("systemd-analyze security exposure: %.1f", score)
	if score >= 2.0 {
		t.Errorf("exposure %.1f, want below 2.0 (OK)", score)
	}
}

// instruction is one Dockerfile instruction after joining continuations.
type instruction struct {
	line int
	cmd  string
	args string
}

func parseDockerfile(t *testing.T, path string) []instruction {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	known := []string{"FROM", "RUN", "CMD", "LABEL", "EXPOSE", "ENV", "ADD", "COPY", "ENTRYPOINT", "VOLUME", "USER", "WORKDIR", "ARG", "ONBUILD", "STOPSIGNAL", "HEALTHCHECK", "SHELL"}
	var out []instruction
	var cur strings.Builder
	start := 0
	for n, raw := range strings.Split(string(data), "\n") {
		line := strings.TrimSpace(raw)
		if cur.Len() == 0 && (line == "" || strings.HasPrefix(line, "#")) {
			continue
		}
		if cur.Len() > 0 && strings.HasPrefix(line, "#") {
			continue // comments inside a continued instruction
		}
		if cur.Len() == 0 {
			start = n + 1
		}
		if strings.HasSuffix(line, "\\") {
			cur.WriteString(strings.TrimSuffix(line, "\\") + " ")
			continue
		}
		cur.WriteString(line)
		cmd, args, _ := strings.Cut(cur.String(), " ")
		if !slices.Contains(known, cmd) {
			t.Fatalf("%s:%d: unknown or lower-case instruction %q", path, start, cmd)
		}
		out = append(out, instruction{start, cmd, strings.TrimSpace(args)})
		cur.Reset()
	}
	if cur.Len() > 0 {
		t.Fatalf("%s: ends inside a continued instruction", path)
	}
	return out
}

func TestDockerfile(t *testing.T) {
	root := repoRoot(t)
	ins := parseDockerfile(t, filepath.Join(root, "Dockerfile"))
	stages := map[string]bool{}
	var last string
	var env []string
	var entry, cmd []string
	var exposed []string
	user := ""
	buildsStatic := false
	goVersion := ""
	for _, in := range ins {
		switch in.cmd {
		case "ARG":
			if v, ok := strings.CutPrefix(in.args, "GO_VERSION="); ok {
				goVersion = v
			}
		case "FROM":
			f := strings.Fields(in.args)
			last = f[0]
			if len(f) == 3 && strings.EqualFold(f[1], "AS") {
				stages[f[2]] = true
			}
		case "COPY":
			if from, ok := strings.CutPrefix(strings.Fields(in.args)[0], "--from="); ok && !stages[from] {
				t.Errorf("line %d: COPY --from=%s names no earlier stage", in.line, from)
			}
		case "RUN":
			if strings.Contains(in.args, "CGO_ENABLED=0") && strings.Contains(in.args, "./cmd/meshd") {
				buildsStatic = true
			}
		case "ENV":
			for _, kv := range strings.Fields(in.args) {
				env = append(env, kv)
			}
		case "EXPOSE":
			exposed = append(exposed, strings.Fields(in.args)...)
		case "USER":
			user = in.args
		case "ENTRYPOINT", "CMD":
			var v []string
			if err := json.Unmarshal([]byte(in.args), &v); err != nil {
				t.Errorf("line %d: %s is not in exec (JSON array) form: %v", in.line, in.cmd, err)
			}
			if in.cmd == "ENTRYPOINT" {
				entry = v
			} else {
				cmd = v
			}
		}
	}
	if last != "scratch" {
		t.Errorf("final stage is FROM %s, want scratch", last)
	}
	if !buildsStatic {
		t.Error("no RUN builds ./cmd/meshd with CGO_ENABLED=0")
	}
	gomod, _ := os.ReadFile(filepath.Join(root, "go.mod"))
	if m := regexp.MustCompile(`(?m)^go (\S+)$`).FindSubmatch(gomod); m == nil || string(m[1]) != goVersion {
		t.Errorf("Dockerfile GO_VERSION %q, go.mod says %q", goVersion, m)
	}
	if !slices.Equal(entry, []string{"/meshd"}) || !slices.Equal(cmd, []string{"agent"}) {
		t.Errorf("ENTRYPOINT %q CMD %q, want [/meshd] [agent]", entry, cmd)
	}
	if uid, _, _ := strings.Cut(user, ":"); uid == "" || uid == "0" || uid == "root" {
		t.Errorf("USER %q: the container must not run as root", user)
	}
	if !slices.Equal(exposed, []string{"7946/udp", "7947/tcp"}) {
		t.Errorf("EXPOSE %v, want the gossip and HTTP ports", exposed)
	}
	// The ENV settings must be ones the agent accepts.
	vars := map[string]string{}
	for i := 0; i < len(env); i++ {
		k, v, ok := strings.Cut(env[i], "=")
		if !ok {
			t.Fatalf("ENV %q is not KEY=VALUE", env[i])
		}
		vars[k] = v
	}
	if _, err := config.Load(nil, func(k string) (string, bool) { v, ok := vars[k]; return v, ok }); err != nil {
		t.Errorf("the Dockerfile's ENV: %v", err)
	}
}

// The binary built as the Dockerfile builds it is static: no ELF
// interpreter and no shared libraries, so it runs FROM scratch.
func TestBinaryIsStatic(t *testing.T) {
	f, err := elf.Open(meshdBin)
	if err != nil {
		t.Skipf("not an ELF platform: %v", err)
	}
	defer f.Close()
	for _, p := range f.Progs {
		if p.Type == elf.PT_INTERP {
			t.Fatal("meshd has an ELF interpreter: it is dynamically linked")
		}
	}
	libs, err := f.ImportedLibraries()
	if err != nil {
		t.Fatal(err)
	}
	if len(libs) > 0 {
		t.Fatalf("meshd needs shared libraries %v", libs)
	}
}
