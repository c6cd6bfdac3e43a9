// Package api is meshd's HTTP API: the server the agent runs and the JSON
// shapes that the CLI (package client) and users' tools read.
//
//	GET  /v1/members  JSON array of {"name","addr","state","incarnation","meta","since"},
//	                  state alive|suspect|dead|left, sorted by name; filters
//	                  ?state=alive,suspect &name=N &tag=KEY=VALUE (repeatable)
//	GET  /v1/events   Server-Sent Events: "id: BOOT-SEQ", "event: join|leave|fail|update|suspect|alive",
//	                  "data: {"type","at","name","addr","state","incarnation","meta","since"}";
//	                  Last-Event-ID resumes after that event, or sends "event: missed"
//	GET  /v1/health   200 {"status":"ok","name","members","alive","states"} while the
//	                  agent runs, 503 while it leaves
//	GET  /metrics     Prometheus text exposition
//	POST /v1/join     body {"addrs":["HOST:PORT",...]}, answers {"contacted":N}
//	POST /v1/leave    graceful leave; the agent then exits
//	POST /v1/reload   as SIGHUP: strategies, keyring and log level from the config
//
// With a token configured, the POST endpoints need "Authorization: Bearer
// TOKEN"; reads stay open, as the API binds to loopback by default. POST
// requests from a web page of another origin (Origin) are refused, and so
// are, without a token, requests that name the agent by a DNS name (Host),
// which is how a page rebinds a name of its own to 127.0.0.1. Every error,
// 404 and 405 included, is {"error":"..."}.
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
	// Since is when this agent saw the member enter its state (UTC).
	Since time.Time `json:"since,omitzero"`
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
	var since time.Time
	if !m.Since.IsZero() {
		since = m.Since.UTC()
	}
	return Member{Name: m.Name, Addr: m.Addr.String(), State: m.State.String(), Incarnation: m.Incarnation, Meta: meta, Since: since}
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

// Health answers GET /v1/health. Its counts come from the same member list
// as GET /v1/members: Members is that list's length, States counts it by
// state (every state always present).
type Health struct {
	Status  string         `json:"status"` // ok, leaving
	Name    string         `json:"name"`
	Members int            `json:"members"` // every known member, this agent included
	Alive   int            `json:"alive"`   // States["alive"]
	States  map[string]int `json:"states"`
}

// ErrorBody is the body of every error answer.
type ErrorBody struct {
	Error string `json:"error"`
}

// Reasons of a Missed notice.
const (
	MissedRestart   = "restart"    // the agent restarted since the client's last event
	MissedUnknownID = "unknown-id" // Last-Event-ID is not one this agent sent
	MissedOverflow  = "overflow"   // more events than the replay buffer passed
)

// Missed is the data of an SSE "missed" event: the stream could not give
// every event since the client's Last-Event-ID (or since it fell behind).
// Count is how many were lost, when known. The member list is then the
// truth to start again from.
type Missed struct {
	Type   string `json:"type"` // "missed"
	Reason string `json:"reason"`
	Count  uint64 `json:"count,omitempty"`
	Detail string `json:"detail"`
}
