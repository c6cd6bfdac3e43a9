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

// TestReloadTokenAndWarnings: an unreachable seed is warned about once, not
// every poll; SIGHUP and POST /v1/reload apply a new config (strategies,
// meta, log level) and a bad one changes nothing; the token guards the
// mutating endpoints for the CLI too; 'meshd join' and 'meshd leave' work.
func TestReloadTokenAndWarnings(t *testing.T) {
	t.Parallel()
	ips := []string{"127.0.0.40", "127.0.0.41", "127.0.0.42"}
	gport, hport := freePorts(t, ips)
	dir := t.TempDir()
	tokenFile := filepath.Join(dir, "token")
	os.WriteFile(tokenFile, []byte("t0ken\n"), 0o600)
	cfg := filepath.Join(dir, "meshd.yaml")
	// 127.0.0.42 runs nothing: an unreachable seed.
	dead := fmt.Sprintf("%s:%d", ips[2], gport)
	os.WriteFile(cfg, []byte("log-level: info\njoin: ["+dead+"]\n"), 0o600)

	a := startAgent(t, "r1", fmt.Sprintf("%s:%d", ips[0], gport), fmt.Sprintf("%s:%d", ips[0], hport),
		"--config", cfg, "--http-token-file", tokenFile)
	b := startAgent(t, "r2", fmt.Sprintf("%s:%d", ips[1], gport), fmt.Sprintf("%s:%d", ips[1], hport))
	const warning = `"msg":"seed is not reachable"`
	eventually(t, 30*time.Second, "the unreachable seed is warned about", func() (bool, string) {
		return strings.Count(a.out.String(), warning) == 1, "no warning yet"
	})
	// Checks run every 2s (--profile local); three more go by.
	time.Sleep(7 * time.Second)
	if n := strings.Count(a.out.String(), warning); n != 1 {
		t.Errorf("the unreachable seed was warned about %d times in 7s, want once a minute", n)
	}
	if !strings.Contains(a.out.String(), `"seed":"`+dead+`"`) {
		t.Error("the warning does not name the seed")
	}

	// The token guards the CLI's mutating calls.
	_, stderr, code := meshd(t, nil, "join", "--http", a.http, b.gossip)
	if code != 1 || !strings.Contains(stderr, "token") {
		t.Fatalf("join without token: exit %d, %q", code, stderr)
	}
	tokenEnv := []string{"MESHD_HTTP_TOKEN=t0ken"}
	stdout, stderr, code := meshd(t, tokenEnv, "join", "--http", a.http, b.gossip)
	if code != 0 || !strings.Contains(stdout, "contacted 1 of 1") {
		t.Fatalf("join with token: exit %d, %q %q", code, stdout, stderr)
	}
	eventually(t, 20*time.Second, "r1 and r2 see each other", func() (bool, string) {
		return viewsAgree(t, []*agentProc{a, b}, map[string]string{"r1": "alive", "r2": "alive"})
	})

	// SIGHUP with a new config: no seeds, new meta, debug logging.
	os.WriteFile(cfg, []byte("log-level: debug\nmeta: {role: edge}\n"), 0o600)
	reloads := func() int { return strings.Count(a.out.String(), `"msg":"reloaded"`) }
	a.signal(t, syscall.SIGHUP)
	eventually(t, 20*time.Second, "SIGHUP reloads", func() (bool, string) { return reloads() == 1, "no reload logged" })
	eventually(t, 20*time.Second, "the new meta is gossiped", func() (bool, string) {
		ms, err := members(t, b.http)
		if err != nil {
			return false, err.Error()
		}
		return ms["r1"].Meta["role"] == "edge", fmt.Sprint(ms["r1"].Meta)
	})

	// A bad config changes nothing and says why.
	os.WriteFile(cfg, []byte("log-level: loud\n"), 0o600)
	a.signal(t, syscall.SIGHUP)
	eventually(t, 20*time.Second, "a bad reload is reported", func() (bool, string) {
		out := a.out.String()
		return strings.Contains(out, `"msg":"reload failed; the running configuration stays"`) && strings.Contains(out, cfg), "no reload failure logged"
	})

	// POST /v1/reload: the token is required; with it, a good config applies.
	os.WriteFile(cfg, []byte("log-level: info\nmeta: {role: edge}\n"), 0o600)
	post := func(token string) int {
		req, _ := http.NewRequest("POST", "http://"+a.http+"/v1/reload", strings.NewReader("{}"))
		if token != "" {
			req.Header.Set("Authorization", "Bearer "+token)
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		return resp.StatusCode
	}
	if code := post(""); code != http.StatusUnauthorized {
		t.Errorf("POST /v1/reload without token: %d", code)
	}
	if code := post("t0ken"); code != http.StatusOK {
		t.Errorf("POST /v1/reload with token: %d", code)
	}
	// The log reaches the test through a pipe: allow it a moment.
	eventually(t, 10*time.Second, "the API reload is logged", func() (bool, string) {
		return reloads() == 2, fmt.Sprintf("%d reloads logged, want 2", reloads())
	})

	// 'meshd leave' makes the agent leave and exit 0; the other sees it left.
	stdout, stderr, code = meshd(t, tokenEnv, "leave", "--http", a.http)
	if code != 0 {
		t.Fatalf("leave: exit %d %q %q", code, stdout, stderr)
	}
	if code := a.waitExit(t, 30*time.Second); code != 0 {
		t.Errorf("agent exit %d after leave", code)
	}
	eventually(t, 20*time.Second, "r2 sees r1 left", func() (bool, string) {
		return viewsAgree(t, []*agentProc{b}, map[string]string{"r1": "left"})
	})
}
