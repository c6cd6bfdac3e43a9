package main

import (
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
)

// TestKeyRotationEndToEnd rotates the gossip key of a running three-agent
// cluster with 'meshd keys install|use|remove' (reloading the agents
// through the API, and once through SIGHUP), checking after each step that
// the cluster stays whole, and at the end that agents without the key, or
// with the retired one, cannot get in.
func TestKeyRotationEndToEnd(t *testing.T) {
	t.Parallel()
	ips := []string{"127.0.0.20", "127.0.0.21", "127.0.0.22", "127.0.0.23", "127.0.0.24"}
	gport, hport := freePorts(t, ips)
	dir := t.TempDir()
	addr := func(i, port int) string { return fmt.Sprintf("%s:%d", ips[i], port) }
	keyFile := func(i int) string { return filepath.Join(dir, fmt.Sprintf("keys%d", i)) }
	run := func(args ...string) string {
		t.Helper()
		stdout, stderr, code := meshd(t, nil, args...)
		if code != 0 {
			t.Fatalf("meshd %s: exit %d: %s", strings.Join(args, " "), code, stderr)
		}
		return stdout
	}
	k1 := strings.TrimSpace(run("keys", "generate"))
	k2 := strings.TrimSpace(run("keys", "generate"))

	var agents []*agentProc
	for i := range 3 {
		run("keys", "install", k1, "--key-file", keyFile(i), "--no-reload")
		extra := []string{"--key-file", keyFile(i)}
		if i > 0 {
			extra = append(extra, "--join", addr(0, gport))
		}
		agents = append(agents, startAgent(t, fmt.Sprintf("k%d", i+1), addr(i, gport), addr(i, hport), extra...))
	}
	whole := map[string]string{"k1": "alive", "k2": "alive", "k3": "alive"}
	eventually(t, 30*time.Second, "the encrypted cluster forms", func() (bool, string) { return viewsAgree(t, agents, whole) })

	// 1. Install the new key everywhere: everyone decrypts it.
	for i, a := range agents {
		out := run("keys", "install", k2, "--key-file", keyFile(i), "--http", a.http)
		if !strings.Contains(out, "reloaded the keyring") {
			t.Fatalf("install on %s: %q", a.name, out)
		}
	}
	eventually(t, 20*time.Second, "the cluster is whole after install", func() (bool, string) { return viewsAgree(t, agents, whole) })

	// 2. Use it everywhere; the last agent by editing the file and SIGHUP.
	for i, a := range agents[:2] {
		run("keys", "use", k2, "--key-file", keyFile(i), "--http", a.http)
	}
	before := strings.Count(agents[2].out.String(), `"msg":"reloaded"`)
	run("keys", "use", k2, "--key-file", keyFile(2), "--no-reload")
	agents[2].signal(t, syscall.SIGHUP)
	eventually(t, 20*time.Second, "SIGHUP reloads the keyring", func() (bool, string) {
		return strings.Count(agents[2].out.String(), `"msg":"reloaded"`) > before, "no reload logged"
	})
	eventually(t, 20*time.Second, "the cluster is whole after use", func() (bool, string) { return viewsAgree(t, agents, whole) })

	// 3. Retire the old key.
	for i, a := range agents {
		run("keys", "remove", k1, "--key-file", keyFile(i), "--http", a.http)
		if got := run("keys", "list", "--key-file", keyFile(i)); strings.TrimSpace(got) != "primary  "+k2 {
			t.Fatalf("key file of %s after rotation: %q", a.name, got)
		}
	}
	eventually(t, 20*time.Second, "the cluster is whole after remove", func() (bool, string) { return viewsAgree(t, agents, whole) })

	// Outsiders: one without a key, one with the retired key.
	run("keys", "install", k1, "--key-file", keyFile(4), "--no-reload")
	noKey := startAgent(t, "nokey", addr(3, gport), addr(3, hport), "--join", addr(0, gport))
	oldKey := startAgent(t, "oldkey", addr(4, gport), addr(4, hport), "--join", addr(0, gport), "--key-file", keyFile(4))
	for _, o := range []*agentProc{noKey, oldKey} {
		eventually(t, 20*time.Second, o.name+" runs", func() (bool, string) {
			_, err := members(t, o.http)
			return err == nil, fmt.Sprint(err)
		})
	}
	// Their join attempts start at once; give them a few probe rounds.
	time.Sleep(3 * time.Second)
	for _, o := range []*agentProc{noKey, oldKey} {
		ms, err := members(t, agents[0].http)
		if err != nil {
			t.Fatal(err)
		}
		if m, ok := ms[o.name]; ok {
			t.Errorf("%s got into the cluster: %+v", o.name, m)
		}
		theirs, err := members(t, o.http)
		if err != nil {
			t.Fatal(err)
		}
		if _, ok := theirs["k1"]; ok {
			t.Errorf("%s learned the cluster's members", o.name)
		}
	}
	// The rotation never broke the cluster: still whole, and no agent ever
	// declared another failed.
	if ok, seen := viewsAgree(t, agents, whole); !ok {
		t.Errorf("cluster not whole after the rotation: %s", seen)
	}
	for _, a := range agents {
		if strings.Contains(a.out.String(), `"msg":"member fail"`) {
			t.Errorf("%s saw a member fail during the rotation", a.name)
		}
	}
	fams := scrape(t, agents[0].http)
	var dropped float64
	for _, m := range fams["meshd_packets_dropped_total"].GetMetric() {
		dropped += m.GetCounter().GetValue()
	}
	if dropped == 0 {
		t.Error("the outsiders' packets were not counted as dropped")
	}
}

// A corrupt snapshot, or one that cannot be written, is a warning: the
// agent runs.
func TestBadSnapshotIsAWarning(t *testing.T) {
	t.Parallel()
	ips := []string{"127.0.0.25", "127.0.0.26"}
	gport, hport := freePorts(t, ips)
	dir := t.TempDir()
	corrupt := filepath.Join(dir, "corrupt.json")
	os.WriteFile(corrupt, []byte(`{"version":1,"members":[{"name":"x","addr":`), 0o600)
	cases := []struct {
		snapshot, log string
	}{
		{corrupt, "ignoring the snapshot"},
		{filepath.Join(dir, "missing-dir", "snap.json"), "cannot write snapshot"},
	}
	for i, c := range cases {
		a := startAgent(t, fmt.Sprintf("s%d", i), fmt.Sprintf("%s:%d", ips[i], gport), fmt.Sprintf("%s:%d", ips[i], hport), "--snapshot", c.snapshot)
		eventually(t, 20*time.Second, "agent with snapshot "+c.snapshot+" serves", func() (bool, string) {
			resp, err := http.Get("http://" + a.http + "/v1/health")
			if err != nil {
				return false, err.Error()
			}
			resp.Body.Close()
			return resp.StatusCode == 200, resp.Status
		})
		eventually(t, 20*time.Second, "it warns: "+c.log, func() (bool, string) {
			return strings.Contains(a.out.String(), c.log), "no such line"
		})
		a.signal(t, syscall.SIGTERM)
		if code := a.waitExit(t, 30*time.Second); code != 0 {
			t.Errorf("exit %d after SIGTERM", code)
		}
	}
}
