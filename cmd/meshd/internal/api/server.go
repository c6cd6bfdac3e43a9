package api

import (
	"context"
	"crypto/subtle"
	"encoding/json"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"net/netip"
	"net/url"
	"slices"
	"strings"
	"sync/atomic"
	"time"

	"github.com/meshd/meshd/mesh"
)

// Node is the part of the engine the API reads; *mesh.Mesh implements it.
type Node interface {
	Members() []mesh.Member
	Local() mesh.Member
	Subscribe() (<-chan mesh.Event, func())
	Join(ctx context.Context, addrs ...string) (int, error)
}

// Options configure the API handler.
type Options struct {
	Node    Node
	Metrics http.Handler // serves /metrics
	// Token, when set, is required as a bearer token by POST endpoints.
	Token string
	// Leave leaves the cluster gracefully; the agent exits afterwards.
	Leave func(ctx context.Context) error
	// Reload re-reads strategies, keyring and log level.
	Reload func() error
	// Leaving reports that the agent is leaving (health turns 503).
	Leaving func() bool
	Logger  *slog.Logger
	// Context bounds the handler's own work (the event log's subscription
	// to Node). Default: until Node closes the subscription.
	Context context.Context
	// BootID names this run of the agent in event ids. Default: random.
	BootID string
	// Replay is how many recent events are kept for streams that
	// reconnect with Last-Event-ID. Default DefaultReplay.
	Replay int
	// KeepAlive is the interval of SSE comments that keep proxies and
	// load balancers from closing an idle stream. Default 15s.
	KeepAlive time.Duration
	// MaxStreams bounds concurrent /v1/events clients. Default 64.
	MaxStreams int
	// JoinTimeout bounds a POST /v1/join. Default 10s.
	JoinTimeout time.Duration
}

type server struct {
	Options
	streams atomic.Int64
	log     *eventLog
}

// route is one endpoint: its method and path, and whether it changes the
// agent (then it needs the token and a request from no foreign page).
type route struct {
	method, path string
	mutating     bool
	h            http.HandlerFunc
}

// NewHandler returns the API's handler.
func NewHandler(o Options) http.Handler {
	if o.KeepAlive <= 0 {
		o.KeepAlive = 15 * time.Second
	}
	if o.MaxStreams <= 0 {
		o.MaxStreams = 64
	}
	if o.JoinTimeout <= 0 {
		o.JoinTimeout = 10 * time.Second
	}
	if o.Logger == nil {
		o.Logger = slog.Default()
	}
	if o.Context == nil {
		o.Context = context.Background()
	}
	if o.BootID == "" {
		o.BootID = NewBootID()
	}
	if o.Replay <= 0 {
		o.Replay = DefaultReplay
	}
	s := &server{Options: o, log: newEventLog(o.BootID, o.Replay)}
	ch, cancel := o.Node.Subscribe()
	go s.log.run(o.Context, ch, cancel)

	routes := []route{
		{"GET", "/v1/members", false, s.members},
		{"GET", "/v1/events", false, s.events},
		{"GET", "/v1/health", false, s.health},
		{"POST", "/v1/join", true, s.join},
		{"POST", "/v1/leave", true, s.leave},
		{"POST", "/v1/reload", true, s.reload},
	}
	if o.Metrics != nil {
		routes = append(routes, route{"GET", "/metrics", false, o.Metrics.ServeHTTP})
	}
	mux := http.NewServeMux()
	allowed := map[string][]string{}
	for _, rt := range routes {
		h := rt.h
		if rt.mutating {
			h = s.guard(s.auth(h))
		}
		mux.HandleFunc(rt.method+" "+rt.path, h)
		allowed[rt.path] = append(allowed[rt.path], rt.method)
	}
	// What no route takes answers in JSON too: 405 with Allow for a known
	// path, 404 for any other.
	mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		if methods, ok := allowed[r.URL.Path]; ok {
			if slices.Contains(methods, "GET") {
				methods = append(methods, "HEAD")
			}
			w.Header().Set("Allow", strings.Join(methods, ", "))
			writeError(w, http.StatusMethodNotAllowed, "%s %s: method not allowed (allowed: %s)", r.Method, r.URL.Path, strings.Join(methods, ", "))
			return
		}
		writeError(w, http.StatusNotFound, "%s: no such endpoint (the API: GET /v1/members, /v1/events, /v1/health, /metrics; POST /v1/join, /v1/leave, /v1/reload)", r.URL.Path)
	})
	return mux
}

func writeJSON(w http.ResponseWriter, code int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(code)
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	_ = enc.Encode(v)
}

func writeError(w http.ResponseWriter, code int, format string, args ...any) {
	writeJSON(w, code, ErrorBody{Error: fmt.Sprintf(format, args...)})
}

// auth requires the bearer token, when one is configured. Its messages
// speak HTTP: the CLI adds which of its settings gives the token.
func (s *server) auth(h http.HandlerFunc) http.HandlerFunc {
	if s.Token == "" {
		return h
	}
	want := []byte("Bearer " + s.Token)
	return func(w http.ResponseWriter, r *http.Request) {
		got := r.Header.Get("Authorization")
		if subtle.ConstantTimeCompare([]byte(got), want) != 1 {
			w.Header().Set("WWW-Authenticate", `Bearer realm="meshd"`)
			msg := "this endpoint needs the agent's token: Authorization: Bearer TOKEN"
			if got != "" {
				msg = "the bearer token is not this agent's"
			}
			writeError(w, http.StatusUnauthorized, "%s", msg)
			return
		}
		h(w, r)
	}
}

// guard refuses requests to mutating endpoints that a web page made. A
// page of another origin sends its Origin: any site the user visits could
// otherwise POST to 127.0.0.1:7947/v1/leave. A page can also rebind a DNS
// name of its own to 127.0.0.1 and then be "same-origin" with the agent;
// its requests then carry that name as Host, so without a token (whose
// secret such a page does not know) the agent must be named by an IP
// address or "localhost", as meshd's CLI and curl name it.
func (s *server) guard(h http.HandlerFunc) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		if o := r.Header.Get("Origin"); o != "" && !sameOrigin(o, r.Host) {
			writeError(w, http.StatusForbidden, "request from the web page %s refused: this endpoint takes requests from tools such as meshd and curl, not from web pages of other origins", o)
			return
		}
		if s.Token == "" && !addressHost(r.Host) {
			writeError(w, http.StatusForbidden, "Host %q refused: without a token, name the agent by its IP address or localhost (a web page can point a name of its own at this agent)", r.Host)
			return
		}
		h(w, r)
	}
}

// sameOrigin reports whether an Origin header names the host:port the
// request was sent to (a page the agent itself served).
func sameOrigin(origin, host string) bool {
	u, err := url.Parse(origin)
	if err != nil || u.Host == "" || (u.Scheme != "http" && u.Scheme != "https") {
		return false // "null" (sandboxed pages, files) and other oddities
	}
	return strings.EqualFold(u.Host, host)
}

// addressHost reports whether a Host header names an IP address or
// localhost, with or without a port.
func addressHost(host string) bool {
	h := host
	if hp, _, err := net.SplitHostPort(host); err == nil {
		h = hp
	}
	h = strings.TrimSuffix(strings.TrimPrefix(h, "["), "]")
	if _, err := netip.ParseAddr(h); err == nil {
		return true
	}
	return strings.EqualFold(h, "localhost")
}

func (s *server) members(w http.ResponseWriter, r *http.Request) {
	f, err := ParseMemberFilter(r.URL.Query())
	if err != nil {
		writeError(w, http.StatusBadRequest, "%v", err)
		return
	}
	ms := slices.DeleteFunc(s.Node.Members(), func(m mesh.Member) bool { return !f.Match(m) })
	writeJSON(w, http.StatusOK, FromMembers(ms))
}

func (s *server) health(w http.ResponseWriter, r *http.Request) {
	ms := s.Node.Members()
	states := map[string]int{}
	for _, st := range []mesh.State{mesh.StateAlive, mesh.StateSuspect, mesh.StateDead, mesh.StateLeft} {
		states[st.String()] = 0
	}
	for _, m := range ms {
		states[m.State.String()]++
	}
	h := Health{Status: "ok", Name: s.Node.Local().Name, Members: len(ms), Alive: states["alive"], States: states}
	code := http.StatusOK
	if s.Leaving != nil && s.Leaving() {
		h.Status, code = "leaving", http.StatusServiceUnavailable
	}
	writeJSON(w, code, h)
}

func (s *server) join(w http.ResponseWriter, r *http.Request) {
	addrs, err := ParseJoinRequest(http.MaxBytesReader(w, r.Body, MaxJoinBody+1))
	if err != nil {
		writeError(w, http.StatusBadRequest, "%v", err)
		return
	}
	ctx, cancel := context.WithTimeout(r.Context(), s.JoinTimeout)
	defer cancel()
	n, err := s.Node.Join(ctx, addrs...)
	if err != nil && n == 0 {
		// The engine's error names the addresses (once); the caller
		// knows the list it sent.
		writeError(w, http.StatusBadGateway, "%s", joinProblem(err))
		return
	}
	s.Logger.Info("joined through the API", "addrs", addrs, "contacted", n)
	writeJSON(w, http.StatusOK, JoinResponse{Contacted: n})
}

func (s *server) leave(w http.ResponseWriter, r *http.Request) {
	if s.Leave == nil {
		writeError(w, http.StatusNotImplemented, "leave is not available")
		return
	}
	if err := s.Leave(r.Context()); err != nil {
		writeError(w, http.StatusInternalServerError, "leave: %v", err)
		return
	}
	writeJSON(w, http.StatusOK, map[string]bool{"left": true})
}

func (s *server) reload(w http.ResponseWriter, r *http.Request) {
	if s.Reload == nil {
		writeError(w, http.StatusNotImplemented, "reload is not available")
		return
	}
	if err := s.Reload(); err != nil {
		writeError(w, http.StatusInternalServerError, "reload: %v", err)
		return
	}
	writeJSON(w, http.StatusOK, map[string]bool{"reloaded": true})
}

// events streams membership events as Server-Sent Events until the client
// goes away or the server shuts down (the request context ends). Each
// event's id is BOOT-SEQ; a client that reconnects with Last-Event-ID gets
// every kept event after that one, or a "missed" event first when some are
// no longer kept (see eventLog.resume). A client that reads slower than
// events come falls behind the log, never blocks it, and is told how many
// it missed.
func (s *server) events(w http.ResponseWriter, r *http.Request) {
	if n := s.streams.Add(1); n > int64(s.MaxStreams) {
		s.streams.Add(-1)
		writeError(w, http.StatusServiceUnavailable, "too many event streams (%d)", s.MaxStreams)
		return
	}
	defer s.streams.Add(-1)
	cursor, notice := s.log.resume(r.Header.Get("Last-Event-ID"))

	rc := http.NewResponseController(w)
	h := w.Header()
	h.Set("Content-Type", "text/event-stream")
	h.Set("Cache-Control", "no-cache")
	h.Set("X-Accel-Buffering", "no") // nginx: do not buffer the stream
	w.WriteHeader(http.StatusOK)

	// A client that stops reading must not hold this goroutine forever.
	send := func(format string, args ...any) bool {
		_ = rc.SetWriteDeadline(time.Now().Add(30 * time.Second))
		if _, err := fmt.Fprintf(w, format, args...); err != nil {
			return false
		}
		return rc.Flush() == nil
	}
	missed := func(m *Missed) bool {
		data, _ := json.Marshal(m)
		// No id: the client's last id stays the last event it got.
		return send("event: missed\ndata: %s\n\n", data)
	}
	if !send(": meshd events\nretry: 2000\n\n") {
		return
	}
	if notice != nil && !missed(notice) {
		return
	}
	// The stream's position, as an id without data: a client that
	// reconnects before any event comes resumes from here, not from the
	// moment it reconnects.
	if !send("id: %s\n\n", s.log.id(cursor)) {
		return
	}
	tick := time.NewTicker(s.KeepAlive)
	defer tick.Stop()
	for {
		evs, wait := s.log.after(cursor)
		for _, n := range evs {
			if lost := n.seq - cursor - 1; lost > 0 && notice == nil {
				if !missed(&Missed{Type: "missed", Reason: MissedOverflow, Count: lost,
					Detail: fmt.Sprintf("%d events before %s are no longer kept (the agent keeps the last %d, and replaces older events about a member by newer ones when it falls behind); re-read GET /v1/members", lost, s.log.id(n.seq), s.Replay)}) {
					return
				}
			}
			// After a notice, every kept event follows without another.
			notice = nil
			data, err := json.Marshal(FromEvent(n.ev))
			if err != nil {
				continue
			}
			if !send("id: %s\nevent: %s\ndata: %s\n\n", s.log.id(n.seq), n.ev.Type, data) {
				return
			}
			cursor = n.seq
		}
		select {
		case <-r.Context().Done():
			return
		case <-s.Context.Done():
			return
		case <-tick.C:
			if !send(": keepalive\n\n") {
				return
			}
		case <-wait:
		}
	}
}
