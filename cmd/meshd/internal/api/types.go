// Package api is meshd's HTTP API: the server the agent runs and the JSON
// shapes that the CLI (package client) and users' tools read.
//
//	GET  /v1/members  JSON array of {"name","addr","state","incarnation","meta"},
//	                  state alive|suspect|dead|left, sorted by name
//	GET  /v1/events   Server-Sent Events: "event: join|leave|fail|update|suspect|alive" and
//	                  "data: {"type","at","name","addr","state","incarnation","meta"}"
//	GET  /v1/health   200 {"status":"ok",...} while the agent runs, 503 while it leaves
//	GET  /metrics     Prometheus text exposition
//	POST /v1/join     body {"addrs":["HOST:PORT",...]}, answers {"contacted":N}
//	POST /v1/leave    graceful leave; the agent then exits
//	POST /v1/reload   as SIGHUP: strategies, keyring and log level from the config
//
// With a token configured, the POST endpoints need "Authorization: Bearer
// TOKEN"; reads stay open, as the API binds to loopback by default.
package api

import (
	"maps"
	"slices"
	"strings"
	"time"

	"github.com/meshd/meshd/mesh"
)

// Member is a member's JSON form (a contract: tools parse it).
type Member struct {
	Name        string            `json:"name"`
	Addr        string            `json:"addr"`
	State       string            `json:"state"`
	Incarnation uint64            `json:"incarnation"`
	Meta        map[string]string `json:"meta"`
}

// Event is an event's JSON form: its type and time, and the member.
type Event struct {
	Type string    `json:"type"`
	At   time.Time `json:"at"`
	Member
}

// FromMember converts an engine member. Meta is never null in JSON.
func FromMember(m mesh.Member) Member {
	meta := maps.Clone(m.Meta)
	if meta == nil {
		meta = map[string]string{}
	}
	return Member{Name: m.Name, Addr: m.Addr.String(), State: m.State.String(), Incarnation: m.Incarnation, Meta: meta}
}

// FromMembers converts and sorts by name.
func FromMembers(ms []mesh.Member) []Member {
	out := make([]Member, 0, len(ms))
	for _, m := range ms {
		out = append(out, FromMember(m))
	}
	slices.SortFunc(out, func(a, b Member) int { return strings.Compare(a.Name, b.Name) })
	return out
}

// FromEvent converts an engine event.
func FromEvent(e mesh.Event) Event {
	return Event{Type: e.Type.String(), At: e.At.UTC(), Member: FromMember(e.Member)}
}

// JoinRequest is the body of POST /v1/join.
type JoinRequest struct {
	Addrs []string `json:"addrs"`
}

// JoinResponse answers POST /v1/join.
type JoinResponse struct {
	Contacted int `json:"contacted"`
}

// Health answers GET /v1/health.
type Health struct {
	Status  string `json:"status"` // ok, leaving
	Name    string `json:"name"`
	Members int    `json:"members"` // alive members, this agent included
}

// ErrorBody is the body of every error answer.
type ErrorBody struct {
	Error string `json:"error"`
}
