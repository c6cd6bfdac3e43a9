package client

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"go.uber.org/goleak"

	"github.com/meshd/meshd/cmd/meshd/internal/api"
	"github.com/meshd/meshd/mesh"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

// fakeNode stands in for the engine.
type fakeNode struct {
	mu      sync.Mutex
	members []mesh.Member
	subs    []chan mesh.Event
	joined  []string
	joinErr error
}

func (f *fakeNode) Members() []mesh.Member {
	f.mu.Lock()
	defer f.mu.Unlock()
	return slices.Clone(f.members)
}
func (f *fakeNode) Local() mesh.Member { return f.Members()[0] }
func (f *fakeNode) Subscribe() (<-chan mesh.Event, func()) {
	f.mu.Lock()
	defer f.mu.Unlock()
	ch := make(chan mesh.Event, 16)
	f.subs = append(f.subs, ch)
	return ch, func() {
		f.mu.Lock()
		defer f.mu.Unlock()
		if i := slices.Index(f.subs, ch); i >= 0 {
			f.subs = slices.Delete(f.subs, i, i+1)
		}
	}
}
func (f *fakeNode) subscribers() int { f.mu.Lock(); defer f.mu.Unlock(); return len(f.subs) }

// waitSubscribed waits for the API's event log to subscribe.
func (f *fakeNode) waitSubscribed(t *testing.T) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for f.subscribers() == 0 {
		if time.Now().After(deadline) {
			t.Fatal("the API never subscribed")
		}
		time.Sleep(10 * time.Millisecond)
	}
}
func (f *fakeNode) publish(e mesh.Event) {
	f.mu.Lock()
	defer f.mu.Unlock()
	for _, ch := range f.subs {
		ch <- e
	}
}
func (f *fakeNode) Join(ctx context.Context, addrs ...string) (int, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.joinErr != nil {
		return 0, f.joinErr
	}
	f.joined = append(f.joined, addrs...)
	return len(addrs), nil
}

func newNode() *fakeNode {
	return &fakeNode{members: []mesh.Member{
		{Name: "n2", Addr: netip.MustParseAddrPort("127.0.0.3:7946"), State: mesh.StateDead, Incarnation: 2},
		{Name: "n1", Addr: netip.MustParseAddrPort("127.0.0.2:7946"), State: mesh.StateAlive, Meta: map[string]string{"role": "api"}},
	}}
}

type env struct {
	node     *fakeNode
	srv      *httptest.Server
	left     chan struct{}
	reloads  int
	leaving  bool
	mu       sync.Mutex
	reloadFn func() error
}

func start(t *testing.T, token string) *env {
	e := &env{node: newNode(), left: make(chan struct{}, 1)}
	h := api.NewHandler(api.Options{
		Node:    e.node,
		Context: t.Context(),
		BootID:  "b00t",
		Token:   token,
		Leave:   func(context.Context) error { e.left <- struct{}{}; return nil },
		Reload: func() error {
			e.mu.Lock()
			defer e.mu.Unlock()
			e.reloads++
			if e.reloadFn != nil {
				return e.reloadFn()
			}
			return nil
		},
		Leaving:   func() bool { e.mu.Lock(); defer e.mu.Unlock(); return e.leaving },
		Metrics:   http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) { w.Write([]byte("# metrics\n")) }),
		KeepAlive: 50 * time.Millisecond,
	})
	e.srv = httptest.NewServer(h)
	t.Cleanup(e.srv.Close)
	return e
}

func (e *env) addr() string { return strings.TrimPrefix(e.srv.URL, "http://") }

func TestMembersContract(t *testing.T) {
	e := start(t, "")
	// The raw JSON is the contract: check field names, not just our decoder.
	resp, err := http.Get(e.srv.URL + "/v1/members")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var raw []map[string]any
	if err := json.NewDecoder(resp.Body).Decode(&raw); err != nil {
		t.Fatal(err)
	}
	if len(raw) != 2 || raw[0]["name"] != "n1" || raw[0]["addr"] != "127.0.0.2:7946" || raw[0]["state"] != "alive" ||
		raw[1]["state"] != "dead" || raw[1]["incarnation"] != float64(2) {
		t.Fatalf("members JSON %v", raw)
	}
	if _, ok := raw[1]["meta"].(map[string]any); !ok {
		t.Fatalf("meta of a member without metadata is %v, want {}", raw[1]["meta"])
	}
	ms, err := New(e.addr(), "").Members(context.Background())
	if err != nil || len(ms) != 2 || ms[0].Meta["role"] != "api" {
		t.Fatalf("client Members: %v %v", ms, err)
	}
}

func TestHealth(t *testing.T) {
	e := start(t, "")
	c := New(e.srv.URL, "")
	h, err := c.Health(context.Background())
	// The counts are those of the member list: 2 members, 1 alive, 1 dead.
	if err != nil || h.Status != "ok" || h.Name != "n2" || h.Members != 2 || h.Alive != 1 ||
		fmt.Sprint(h.States) != "map[alive:1 dead:1 left:0 suspect:0]" {
		t.Fatalf("health %+v %v", h, err)
	}
	e.mu.Lock()
	e.leaving = true
	e.mu.Unlock()
	_, err = c.Health(context.Background())
	var se *StatusError
	if !errors.As(err, &se) || se.Code != http.StatusServiceUnavailable {
		t.Fatalf("health while leaving: %v", err)
	}
}

func TestJoinLeaveReload(t *testing.T) {
	e := start(t, "")
	c := New(e.addr(), "")
	ctx := context.Background()
	n, err := c.Join(ctx, []string{"127.0.0.9:7946", "127.0.0.10:7946"})
	if err != nil || n != 2 || !slices.Equal(e.node.joined, []string{"127.0.0.9:7946", "127.0.0.10:7946"}) {
		t.Fatalf("join %d %v %v", n, err, e.node.joined)
	}
	e.node.joinErr = errors.New("no answer")
	if _, err := c.Join(ctx, []string{"127.0.0.11:7946"}); err == nil || !strings.Contains(err.Error(), "no answer") {
		t.Fatalf("failed join: %v", err)
	}
	if _, err := c.Join(ctx, nil); err == nil || !strings.Contains(err.Error(), "empty") {
		t.Fatalf("empty join: %v", err)
	}
	if err := c.Leave(ctx); err != nil {
		t.Fatal(err)
	}
	select {
	case <-e.left:
	default:
		t.Fatal("leave hook not called")
	}
	if err := c.Reload(ctx); err != nil || e.reloads != 1 {
		t.Fatalf("reload: %v (%d)", err, e.reloads)
	}
	e.reloadFn = func() error { return errors.New("key file /k: line 2: not a base64 key") }
	if err := c.Reload(ctx); err == nil || !strings.Contains(err.Error(), "line 2") {
		t.Fatalf("failed reload: %v", err)
	}
	// Wrong methods are refused by the router.
	resp, err := http.Get(e.srv.URL + "/v1/leave")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusMethodNotAllowed {
		t.Fatalf("GET /v1/leave: %d", resp.StatusCode)
	}
}

func TestTokenGuardsMutatingEndpoints(t *testing.T) {
	e := start(t, "s3cret")
	ctx := context.Background()
	anon := New(e.addr(), "")
	if _, err := anon.Members(ctx); err != nil {
		t.Fatalf("reads need no token: %v", err)
	}
	for name, call := range map[string]func() error{
		"join":   func() error { _, err := anon.Join(ctx, []string{"a:1"}); return err },
		"leave":  func() error { return anon.Leave(ctx) },
		"reload": func() error { return anon.Reload(ctx) },
	} {
		var se *StatusError
		if err := call(); !errors.As(err, &se) || se.Code != http.StatusUnauthorized || !strings.Contains(err.Error(), "MESHD_HTTP_TOKEN") {
			t.Errorf("%s without token: %v", name, err)
		}
	}
	if err := New(e.addr(), "wrong").Reload(ctx); err == nil {
		t.Error("wrong token accepted")
	}
	if err := New(e.addr(), "s3cret").Reload(ctx); err != nil {
		t.Errorf("right token refused: %v", err)
	}
}

func TestEventsStream(t *testing.T) {
	e := start(t, "")
	c := New(e.addr(), "")
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	// Published before the stream connects: a stream that resumes after
	// event 0 of this run (Last-Event-ID b00t-0) gets them all.
	at := time.Date(2025, 1, 2, 3, 4, 5, 0, time.UTC)
	e.node.waitSubscribed(t)
	e.node.publish(mesh.Event{Type: mesh.EventJoin, At: at, Member: e.node.members[1]})
	e.node.publish(mesh.Event{Type: mesh.EventFail, At: at, Member: e.node.members[0]})
	type got struct {
		ev api.Event
		id string
	}
	evs := make(chan got, 8)
	done := make(chan error, 1)
	go func() {
		_, err := c.EventsAfter(ctx, "b00t-0", func(ev api.Event, id string) error { evs <- got{ev, id}; return nil }, nil)
		done <- err
	}()
	for i, want := range []string{"b00t-1 join n1 alive", "b00t-2 fail n2 dead"} {
		select {
		case g := <-evs:
			if s := g.id + " " + g.ev.Type + " " + g.ev.Name + " " + g.ev.State; s != want || !g.ev.At.Equal(at) {
				t.Fatalf("event %d: %s at %v, want %s", i, s, g.ev.At, want)
			}
		case <-time.After(10 * time.Second):
			t.Fatalf("event %d (%s) not received", i, want)
		}
	}
	time.Sleep(120 * time.Millisecond) // a keepalive goes by in between
	e.node.publish(mesh.Event{Type: mesh.EventUpdate, At: at, Member: e.node.members[1]})
	select {
	case g := <-evs:
		if g.id != "b00t-3" || g.ev.Type != "update" {
			t.Fatalf("live event: %s %s", g.id, g.ev.Type)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("live event not received")
	}
	cancel()
	if err := <-done; err != nil {
		t.Fatalf("Events after cancel: %v", err)
	}
}

func TestEventStreamLimit(t *testing.T) {
	node := newNode()
	srv := httptest.NewServer(api.NewHandler(api.Options{Node: node, MaxStreams: 1, Context: t.Context()}))
	defer srv.Close()
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	first, err := http.NewRequestWithContext(ctx, "GET", srv.URL+"/v1/events", nil)
	if err != nil {
		t.Fatal(err)
	}
	resp, err := http.DefaultClient.Do(first)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	second, err := http.Get(srv.URL + "/v1/events")
	if err != nil {
		t.Fatal(err)
	}
	second.Body.Close()
	if second.StatusCode != http.StatusServiceUnavailable {
		t.Fatalf("second stream: %d, want 503", second.StatusCode)
	}
}

func TestNoAgentError(t *testing.T) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	l.Close()
	_, err = New(addr, "").Members(context.Background())
	if !errors.Is(err, ErrNoAgent) || !strings.Contains(err.Error(), addr) || !strings.Contains(err.Error(), "MESHD_HTTP") {
		t.Fatalf("error %v, want ErrNoAgent naming %s", err, addr)
	}
}
