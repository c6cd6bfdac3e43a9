package kubernetes

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"net"
	"net/http"
	"net/url"
	"os"
	"strconv"
	"strings"
	"sync"
	"time"
	"unicode"
)

// resource names the API collection a mode lists, for URLs and for the RBAC
// hint of a 403.
type resource struct {
	group   string // "" for the core group
	version string
	name    string // plural
}

func resourceFor(mode string) resource {
	switch mode {
	case ModeEndpoints:
		return resource{version: "v1", name: "endpoints"}
	case ModePods:
		return resource{version: "v1", name: "pods"}
	default:
		return resource{group: "discovery.k8s.io", version: "v1", name: "endpointslices"}
	}
}

func (r resource) path(ns string) string {
	prefix := "/api/" + r.version
	if r.group != "" {
		prefix = "/apis/" + r.group + "/" + r.version
	}
	return prefix + "/namespaces/" + url.PathEscape(ns) + "/" + r.name
}

// String is the resource as kubectl and RBAC errors spell it.
func (r resource) String() string {
	if r.group == "" {
		return r.name
	}
	return r.name + "." + r.group
}

// parseServerURL checks an api_server value.
func parseServerURL(s string) (*url.URL, error) {
	u, err := url.Parse(s)
	if err != nil {
		return nil, fmt.Errorf("kubernetes: api_server %q: %v", s, err)
	}
	if (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" {
		return nil, fmt.Errorf("kubernetes: api_server %q: want https://HOST[:PORT] or http://HOST[:PORT]", s)
	}
	if u.RawQuery != "" || u.Fragment != "" || u.User != nil {
		return nil, fmt.Errorf("kubernetes: api_server %q: no query, fragment or user info allowed", s)
	}
	u.Path = strings.TrimSuffix(u.Path, "/")
	return u, nil
}

// client talks to the API server. Safe for concurrent use.
type client struct {
	base      *url.URL
	tokenFile string
	caFile    string

	mu     sync.Mutex
	caStat fs.FileInfo // of the loaded CA file; nil when none was loaded
	tr     *http.Transport
}

func newClient(base *url.URL, tokenFile, caFile string) *client {
	return &client{base: base, tokenFile: tokenFile, caFile: caFile}
}

// transport returns the HTTP transport, rebuilt when the CA file changed
// (the kube-root-ca.crt projection is updated in place when the cluster CA
// rotates).
func (c *client) transport() (*http.Transport, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.base.Scheme != "https" {
		if c.tr == nil {
			c.tr = newTransport(nil)
		}
		return c.tr, nil
	}
	st, err := os.Stat(c.caFile)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		// Out of cluster with a publicly trusted endpoint: system roots.
		if c.tr == nil || c.caStat != nil {
			c.closeLocked()
			c.tr, c.caStat = newTransport(&tls.Config{MinVersion: tls.VersionTLS12}), nil
		}
		return c.tr, nil
	case err != nil:
		return nil, fmt.Errorf("kubernetes: ca_file: %w", err)
	}
	if c.tr != nil && c.caStat != nil && st.ModTime().Equal(c.caStat.ModTime()) && st.Size() == c.caStat.Size() {
		return c.tr, nil
	}
	if st.Size() > maxErrorBytes*16 {
		return nil, fmt.Errorf("kubernetes: ca_file %s is %d bytes, limit %d", c.caFile, st.Size(), maxErrorBytes*16)
	}
	pem, err := os.ReadFile(c.caFile)
	if err != nil {
		return nil, fmt.Errorf("kubernetes: ca_file: %w", err)
	}
	pool := x509.NewCertPool()
	if !pool.AppendCertsFromPEM(pem) {
		return nil, fmt.Errorf("kubernetes: ca_file %s holds no PEM certificate", c.caFile)
	}
	c.closeLocked()
	c.tr = newTransport(&tls.Config{RootCAs: pool, MinVersion: tls.VersionTLS12})
	c.caStat = st
	return c.tr, nil
}

func newTransport(tc *tls.Config) *http.Transport {
	return &http.Transport{
		Proxy:                 nil, // the API server is reached directly, never via HTTP_PROXY
		DialContext:           (&net.Dialer{Timeout: 10 * time.Second, KeepAlive: 30 * time.Second}).DialContext,
		TLSClientConfig:       tc,
		ForceAttemptHTTP2:     true,
		MaxIdleConns:          2,
		IdleConnTimeout:       90 * time.Second,
		TLSHandshakeTimeout:   10 * time.Second,
		ResponseHeaderTimeout: 30 * time.Second,
	}
}

func (c *client) closeLocked() {
	if c.tr != nil {
		c.tr.CloseIdleConnections()
	}
}

// close releases idle connections so that no goroutine outlives Run.
func (c *client) close() {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.closeLocked()
}

// token reads the bearer token on every request: bound ServiceAccount
// tokens are rotated by the kubelet, and a cached one expires.
func (c *client) token() (string, error) {
	f, err := os.Open(c.tokenFile)
	if errors.Is(err, fs.ErrNotExist) {
		return "", nil // no token: kubectl proxy, or anonymous access
	}
	if err != nil {
		return "", fmt.Errorf("kubernetes: token_file: %w", err)
	}
	defer f.Close()
	b, err := io.ReadAll(io.LimitReader(f, 64<<10+1))
	if err != nil {
		return "", fmt.Errorf("kubernetes: token_file: %w", err)
	}
	if len(b) > 64<<10 {
		return "", fmt.Errorf("kubernetes: token_file %s is larger than 64 KiB", c.tokenFile)
	}
	t := strings.TrimSpace(string(b))
	if strings.ContainsAny(t, "\r\n\x00") {
		return "", fmt.Errorf("kubernetes: token_file %s holds more than one line", c.tokenFile)
	}
	return t, nil
}

// get sends a GET for path with query. A non-2xx answer is returned as an
// *apiError with the body closed. The caller closes a 2xx body.
func (c *client) get(ctx context.Context, path string, q url.Values, verb string, res resource, ns string) (*http.Response, error) {
	tr, err := c.transport()
	if err != nil {
		return nil, err
	}
	tok, err := c.token()
	if err != nil {
		return nil, err
	}
	u := *c.base
	u.Path += path
	u.RawQuery = q.Encode()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u.String(), nil)
	if err != nil {
		return nil, fmt.Errorf("kubernetes: %w", err)
	}
	req.Header.Set("Accept", "application/json")
	req.Header.Set("User-Agent", "meshd-kubernetes-strategy")
	if tok != "" {
		req.Header.Set("Authorization", "Bearer "+tok)
	}
	resp, err := tr.RoundTrip(req)
	if err != nil {
		return nil, fmt.Errorf("kubernetes: %s %s: %w", verb, res, err)
	}
	if resp.StatusCode/100 == 2 {
		return resp, nil
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(io.LimitReader(resp.Body, maxErrorBytes))
	return nil, newAPIError(resp.StatusCode, body, verb, res, ns, c.tokenFile, tok == "")
}

// apiError is a non-2xx answer of the API server.
type apiError struct {
	code      int
	st        status
	verb      string
	res       resource
	namespace string
	tokenFile string
	noToken   bool
}

func newAPIError(code int, body []byte, verb string, res resource, ns, tokenFile string, noToken bool) *apiError {
	e := &apiError{code: code, verb: verb, res: res, namespace: ns, tokenFile: tokenFile, noToken: noToken}
	if json.Unmarshal(body, &e.st) != nil || e.st.Kind != "Status" {
		e.st = status{Message: oneLine(string(body), 200)}
	}
	e.st.Message, e.st.Reason = oneLine(e.st.Message, 500), oneLine(e.st.Reason, 64)
	return e
}

// oneLine makes server-supplied text safe for a single log line: valid
// UTF-8, control characters as spaces, at most n bytes.
func oneLine(s string, n int) string {
	s = strings.Map(func(r rune) rune {
		if unicode.IsControl(r) {
			return ' '
		}
		return r
	}, strings.ToValidUTF8(s, "?"))
	return strings.TrimSpace(truncate(s, n))
}

// isAuth reports a 401 or 403: the list is kept, and one line says what
// permission is missing.
func (e *apiError) isAuth() bool {
	return e.code == http.StatusUnauthorized || e.code == http.StatusForbidden
}

// Error is the one clear line the strategy logs: for a 403 it names the RBAC
// verb, resource and API group to grant, for a 401 the token file.
func (e *apiError) Error() string {
	switch e.code {
	case http.StatusForbidden:
		group := e.res.group
		if group == "" {
			group = `"" (core)`
		} else {
			group = strconv.Quote(group)
		}
		return fmt.Sprintf("kubernetes: 403 Forbidden: RBAC does not allow verb %q on resource %q in apiGroup %s in namespace %q; grant it in a Role bound to this pod's ServiceAccount (see deploy/kubernetes/rbac.yaml); server said: %s",
			e.verb, e.res.name, group, e.namespace, e.st.Message)
	case http.StatusUnauthorized:
		if e.noToken {
			return fmt.Sprintf("kubernetes: 401 Unauthorized: no token was sent (%s is missing); mount a ServiceAccount token or set token_file", e.tokenFile)
		}
		return fmt.Sprintf("kubernetes: 401 Unauthorized: the API server rejected the token in %s (expired, revoked, or from another cluster); server said: %s", e.tokenFile, e.st.Message)
	}
	return fmt.Sprintf("kubernetes: %s %s in namespace %q: HTTP %d %s: %s", e.verb, e.res, e.namespace, e.code, e.st.Reason, e.st.Message)
}
