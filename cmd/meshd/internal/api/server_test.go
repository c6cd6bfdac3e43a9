package api

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/meshd/meshd/mesh"
)

// node is a fake engine: a fixed member list and one event channel.
type node struct {
	mu      sync.Mutex
	members []mesh.Member
	ch      chan mesh.Event
}

func (n *node) Members() []mesh.Member {
	n.mu.Lock()
	defer n.mu.Unlock()
	return slices.Clone(n.members)
}
func (n *node) Local() mesh.Member                     { return n.Members()[0] }
func (n *node) Subscribe() (<-chan mesh.Event, func()) { return n.ch, func() {} }
func (n *node) Join(context.Context, ...string) (int, error) {
	return 0, fmt.Errorf("mesh: join: no answer from [a:1 b:2]")
}
func (n *node) publish(t mesh.EventType, m mesh.Member) {
	n.ch <- mesh.Event{Type: t, Member: m, At: time.Now()}
}

var since = time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)

func newTestServer(t *testing.T, o Options) (*httptest.Server, *node) {
	t.Helper()
	n := &node{ch: make(chan mesh.Event, 64), members: []mesh.Member{
		{Name: "a", Addr: netip.MustParseAddrPort("127.0.0.2:7946"), State: mesh.StateAlive, Meta: map[string]string{"role": "api"}, Since: since},
		{Name: "b", Addr: netip.MustParseAddrPort("127.0.0.3:7946"), State: mesh.StateAlive, Meta: map[string]string{"role": "db"}, Since: since},
		{Name: "c", Addr: netip.MustParseAddrPort("127.0.0.4:7946"), State: mesh.StateDead, Since: since},
		{Name: "d", Addr: netip.MustParseAddrPort("127.0.0.5:7946"), State: mesh.StateLeft, Meta: map[string]string{"role": "api"}, Since: since},
	}}
	o.Node, o.Context, o.BootID = n, t.Context(), "b00t"
	if o.Leave == nil {
		o.Leave = func(context.Context) error { return nil }
	}
	srv := httptest.NewServer(NewHandler(o))
	t.Cleanup(srv.Close)
	return srv, n
}

func call(t *testing.T, method, url string, body string, header ...string) (int, http.Header, string) {
	t.Helper()
	req, err := http.NewRequest(method, url, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	for i := 0; i+1 < len(header); i += 2 {
		if header[i] == "Host" {
			req.Host = header[i+1]
		} else {
			req.Header.Set(header[i], header[i+1])
		}
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, resp.Header, string(b)
}

// errorOf decodes an error answer, failing unless it is {"error": "..."}.
func errorOf(t *testing.T, what, body string) string {
	t.Helper()
	var eb map[string]any
	if err := json.Unmarshal([]byte(body), &eb); err != nil || len(eb) != 1 || eb["error"] == nil {
		t.Fatalf("%s: body %q is not {\"error\": ...}", what, body)
	}
	return eb["error"].(string)
}

// TestErrorsAreJSON: 404, 405 and every other error answer {"error": ...},
// and no message shows Go's type or field names.
func TestErrorsAreJSON(t *testing.T) {
	srv, _ := newTestServer(t, Options{})
	cases := []struct {
		method, path, body string
		code               int
		want               string
	}{
		{"GET", "/nope", "", 404, "no such endpoint"},
		{"GET", "/v1/join", "", 405, "allowed: POST"},
		{"DELETE", "/v1/members", "", 405, "allowed: GET, HEAD"},
		{"POST", "/v1/join", `{"addrs":"x"}`, 400, `"addrs" is a string, want a list of strings`},
		{"POST", "/v1/join", `{"addrs":[1]}`, 400, `"addrs" is a number, want a string`},
		{"POST", "/v1/join", `[1]`, 400, "the body is a list, want an object"},
		{"POST", "/v1/join", `{"addrs":`, 400, "ends in the middle"},
		{"POST", "/v1/join", `{"adr":[]}`, 400, `unknown field "adr"`},
		{"POST", "/v1/join", `nope`, 400, "not JSON at byte"},
		{"POST", "/v1/join", ``, 400, "the body is empty"},
		{"POST", "/v1/join", `{"addrs":["a:1","b:2"]}`, 502, "join: no answer from [a:1 b:2]"},
		{"GET", "/v1/members?state=up", "", 400, "want alive, suspect, dead or left"},
		{"GET", "/v1/members?sate=alive", "", 400, `unknown parameter "sate"`},
	}
	for _, c := range cases {
		code, h, body := call(t, c.method, srv.URL+c.path, c.body)
		what := c.method + " " + c.path + " " + c.body
		if code != c.code {
			t.Errorf("%s: %d, want %d (%s)", what, code, c.code, body)
		}
		if ct := h.Get("Content-Type"); ct != "application/json" {
			t.Errorf("%s: Content-Type %q", what, ct)
		}
		msg := errorOf(t, what, body)
		if !strings.Contains(msg, c.want) {
			t.Errorf("%s: error %q does not say %q", what, msg, c.want)
		}
		for _, goism := range []string{"Go struct", "JoinRequest", "[]string", "json:", "of type"} {
			if strings.Contains(msg, goism) {
				t.Errorf("%s: error %q shows Go's %q", what, msg, goism)
			}
		}
		if strings.Count(msg, "a:1") > 1 {
			t.Errorf("%s: error %q repeats the addresses", what, msg)
		}
	}
	if _, h, _ := call(t, "PUT", srv.URL+"/v1/leave", ""); h.Get("Allow") != "POST" {
		t.Errorf("405 Allow %q, want POST", h.Get("Allow"))
	}
}

func names(t *testing.T, body string) string {
	t.Helper()
	var ms []Member
	if err := json.Unmarshal([]byte(body), &ms); err != nil {
		t.Fatalf("%v: %s", err, body)
	}
	var out []string
	for _, m := range ms {
		out = append(out, m.Name)
	}
	return strings.Join(out, ",")
}

// TestMembersFilterAndSince: ?state, ?name and ?tag select; every member
// carries since; health's counts are the member list's.
func TestMembersFilterAndSince(t *testing.T) {
	srv, _ := newTestServer(t, Options{})
	for q, want := range map[string]string{
		"":                          "a,b,c,d",
		"?state=alive":              "a,b",
		"?state=dead,left":          "c,d",
		"?state=dead&state=alive":   "a,b,c",
		"?name=b":                   "b",
		"?name=b&name=d":            "b,d",
		"?tag=role=api":             "a,d",
		"?tag=role":                 "a,b,d",
		"?tag=role=api&state=alive": "a",
		"?name=zzz":                 "",
	} {
		code, _, body := call(t, "GET", srv.URL+"/v1/members"+q, "")
		if code != 200 || names(t, body) != want {
			t.Errorf("members%s: %d %s, want %s", q, code, names(t, body), want)
		}
	}
	_, _, body := call(t, "GET", srv.URL+"/v1/members?name=a", "")
	if !strings.Contains(body, `"since": "2026-01-02T03:04:05Z"`) {
		t.Errorf("member without since: %s", body)
	}
	_, _, body = call(t, "GET", srv.URL+"/v1/health", "")
	var h Health
	json.Unmarshal([]byte(body), &h)
	if h.Members != 4 || h.Alive != 2 || h.States["dead"] != 1 || h.States["left"] != 1 || h.States["suspect"] != 0 {
		t.Errorf("health %+v does not count the member list (4 members: 2 alive, 1 dead, 1 left)", h)
	}
}

// TestForeignRequestsRefused: a web page of another origin, or one that
// rebinds its own name to the agent, cannot POST; tools can.
func TestForeignRequestsRefused(t *testing.T) {
	left := 0
	srv, _ := newTestServer(t, Options{Leave: func(context.Context) error { left++; return nil }})
	host := strings.TrimPrefix(srv.URL, "http://")
	for _, c := range []struct {
		what   string
		header []string
		code   int
	}{
		{"curl", nil, 200},
		{"localhost", []string{"Host", "localhost:7947"}, 200},
		{"the agent's own page", []string{"Origin", "http://" + host}, 200},
		{"another site", []string{"Origin", "https://evil.example"}, 403},
		{"a sandboxed page", []string{"Origin", "null"}, 403},
		{"another port on loopback", []string{"Origin", "http://127.0.0.1:1"}, 403},
		{"DNS rebinding", []string{"Host", "evil.example:7947"}, 403},
	} {
		code, _, body := call(t, "POST", srv.URL+"/v1/leave", "", c.header...)
		if code != c.code {
			t.Errorf("%s: %d, want %d (%s)", c.what, code, c.code, body)
		}
		if code == 403 {
			errorOf(t, c.what, body)
		}
	}
	if left != 3 {
		t.Errorf("%d leaves done, want 3", left)
	}
	// With a token, a name is fine (the page does not know the token); a
	// foreign Origin is refused all the same.
	srv, _ = newTestServer(t, Options{Token: "s3cret"})
	if code, _, body := call(t, "POST", srv.URL+"/v1/leave", "", "Host", "meshd-0.meshd:7947", "Authorization", "Bearer s3cret"); code != 200 {
		t.Errorf("named host with token: %d %s", code, body)
	}
	if code, _, _ := call(t, "POST", srv.URL+"/v1/leave", "", "Origin", "https://evil.example", "Authorization", "Bearer s3cret"); code != 403 {
		t.Errorf("foreign origin with token: %d, want 403", code)
	}
	_, _, body := call(t, "POST", srv.URL+"/v1/leave", "", "Authorization", "Bearer wrong")
	if msg := errorOf(t, "wrong token", body); strings.Count(msg, "token") != 1 {
		t.Errorf("wrong token: %q", msg)
	}
}

// sse reads a stream's events as "id event name" lines ("missed REASON
// COUNT" for notices) and sends them on a channel.
func sse(t *testing.T, url, lastID string) <-chan string {
	t.Helper()
	req, _ := http.NewRequestWithContext(t.Context(), "GET", url+"/v1/events", nil)
	if lastID != "" {
		req.Header.Set("Last-Event-ID", lastID)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	out := make(chan string, 64)
	go func() {
		defer resp.Body.Close()
		ReadSSEEvents(bufio.NewReader(resp.Body), func(e SSEEvent) error {
			if e.Type == "missed" {
				var m Missed
				json.Unmarshal([]byte(e.Data), &m)
				out <- fmt.Sprintf("missed %s %d", m.Reason, m.Count)
				return nil
			}
			var ev Event
			json.Unmarshal([]byte(e.Data), &ev)
			out <- e.LastID + " " + e.Type + " " + ev.Name
			return nil
		})
	}()
	return out
}

func expect(t *testing.T, ch <-chan string, want ...string) {
	t.Helper()
	for _, w := range want {
		select {
		case got := <-ch:
			if got != w {
				t.Fatalf("got %q, want %q", got, w)
			}
		case <-time.After(10 * time.Second):
			t.Fatalf("no %q within 10s", w)
		}
	}
}

// TestEventStreamResumes: event ids are BOOT-SEQ; Last-Event-ID of this
// run resumes after that event, even for events that came while no stream
// was connected; an id of another run, or one older than the replay
// buffer, is told what it missed.
func TestEventStreamResumes(t *testing.T) {
	srv, n := newTestServer(t, Options{Replay: 3})
	// From event 0 of this run: whenever the stream connects, it gets
	// every event from the first on.
	live := sse(t, srv.URL, "b00t-0")
	a, b := n.members[0], n.members[1]
	n.publish(mesh.EventJoin, a)
	n.publish(mesh.EventJoin, b)
	expect(t, live, "b00t-1 join a", "b00t-2 join b")

	// Events while no stream reads: a reconnect after b00t-2 gets them.
	n.publish(mesh.EventFail, a)
	n.publish(mesh.EventUpdate, b)
	expect(t, live, "b00t-3 fail a", "b00t-4 update b")
	expect(t, sse(t, srv.URL, "b00t-2"), "b00t-3 fail a", "b00t-4 update b")
	// After b00t-0, the buffer (3 events) lacks event 1.
	expect(t, sse(t, srv.URL, "b00t-0"), "missed overflow 1", "b00t-2 join b", "b00t-3 fail a", "b00t-4 update b")
	// Another run of the agent: what happened since is unknown.
	expect(t, sse(t, srv.URL, "0ld1-7"), "missed restart 0", "b00t-2 join b", "b00t-3 fail a", "b00t-4 update b")
	expect(t, sse(t, srv.URL, "garbage"), "missed unknown-id 0", "b00t-2 join b")
	// Then live.
	resumed := sse(t, srv.URL, "b00t-4")
	n.publish(mesh.EventLeave, b)
	expect(t, resumed, "b00t-5 leave b")
	// The engine's numbers skip two events it replaced by newer ones: the
	// stream says so before the next event.
	n.ch <- mesh.Event{Type: mesh.EventJoin, Member: b, At: time.Now(), Seq: 8}
	expect(t, resumed, "missed overflow 2", "b00t-8 join b")
}
