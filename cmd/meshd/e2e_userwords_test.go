package main

// What a user who makes a mistake sees, end to end: each case runs the
// meshd binary as a user would and checks the one line it prints.

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/meshd/meshd/cmd/meshd/internal/api"
)

// notSaid fails if s contains any of the words.
func notSaid(t *testing.T, what, s string, words ...string) {
	t.Helper()
	for _, w := range words {
		if strings.Contains(s, w) {
			t.Errorf("%s: %q says %q", what, s, w)
		}
	}
}

// TestMistakesInTheUsersWords: errors name flags and files, not Go's or
// the library's names, and are printed once.
func TestMistakesInTheUsersWords(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	a := filepath.Join(dir, "a.yaml")
	b := filepath.Join(dir, "b.yaml")
	os.WriteFile(a, []byte("cluster: a\n"), 0o600)
	os.WriteFile(b, []byte("cluster: b\n"), 0o600)
	cases := []struct {
		name    string
		args    []string
		code    int
		wants   []string
		notSaid []string
	}{
		{"two config files", []string{"agent", "--config", a, "--config", b}, 2, []string{"--config", a, b}, nil},
		{"bad join", []string{"agent", "--join", ":::bad"}, 2, []string{"--join", `":::bad"`, "IPv6"}, []string{"static", "Config.Hosts"}},
		{"bad join port", []string{"agent", "--join", "10.0.0.1:99999"}, 2, []string{"--join", "port"}, []string{"static", "Config"}},
		{"keys of a missing file", []string{"keys", "list", "--key-file", filepath.Join(dir, "missing")}, 1, []string{"missing", "no such file"}, []string{"no keys"}},
		{"sim typo", []string{"sim", "x.yaml", "--sed", "1"}, 2, []string{"meshd sim: unknown flag --sed", "did you mean --seed?"}, []string{"flag provided", "-sed:"}},
		{"sim bad value", []string{"sim", "x.yaml", "--nodes", "many"}, 2, []string{"--nodes", "want an integer"}, []string{"parse error"}},
		{"API beyond loopback without token", []string{"agent", "--http", "0.0.0.0:7947"}, 2, []string{"0.0.0.0:7947", "without a token", "--http-token-file", "--http-insecure-no-token"}, nil},
		{"help of a command", []string{"help", "bogus"}, 2, []string{`unknown command "bogus"`}, nil},
	}
	for _, c := range cases {
		_, stderr, code := meshd(t, nil, c.args...)
		if code != c.code {
			t.Errorf("%s: exit %d, want %d (%q)", c.name, code, c.code, stderr)
		}
		oneLineWith(t, c.name, stderr, c.wants...)
		notSaid(t, c.name, stderr, c.notSaid...)
	}
	// meshd help agent is meshd agent --help.
	help, _, code := meshd(t, nil, "help", "agent")
	direct, _, _ := meshd(t, nil, "agent", "--help")
	if code != 0 || help != direct || !strings.HasPrefix(help, "Usage: meshd agent") {
		t.Errorf("meshd help agent: exit %d:\n%s", code, help)
	}
}

// TestDefaultBindWithOnlyLoopback: in a namespace whose only interface is
// lo, the default bind (0.0.0.0) has no address to advertise; the agent
// says which flag to set, exit 2.
func TestDefaultBindWithOnlyLoopback(t *testing.T) {
	t.Parallel()
	if _, err := exec.LookPath("unshare"); err != nil {
		t.Skip("unshare is not installed")
	}
	out, err := exec.Command("unshare", "-n", "sh", "-c", "ip link set lo up || exit 90; exec "+shellQuote(meshdBin)+" agent --name x --http 127.0.0.1:7947").CombinedOutput()
	ee, _ := err.(*exec.ExitError)
	if ee != nil && ee.ExitCode() == 90 || strings.Contains(string(out), "Operation not permitted") {
		t.Skipf("no network namespace here: %s", out)
	}
	if ee == nil || ee.ExitCode() != 2 {
		t.Errorf("exit %v, want 2", err)
	}
	oneLineWith(t, "default bind with only lo", string(out), "--advertise", "0.0.0.0:7946", "--bind")
	notSaid(t, "default bind with only lo", string(out), "AdvertiseAddr", "BindAddr")
}

// runAgent starts an agent with extra environment, for the cases that
// startAgent's clean environment does not cover.
func runAgent(t *testing.T, env []string, args ...string) *agentProc {
	t.Helper()
	p := &agentProc{name: "agent", args: append([]string{"agent", "--profile", "local", "--log-format", "json"}, args...), out: &syncBuffer{}}
	p.cmd = exec.Command(meshdBin, p.args...)
	p.cmd.Env = append(cleanEnv(), env...)
	p.cmd.Stdout, p.cmd.Stderr = p.out, p.out
	p.done = make(chan struct{})
	if err := p.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	go func() { p.err = p.cmd.Wait(); close(p.done) }()
	t.Cleanup(p.kill)
	t.Cleanup(func() {
		if t.Failed() {
			t.Logf("--- agent log (%s) ---\n%s", strings.Join(p.args, " "), p.out.String())
		}
	})
	return p
}

func waitLog(t *testing.T, p *agentProc, what string, re *regexp.Regexp) string {
	t.Helper()
	var line string
	eventually(t, 20*time.Second, what, func() (bool, string) {
		line = re.FindString(p.out.String())
		return line != "", p.out.String()
	})
	return line
}

// TestAgentWarnsAndListens: an unknown MESHD_* variable is warned about
// with the setting it resembles (the test harness's own variables are
// not); --http 0.0.0.0:PORT is logged as such, and needs the flag that says
// it is insecure when there is no token.
func TestAgentWarnsAndListens(t *testing.T) {
	t.Parallel()
	ips := []string{"127.0.0.50"}
	gport, hport := freePorts(t, ips)
	p := runAgent(t, []string{"MESHD_JION=127.0.0.9:7946", "MESHD_K8S_BIN=/x", "MESHD_K8S_REQUIRED=1", "MESHD_DNSMASQ_REQUIRED=1"},
		"--name", "w", "--bind", fmt.Sprintf("127.0.0.50:%d", gport), "--http", fmt.Sprintf("0.0.0.0:%d", hport), "--http-insecure-no-token")
	waitLog(t, p, "the agent starts", regexp.MustCompile(`"msg":"agent started"`))
	waitLog(t, p, "the HTTP address as given", regexp.MustCompile(fmt.Sprintf(`"http":"0\.0\.0\.0:%d"`, hport)))
	waitLog(t, p, "the typo is warned about", regexp.MustCompile(`"level":"WARN","msg":"environment variable MESHD_JION is not a meshd setting and is ignored; did you mean MESHD_JOIN\?"`))
	logs := p.out.String()
	notSaid(t, "agent log", logs, "[::]", "MESHD_K8S", "MESHD_DNSMASQ")
	if !strings.Contains(logs, "--http-insecure-no-token") {
		t.Error("no warning that the API is served beyond loopback without a token")
	}
}

// TestAPIEndToEnd: against a real agent, 404 and 405 are JSON errors, a
// web page's POST is refused (the agent keeps running), a join of 254
// silent addresses names each once, the token hint is printed once, event
// ids are BOOT-SEQ and 'meshd events' columns line up, members filter on
// the agent and carry since, health's counts are the member list's, and
// 'meshd health' is a probe.
func TestAPIEndToEnd(t *testing.T) {
	t.Parallel()
	ips := []string{"127.0.0.51", "127.0.0.52"}
	gport, hport := freePorts(t, ips)
	tokenFile := filepath.Join(t.TempDir(), "token")
	os.WriteFile(tokenFile, []byte("s3cret\n"), 0o600)
	a := startAgent(t, "a", fmt.Sprintf("127.0.0.51:%d", gport), fmt.Sprintf("127.0.0.51:%d", hport), "--meta", "role=api")
	eventually(t, 20*time.Second, "a answers", func() (bool, string) {
		_, stderr, code := meshd(t, nil, "health", "--http", a.http)
		return code == 0, stderr
	})
	base := "http://" + a.http

	// 'meshd events' from the start, to check its columns.
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	events := exec.CommandContext(ctx, meshdBin, "events", "--http", a.http)
	events.Env = append(cleanEnv(), "TZ=UTC")
	var eventsOut syncBuffer
	events.Stdout = &eventsOut
	if err := events.Start(); err != nil {
		t.Fatal(err)
	}
	defer func() { cancel(); events.Wait() }()
	// A raw stream too, for the ids.
	req, _ := http.NewRequestWithContext(ctx, "GET", base+"/v1/events", nil)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	ids := make(chan string, 16)
	go func() {
		sc := bufio.NewScanner(resp.Body)
		for sc.Scan() {
			if id, ok := strings.CutPrefix(sc.Text(), "id: "); ok {
				ids <- id
			}
		}
	}()
	time.Sleep(time.Second) // both streams connect ('meshd events' cannot say when it has)

	b := startAgent(t, "a-member-with-a-long-name", fmt.Sprintf("127.0.0.52:%d", gport), fmt.Sprintf("127.0.0.52:%d", hport),
		"--join", a.gossip, "--http-token-file", tokenFile)
	eventually(t, 20*time.Second, "a sees b alive", func() (bool, string) {
		return viewsAgree(t, []*agentProc{a}, map[string]string{b.name: "alive"})
	})
	var firstID string
	select {
	case firstID = <-ids:
	case <-time.After(10 * time.Second):
		t.Fatal("no event id on the stream")
	}
	if !regexp.MustCompile(`^[0-9a-f]{16}-[0-9]+$`).MatchString(firstID) {
		t.Errorf("event id %q is not BOOT-SEQ", firstID)
	}

	for _, c := range []struct {
		method, path string
		code         int
	}{{"GET", "/nope", 404}, {"POST", "/v1/members", 405}, {"GET", "/v1/leave", 405}} {
		req, _ := http.NewRequest(c.method, base+c.path, nil)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		var eb map[string]string
		if resp.StatusCode != c.code || json.Unmarshal(body, &eb) != nil || eb["error"] == "" {
			t.Errorf("%s %s: %d %s, want %d with {\"error\": ...}", c.method, c.path, resp.StatusCode, body, c.code)
		}
	}

	// A web page's POST to /v1/leave is refused; the agent stays.
	req, _ = http.NewRequest("POST", base+"/v1/leave", strings.NewReader("{}"))
	req.Header.Set("Origin", "https://evil.example")
	req.Header.Set("Content-Type", "text/plain")
	if resp, err := http.DefaultClient.Do(req); err != nil || resp.StatusCode != http.StatusForbidden {
		t.Errorf("cross-origin leave: %v %v, want 403", resp, err)
	} else {
		resp.Body.Close()
	}

	// 254 addresses that do not answer: each is named once.
	addrs := []string{"join", "--http", a.http}
	for i := 1; i <= 254; i++ {
		addrs = append(addrs, fmt.Sprintf("127.0.1.%d:%d", i, gport))
	}
	_, stderr, code := meshd(t, nil, addrs...)
	named := 0
	for _, addr := range addrs[3:] {
		switch n := strings.Count(stderr, addr+" ") + strings.Count(stderr, addr+"]"); {
		case n > 1:
			t.Errorf("failed join of 254: %q names %s %d times", stderr, addr, n)
		case n == 1:
			named++
		}
	}
	if code != 1 || named == 0 || strings.Count(stderr, "\n") != 1 {
		t.Errorf("failed join of 254: exit %d, %d addresses named: %q", code, named, stderr)
	}
	// The token hint, once.
	_, stderr, code = meshd(t, nil, "leave", "--http", b.http)
	if code != 1 || strings.Count(stderr, "MESHD_HTTP_TOKEN") != 1 || strings.Count(stderr, "token") > 3 {
		t.Errorf("leave without the token: exit %d %q, want one hint", code, stderr)
	}

	// Filters and since, through the CLI and the API.
	stdout, stderr, code := meshd(t, nil, "members", "--http", a.http, "--json", "--state", "alive", "--tag", "role=api")
	var ms []map[string]any
	if code != 0 || json.Unmarshal([]byte(stdout), &ms) != nil || len(ms) != 1 || ms[0]["name"] != "a" || ms[0]["since"] == nil {
		t.Errorf("members --state alive --tag role=api: %d %s %s", code, stdout, stderr)
	}
	var h struct {
		Members int            `json:"members"`
		States  map[string]int `json:"states"`
	}
	stdout, _, _ = meshd(t, nil, "health", "--http", a.http, "--json")
	all, _ := members(t, a.http)
	if json.Unmarshal([]byte(stdout), &h) != nil || h.Members != len(all) || h.States["alive"] != 2 {
		t.Errorf("health %s against %d members", stdout, len(all))
	}

	// A graceful leave of b: events join and leave, in aligned columns.
	if _, stderr, code := meshd(t, []string{"MESHD_HTTP_TOKEN_FILE=" + tokenFile}, "leave", "--http", b.http); code != 0 {
		t.Fatalf("leave with the token: %s", stderr)
	}
	eventually(t, 20*time.Second, "meshd events shows the leave", func() (bool, string) {
		return strings.Contains(eventsOut.String(), " leave "), eventsOut.String()
	})
	cancel()
	lines := strings.Split(strings.TrimSpace(eventsOut.String()), "\n")
	if len(lines) < 3 || !strings.HasPrefix(lines[0], "TIME ") {
		t.Fatalf("meshd events printed:\n%s", eventsOut.String())
	}
	// Every row lines up with the header above it (printed again when a
	// column widens).
	var starts []byte
	for _, l := range lines {
		if strings.HasPrefix(l, "TIME ") {
			starts = columnStarts(l)
			continue
		}
		if got := columnStarts(l); len(got) < len(starts)-1 || !bytes.Equal(got[:len(starts)-1], starts[:len(starts)-1]) {
			t.Errorf("meshd events columns do not line up:\n%s", eventsOut.String())
			break
		}
	}
	// A stream that reconnects with its first id (its position when it
	// connected, before b joined) gets what came after it (b's join and
	// leave) from the agent's log; an id of another run is told it missed
	// events.
	for lastID, want := range map[string]string{firstID: "leave " + b.name, "0123456789abcdef-3": "missed restart"} {
		req, _ := http.NewRequest("GET", base+"/v1/events", nil)
		req.Header.Set("Last-Event-ID", lastID)
		rctx, rcancel := context.WithTimeout(context.Background(), 10*time.Second)
		resp, err := http.DefaultClient.Do(req.WithContext(rctx))
		if err != nil {
			t.Fatal(err)
		}
		var seen []string
		found := false
		api.ReadSSEEvents(resp.Body, func(e api.SSEEvent) error {
			var d struct{ Name, Reason string }
			json.Unmarshal([]byte(e.Data), &d)
			got := strings.TrimSpace(e.Type + " " + d.Name + d.Reason)
			seen = append(seen, got)
			if got == want {
				found = true
				return io.EOF
			}
			return nil
		})
		resp.Body.Close()
		rcancel()
		if !found {
			t.Errorf("reconnect after %s: events %q, want %q", lastID, seen, want)
		}
	}
	if _, _, code := meshd(t, nil, "health", "--http", b.http, "--quiet"); code != 1 {
		t.Errorf("meshd health of a stopped agent: exit %d, want 1", code)
	}
}

// columnStarts is where each column of a line starts (after two spaces).
func columnStarts(line string) []byte {
	var out []byte
	for i := range line {
		if i == 0 || i >= 2 && line[i-1] == ' ' && line[i-2] == ' ' && line[i] != ' ' {
			out = append(out, byte(i))
		}
	}
	return out
}

// TestEventsSurviveRestart: 'meshd events' keeps streaming across a
// restart of the agent: it reconnects with the last event's id, is told
// that the events of the restart are unknown, and goes on with the new
// run's events.
func TestEventsSurviveRestart(t *testing.T) {
	t.Parallel()
	ips := []string{"127.0.0.53", "127.0.0.54"}
	gport, hport := freePorts(t, ips)
	a := startAgent(t, "a", fmt.Sprintf("127.0.0.53:%d", gport), fmt.Sprintf("127.0.0.53:%d", hport))
	eventually(t, 20*time.Second, "a answers", func() (bool, string) {
		_, stderr, code := meshd(t, nil, "health", "--http", a.http)
		return code == 0, stderr
	})
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	events := exec.CommandContext(ctx, meshdBin, "events", "--json", "--http", a.http)
	events.Env = cleanEnv()
	var out, errOut syncBuffer
	events.Stdout, events.Stderr = &out, &errOut
	if err := events.Start(); err != nil {
		t.Fatal(err)
	}
	defer func() { cancel(); events.Wait() }()
	time.Sleep(time.Second) // the stream is connected
	b := startAgent(t, "b", fmt.Sprintf("127.0.0.54:%d", gport), fmt.Sprintf("127.0.0.54:%d", hport), "--join", a.gossip)
	lines := func() []string { return strings.Split(strings.TrimSpace(out.String()), "\n") }
	eventually(t, 20*time.Second, "b's join is streamed", func() (bool, string) {
		return strings.Contains(out.String(), `"name":"b"`), out.String()
	})

	a.signal(t, os.Interrupt)
	if code := a.waitExit(t, 20*time.Second); code != 0 {
		t.Fatalf("a exited %d", code)
	}
	a.start(t)
	// b's --join brings it back into the new a, which streams its join.
	eventually(t, 30*time.Second, "the stream resumes on the restarted agent", func() (bool, string) {
		ls := lines()
		missed := slices.IndexFunc(ls, func(l string) bool {
			return strings.Contains(l, `"type":"missed"`) && strings.Contains(l, `"reason":"restart"`)
		})
		return missed > 0 && slices.ContainsFunc(ls[missed:], func(l string) bool {
			return strings.Contains(l, `"type":"join"`) && strings.Contains(l, `"name":"b"`)
		}), out.String() + errOut.String()
	})
	if !strings.Contains(errOut.String(), "reconnecting") {
		t.Errorf("meshd events did not say it reconnects: %q", errOut.String())
	}
	_ = b
}
