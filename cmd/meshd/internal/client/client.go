// Package client is the HTTP client the meshd CLI (members, join, leave,
// events, keys) uses to talk to the local agent's API. Its errors say what
// to do: which agent address was tried and which setting changes it.
package client

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"strings"
	"syscall"
	"time"

	"github.com/meshd/meshd/cmd/meshd/internal/api"
)

// Client talks to one agent.
type Client struct {
	base  string // http://host:port
	addr  string // as the user gave it, for messages
	token string
	http  *http.Client
}

// maxBody bounds what is read from an answer (the member list of a large
// cluster fits many times over).
const maxBody = 64 << 20

// New returns a client for the agent at addr (HOST:PORT or an http(s) URL).
// token, when set, is sent as a bearer token.
func New(addr, token string) *Client {
	base := addr
	if !strings.Contains(addr, "://") {
		base = "http://" + addr
	}
	// No overall timeout: the event stream lasts; requests use contexts.
	return &Client{base: strings.TrimSuffix(base, "/"), addr: addr, token: token, http: &http.Client{}}
}

// do sends a request and decodes a JSON answer into out (if not nil).
func (c *Client) do(ctx context.Context, method, path string, body, out any) error {
	resp, err := c.send(ctx, method, path, body, nil)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	if out == nil {
		return nil
	}
	if err := json.NewDecoder(io.LimitReader(resp.Body, maxBody)).Decode(out); err != nil {
		return fmt.Errorf("agent at %s: bad answer to %s %s: %v", c.addr, method, path, err)
	}
	return nil
}

// send sends a request and returns a 2xx response; other statuses become
// errors carrying the agent's message.
func (c *Client) send(ctx context.Context, method, path string, body any, headers map[string]string) (*http.Response, error) {
	var rd io.Reader
	if body != nil {
		b, err := json.Marshal(body)
		if err != nil {
			return nil, err
		}
		rd = bytes.NewReader(b)
	}
	req, err := http.NewRequestWithContext(ctx, method, c.base+path, rd)
	if err != nil {
		return nil, fmt.Errorf("agent address %q: %v", c.addr, err)
	}
	for k, v := range headers {
		req.Header.Set(k, v)
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	if c.token != "" {
		req.Header.Set("Authorization", "Bearer "+c.token)
	}
	resp, err := c.http.Do(req)
	if err != nil {
		return nil, c.explain(err)
	}
	if resp.StatusCode/100 == 2 {
		return resp, nil
	}
	defer resp.Body.Close()
	var eb api.ErrorBody
	msg := resp.Status
	if json.NewDecoder(io.LimitReader(resp.Body, 64<<10)).Decode(&eb) == nil && eb.Error != "" {
		msg = eb.Error
	}
	if resp.StatusCode == http.StatusUnauthorized {
		// The agent speaks HTTP; say which setting of the CLI gives it.
		if c.token == "" {
			msg += " (give it with --http-token-file, --http-token or MESHD_HTTP_TOKEN)"
		} else {
			msg += " (check --http-token-file, --http-token or MESHD_HTTP_TOKEN)"
		}
	}
	return nil, &StatusError{Code: resp.StatusCode, Msg: fmt.Sprintf("agent at %s: %s", c.addr, msg)}
}

// StatusError is a non-2xx answer.
type StatusError struct {
	Code int
	Msg  string
}

func (e *StatusError) Error() string { return e.Msg }

// ErrNoAgent is wrapped by errors when nothing listens at the address.
var ErrNoAgent = errors.New("no agent")

func (c *Client) explain(err error) error {
	var ne net.Error
	switch {
	case errors.Is(err, syscall.ECONNREFUSED):
		return fmt.Errorf("%w at %s: is 'meshd agent' running? (set --http or MESHD_HTTP to its HTTP address)", ErrNoAgent, c.addr)
	case errors.Is(err, context.Canceled), errors.Is(err, context.DeadlineExceeded):
		return fmt.Errorf("agent at %s: %w", c.addr, err)
	case errors.As(err, &ne) && ne.Timeout():
		return fmt.Errorf("agent at %s: timed out", c.addr)
	}
	return fmt.Errorf("agent at %s: %v", c.addr, err)
}

// Members returns the agent's member list.
func (c *Client) Members(ctx context.Context) ([]api.Member, error) {
	return c.MembersWhere(ctx, api.MemberFilter{})
}

// MembersWhere returns the members the filter selects (the agent filters).
func (c *Client) MembersWhere(ctx context.Context, f api.MemberFilter) ([]api.Member, error) {
	path := "/v1/members"
	if q := f.Query().Encode(); q != "" {
		path += "?" + q
	}
	var ms []api.Member
	return ms, c.do(ctx, http.MethodGet, path, nil, &ms)
}

// Health returns the agent's health answer.
func (c *Client) Health(ctx context.Context) (api.Health, error) {
	var h api.Health
	return h, c.do(ctx, http.MethodGet, "/v1/health", nil, &h)
}

// Join asks the agent to join addrs and returns how many answered.
func (c *Client) Join(ctx context.Context, addrs []string) (int, error) {
	var r api.JoinResponse
	return r.Contacted, c.do(ctx, http.MethodPost, "/v1/join", api.JoinRequest{Addrs: addrs}, &r)
}

// Leave asks the agent to leave the cluster gracefully and exit.
func (c *Client) Leave(ctx context.Context) error {
	return c.do(ctx, http.MethodPost, "/v1/leave", struct{}{}, nil)
}

// Reload asks the agent to reload strategies, keyring and log level.
func (c *Client) Reload(ctx context.Context) error {
	return c.do(ctx, http.MethodPost, "/v1/reload", struct{}{}, nil)
}

// Events streams the agent's events to fn until ctx ends (nil), the agent
// closes the stream (an error saying so) or fn fails (its error).
func (c *Client) Events(ctx context.Context, fn func(api.Event) error) error {
	_, err := c.EventsAfter(ctx, "", func(ev api.Event, _ string) error { return fn(ev) }, nil)
	return err
}

// ErrStreamClosed is wrapped by EventsAfter's error when the agent ended
// the stream (it stopped or restarted).
var ErrStreamClosed = errors.New("closed the event stream")

// EventsAfter is Events resuming after the event with id lastID (as
// Last-Event-ID; "" for events from now on). fn gets each event with its
// id; missed, if not nil, gets the agent's notices of events it could not
// replay (without it they end the stream with an error). It returns the
// stream's last event id, to resume from.
func (c *Client) EventsAfter(ctx context.Context, lastID string, fn func(ev api.Event, id string) error, missed func(api.Missed) error) (string, error) {
	var headers map[string]string
	if lastID != "" {
		headers = map[string]string{"Last-Event-ID": lastID}
	}
	resp, err := c.send(ctx, http.MethodGet, "/v1/events", nil, headers)
	if err != nil {
		return lastID, err
	}
	defer resp.Body.Close()
	// Unblock the read when ctx ends.
	stop := context.AfterFunc(ctx, func() { resp.Body.Close() })
	defer stop()
	var fnErr error // fn's or missed's error, as opposed to the stream's
	last, err := api.ReadSSEEvents(resp.Body, func(e api.SSEEvent) (err error) {
		defer func() { fnErr = err }()
		if e.Type == "missed" {
			var m api.Missed
			if err := json.Unmarshal([]byte(e.Data), &m); err != nil {
				return fmt.Errorf("agent at %s: bad event %q: %v", c.addr, e.Type, err)
			}
			if missed == nil {
				return fmt.Errorf("agent at %s: %s", c.addr, m.Detail)
			}
			return missed(m)
		}
		var ev api.Event
		if err := json.Unmarshal([]byte(e.Data), &ev); err != nil {
			return fmt.Errorf("agent at %s: bad event %q: %v", c.addr, e.Type, err)
		}
		return fn(ev, e.LastID)
	})
	if last == "" {
		last = lastID
	}
	switch {
	case ctx.Err() != nil:
		return last, nil
	case err != nil && err == fnErr:
		return last, err
	case err != nil:
		return last, fmt.Errorf("agent at %s: the event stream broke (%v): %w", c.addr, err, ErrStreamClosed)
	}
	return last, fmt.Errorf("agent at %s %w", c.addr, ErrStreamClosed)
}

// WaitHealthy polls the health endpoint until it answers 200 or ctx ends.
func (c *Client) WaitHealthy(ctx context.Context) error {
	for {
		_, err := c.Health(ctx)
		if err == nil {
			return nil
		}
		select {
		case <-ctx.Done():
			return err
		case <-time.After(100 * time.Millisecond):
		}
	}
}
