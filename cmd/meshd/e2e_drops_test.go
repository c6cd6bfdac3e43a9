package main

import (
	"fmt"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// TestMisconfiguredAgentsAreNamedEndToEnd: an agent with another key and
// one of another cluster join a seed agent. Neither gets in; the seed's log
// says why, naming each source, and each joiner's warning names the likely
// causes instead of only "not reachable".
func TestMisconfiguredAgentsAreNamedEndToEnd(t *testing.T) {
	t.Parallel()
	ips := []string{"127.0.0.70", "127.0.0.71", "127.0.0.72"}
	gport, hport := freePorts(t, ips)
	dir := t.TempDir()
	addr := func(i, port int) string { return fmt.Sprintf("%s:%d", ips[i], port) }
	keyFile := func(name string) string {
		t.Helper()
		key, stderr, code := meshd(t, nil, "keys", "generate")
		if code != 0 {
			t.Fatalf("keys generate: exit %d: %s", code, stderr)
		}
		f := filepath.Join(dir, name)
		if _, stderr, code := meshd(t, nil, "keys", "install", strings.TrimSpace(key), "--key-file", f, "--no-reload"); code != 0 {
			t.Fatalf("keys install: exit %d: %s", code, stderr)
		}
		return f
	}
	seedKeys, otherKeys := keyFile("seed"), keyFile("other")
	seed := startAgent(t, "seed", addr(0, gport), addr(0, hport), "--key-file", seedKeys)
	wrongKey := startAgent(t, "wrong-key", addr(1, gport), addr(1, hport), "--key-file", otherKeys, "--join", seed.gossip)
	otherCluster := startAgent(t, "other-cluster", addr(2, gport), addr(2, hport), "--key-file", seedKeys,
		"--cluster", "elsewhere", "--join", seed.gossip)

	for _, want := range []struct{ from, text string }{
		{wrongKey.gossip, `"msg":"dropped a gossip packet: sealed with a key that is not in this keyring"`},
		{otherCluster.gossip, `"msg":"dropped a gossip packet: from another cluster (name tag 0x`},
	} {
		eventually(t, 30*time.Second, "the seed names "+want.from, func() (bool, string) {
			for _, line := range strings.Split(seed.out.String(), "\n") {
				if strings.Contains(line, want.text) && strings.Contains(line, `"from":"`+want.from+`"`) &&
					strings.Contains(line, `"level":"WARN"`) {
					return true, ""
				}
			}
			return false, "no such line"
		})
	}
	for _, j := range []*agentProc{wrongKey, otherCluster} {
		eventually(t, 30*time.Second, j.name+" names the likely causes", func() (bool, string) {
			out := j.out.String()
			return strings.Contains(out, `"msg":"seed is not reachable"`) &&
				strings.Contains(out, "another cluster name or key on the seed") &&
				strings.Contains(out, fmt.Sprintf("UDP port %d", gport)), "no such warning"
		})
	}
	ms, err := members(t, seed.http)
	if err != nil {
		t.Fatal(err)
	}
	if len(ms) != 1 {
		t.Fatalf("the seed knows %v, want only itself", ms)
	}
}
