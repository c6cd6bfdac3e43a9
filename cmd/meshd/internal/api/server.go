package api

import (
	"context"
	"crypto/subtle"
	"encoding/json"
	"fmt"
	"log/slog"
	"net/http"
	"strconv"
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
	nextID  atomic.Uint64
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
	s := &server{Options: o}
	mux := http.NewServeMux()
	mux.HandleFunc("GET /v1/members", s.members)
	mux.HandleFunc("GET /v1/events", s.events)
	mux.HandleFunc("GET /v1/health", s.health)
	if o.Metrics != nil {
		mux.Handle("GET /metrics", o.Metrics)
	}
	mux.HandleFunc("POST /v1/join", s.auth(s.join))
	mux.HandleFunc("POST /v1/leave", s.auth(s.leave))
	mux.HandleFunc("POST /v1/reload", s.auth(s.reload))
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

// auth requires the bearer token, when one is configured.
func (s *server) auth(h http.HandlerFunc) http.HandlerFunc {
	if s.Token == "" {
		return h
	}
	want := []byte("Bearer " + s.Token)
	return func(w http.ResponseWriter, r *http.Request) {
		if subtle.ConstantTimeCompare([]byte(r.Header.Get("Authorization")), want) != 1 {
			w.Header().Set("WWW-Authenticate", `Bearer realm="meshd"`)
			writeError(w, http.StatusUnauthorized, "this endpoint needs the agent's token: Authorization: Bearer TOKEN (meshd: --http-token or MESHD_HTTP_TOKEN)")
			return
		}
		h(w, r)
	}
}

func (s *server) members(w http.ResponseWriter, r *http.Request) {
	writeJSON(w, http.StatusOK, FromMembers(s.Node.Members()))
}

func (s *server) health(w http.ResponseWriter, r *http.Request) {
	alive := 0
	for _, m := range s.Node.Members() {
		if m.State == mesh.StateAlive {
			alive++
		}
	}
	h := Health{Status: "ok", Name: s.Node.Local().Name, Members: alive}
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
		writeError(w, http.StatusBadGateway, "join %v: %v", addrs, err)
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
// goes away or the server shuts down (the request context ends).
func (s *server) events(w http.ResponseWriter, r *http.Request) {
	if n := s.streams.Add(1); n > int64(s.MaxStreams) {
		s.streams.Add(-1)
		writeError(w, http.StatusServiceUnavailable, "too many event streams (%d)", s.MaxStreams)
		return
	}
	defer s.streams.Add(-1)

	ch, cancel := s.Node.Subscribe()
	defer cancel()
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
	if !send(": meshd events\nretry: 2000\n\n") {
		return
	}
	tick := time.NewTicker(s.KeepAlive)
	defer tick.Stop()
	for {
		select {
		case <-r.Context().Done():
			return
		case <-tick.C:
			if !send(": keepalive\n\n") {
				return
			}
		case ev, ok := <-ch:
			if !ok {
				return // the mesh stopped
			}
			data, err := json.Marshal(FromEvent(ev))
			if err != nil {
				continue
			}
			id := strconv.FormatUint(s.nextID.Add(1), 10)
			if !send("id: %s\nevent: %s\ndata: %s\n\n", id, ev.Type, data) {
				return
			}
		}
	}
}
