package kubernetes

// Behaviour that a real API server will not show on demand (a proxy that
// refuses watches, an expired resource version, paging, a hanging server),
// tested against a scripted fake on 127.0.0.1.

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/json"
	"encoding/pem"
	"fmt"
	"io"
	"log"
	"log/slog"
	"math/big"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
)

// fakeAPI serves EndpointSlices of namespace "prod", one per page.
type fakeAPI struct {
	mu      sync.Mutex
	addrs   []string // one slice per address
	rv      int
	auth    []string // Authorization header of every request
	paths   []string
	lists   int
	watches int
	// watch decides how the n-th watch request (from 1) is answered; nil
	// means a stream that stays open until the client goes away.
	watch func(n int, w http.ResponseWriter, r *http.Request)
}

func (f *fakeAPI) set(addrs ...string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.addrs = addrs
	f.rv++
}

func sliceJSON(i int, addr string) map[string]any {
	return map[string]any{
		"metadata":    map[string]any{"name": "s" + strconv.Itoa(i), "namespace": "prod", "resourceVersion": "1"},
		"addressType": "IPv4",
		"endpoints":   []any{map[string]any{"addresses": []string{addr}, "conditions": map[string]any{"ready": true}}},
		"ports":       []any{map[string]any{"name": "gossip", "port": 7946}},
	}
}

func (f *fakeAPI) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	f.mu.Lock()
	f.auth = append(f.auth, r.Header.Get("Authorization"))
	f.paths = append(f.paths, r.URL.Path)
	if r.URL.Query().Get("watch") == "1" {
		f.watches++
		n, watch := f.watches, f.watch
		f.mu.Unlock()
		if watch != nil {
			watch(n, w, r)
			return
		}
		w.WriteHeader(200)
		w.(http.Flusher).Flush()
		<-r.Context().Done()
		return
	}
	defer f.mu.Unlock()
	if r.URL.Query().Get("continue") == "" {
		f.lists++ // complete lists, not pages
	}
	page, _ := strconv.Atoi(r.URL.Query().Get("continue"))
	list := map[string]any{"kind": "EndpointSliceList", "metadata": map[string]any{"resourceVersion": strconv.Itoa(f.rv)}, "items": []any{}}
	if page < len(f.addrs) {
		list["items"] = []any{sliceJSON(page, f.addrs[page])}
		if page+1 < len(f.addrs) {
			list["metadata"].(map[string]any)["continue"] = strconv.Itoa(page + 1)
		}
	}
	json.NewEncoder(w).Encode(list)
}

func (f *fakeAPI) counts() (lists, watches int) {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.lists, f.watches
}

// newFake starts f and returns a Config pointing at it.
func newFake(t *testing.T, f *fakeAPI, watch bool) (Config, *logs) {
	t.Helper()
	srv := httptest.NewServer(f)
	t.Cleanup(srv.Close)
	l := &logs{}
	return Config{
		APIServer: srv.URL, Namespace: "prod", Service: "meshd", Port: "gossip",
		TokenFile: filepath.Join(t.TempDir(), "token"), Watch: &watch,
		PollInterval: 50 * time.Millisecond, Timeout: 10 * time.Second, Logger: slog.New(l),
	}, l
}

func mustNew(t *testing.T, cfg Config) *Strategy {
	t.Helper()
	s, err := New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func TestPagedList(t *testing.T) {
	f := &fakeAPI{}
	f.set("10.0.0.1", "10.0.0.2", "10.0.0.3")
	cfg, _ := newFake(t, f, false)
	r := run(t, mustNew(t, cfg))
	r.waitSeeds(t, "10.0.0.1:7946", "10.0.0.2:7946", "10.0.0.3:7946")
	if first := r.snapshot()[0]; len(first) != 3 {
		t.Fatalf("first list %q is not the union of all pages", first)
	}
}

func TestWatchAppliesEvents(t *testing.T) {
	f := &fakeAPI{}
	f.set("10.0.0.1")
	events := make(chan string, 4)
	f.watch = func(n int, w http.ResponseWriter, r *http.Request) {
		w.WriteHeader(200)
		for {
			select {
			case ev := <-events:
				fmt.Fprintln(w, ev)
				w.(http.Flusher).Flush()
			case <-r.Context().Done():
				return
			}
		}
	}
	cfg, _ := newFake(t, f, true)
	s := mustNew(t, cfg)
	r := run(t, s)
	r.waitSeeds(t, "10.0.0.1:7946")
	add, _ := json.Marshal(map[string]any{"type": "ADDED", "object": sliceJSON(7, "10.0.0.7")})
	events <- string(add)
	r.waitSeeds(t, "10.0.0.1:7946", "10.0.0.7:7946")
	del, _ := json.Marshal(map[string]any{"type": "DELETED", "object": sliceJSON(0, "10.0.0.1")})
	events <- `{"type":"BOOKMARK","object":{"metadata":{"resourceVersion":"99"}}}`
	events <- string(del)
	r.waitSeeds(t, "10.0.0.7:7946")
	// Deleting the last one leaves an empty set: that keeps the last list.
	del, _ = json.Marshal(map[string]any{"type": "DELETED", "object": sliceJSON(7, "10.0.0.7")})
	events <- string(del)
	waitFor(t, "the empty update to be recorded", func() bool { return strings.Contains(s.Stats().LastError, "no addresses") })
	if !slices.Equal(r.last(), []string{"10.0.0.7:7946"}) {
		t.Fatalf("an empty set reached found: %q", r.last())
	}
	if lists, _ := f.counts(); lists != 1 {
		t.Fatalf("%d lists; watch events should need only the first", lists)
	}
}

func TestWatchRefusedFallsBackToPolling(t *testing.T) {
	for name, answer := range map[string]func(n int, w http.ResponseWriter, r *http.Request){
		"405": func(n int, w http.ResponseWriter, r *http.Request) {
			http.Error(w, `{"kind":"Status","code":405,"message":"watch not allowed here"}`, 405)
		},
		"a list instead of a stream": func(n int, w http.ResponseWriter, r *http.Request) {
			fmt.Fprint(w, `{"kind":"EndpointSliceList","metadata":{},"items":[]}`)
		},
		"streams that end at once": func(n int, w http.ResponseWriter, r *http.Request) {
			w.WriteHeader(200)
		},
	} {
		t.Run(name, func(t *testing.T) {
			f := &fakeAPI{watch: answer}
			f.set("10.0.0.1")
			cfg, logs := newFake(t, f, true)
			s := mustNew(t, cfg)
			r := run(t, s)
			r.waitSeeds(t, "10.0.0.1:7946")
			waitFor(t, "the fallback to polling", s.watchOff.Load)
			if len(logs.matching("watch not available, polling instead")) != 1 {
				t.Fatalf("want one line about the fallback:\n%s", logs)
			}
			_, watches := f.counts()
			f.set("10.0.0.1", "10.0.0.2")
			r.waitSeeds(t, "10.0.0.1:7946", "10.0.0.2:7946")
			if _, w := f.counts(); w != watches {
				t.Fatalf("still watching after the fallback: %d watches, then %d", watches, w)
			}
		})
	}
}

func TestWatchGoneListsAgain(t *testing.T) {
	f := &fakeAPI{}
	f.set("10.0.0.1")
	f.watch = func(n int, w http.ResponseWriter, r *http.Request) {
		if n == 1 {
			// The version expired while we were away: a 410 ERROR event.
			f.set("10.0.0.1", "10.0.0.2")
			w.WriteHeader(200)
			fmt.Fprintln(w, `{"type":"ERROR","object":{"kind":"Status","code":410,"reason":"Expired","message":"too old resource version"}}`)
			return
		}
		w.WriteHeader(200)
		<-r.Context().Done()
	}
	cfg, logs := newFake(t, f, true)
	s := mustNew(t, cfg)
	r := run(t, s)
	r.waitSeeds(t, "10.0.0.1:7946", "10.0.0.2:7946")
	if lists, _ := f.counts(); lists != 2 {
		t.Fatalf("%d lists, want 2 (one after the 410)", lists)
	}
	if s.Stats().Errors != 0 || len(logs.matching("WARN")) != 0 {
		t.Fatalf("a 410 is routine, yet it counted as an error: %+v\n%s", s.Stats(), logs)
	}
}

func TestTokenReadOnEveryRequest(t *testing.T) {
	f := &fakeAPI{}
	f.set("10.0.0.1")
	cfg, _ := newFake(t, f, false)
	r := run(t, mustNew(t, cfg))
	r.waitSeeds(t, "10.0.0.1:7946")
	seen := func(h string) bool {
		f.mu.Lock()
		defer f.mu.Unlock()
		return slices.Contains(f.auth, h)
	}
	if !seen("") {
		t.Fatal("without a token file a request should carry no Authorization header")
	}
	writeTokenFile(t, cfg.TokenFile, "first\n")
	waitFor(t, "the first token", func() bool { return seen("Bearer first") })
	writeTokenFile(t, cfg.TokenFile, "second")
	waitFor(t, "the rotated token", func() bool { return seen("Bearer second") })
}

func writeTokenFile(t *testing.T, path, tok string) {
	t.Helper()
	if err := os.WriteFile(path+".new", []byte(tok), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.Rename(path+".new", path); err != nil {
		t.Fatal(err)
	}
}

func TestNamespaceFromFile(t *testing.T) {
	f := &fakeAPI{}
	f.set("10.0.0.1")
	cfg, logs := newFake(t, f, false)
	cfg.Namespace = ""
	cfg.NamespaceFile = filepath.Join(t.TempDir(), "namespace")
	s := mustNew(t, cfg)
	r := run(t, s)
	waitFor(t, "an error naming the namespace file", func() bool {
		return strings.Contains(s.Stats().LastError, "namespace_file "+cfg.NamespaceFile+" does not exist")
	})
	os.WriteFile(cfg.NamespaceFile, []byte("Not A Namespace"), 0o600)
	waitFor(t, "an error about the content", func() bool { return strings.Contains(s.Stats().LastError, `holds "Not A Namespace"`) })
	os.WriteFile(cfg.NamespaceFile, []byte("team-a\n"), 0o600)
	r.waitSeeds(t, "10.0.0.1:7946")
	f.mu.Lock()
	last := f.paths[len(f.paths)-1]
	f.mu.Unlock()
	if last != "/apis/discovery.k8s.io/v1/namespaces/team-a/endpointslices" {
		t.Fatalf("listed %s", last)
	}
	if len(logs.matching("WARN")) != 1 {
		t.Fatalf("want one warning for the failure streak:\n%s", logs)
	}
}

// TestSlowServerDoesNotBlock: New sends nothing, Run's first list runs on
// Run's goroutine, and cancelling Run ends a list in flight.
func TestSlowServerDoesNotBlock(t *testing.T) {
	block := make(chan struct{})
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		select {
		case <-block:
		case <-r.Context().Done():
		}
	}))
	defer srv.Close()
	defer close(block)
	start := time.Now()
	s := mustNew(t, Config{APIServer: srv.URL, Namespace: "prod", Service: "meshd", TokenFile: "/nonexistent"})
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- s.Run(ctx, func([]string) { t.Error("found called") }) }()
	if d := time.Since(start); d > 5*time.Second {
		t.Fatalf("New and starting Run took %v", d)
	}
	time.Sleep(100 * time.Millisecond)
	cancel()
	select {
	case err := <-done:
		if err != nil {
			t.Fatal(err)
		}
	case <-time.After(30 * time.Second):
		t.Fatal("Run did not return after cancel while a list hung")
	}
}

func TestCAFileReloaded(t *testing.T) {
	f := &fakeAPI{}
	f.set("10.0.0.1")
	srv := httptest.NewUnstartedServer(f)
	srv.Config.ErrorLog = log.New(io.Discard, "", 0) // the refused handshakes are expected
	srv.StartTLS()
	defer srv.Close()
	dir := t.TempDir()
	ca := filepath.Join(dir, "ca.crt")
	writeCA := func(der []byte) {
		writeTokenFile(t, ca, string(pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der})))
	}
	writeCA(otherCA(t))
	l := &logs{}
	watch := false
	s := mustNew(t, Config{APIServer: srv.URL, Namespace: "prod", Service: "meshd", Port: "gossip",
		CAFile: ca, TokenFile: filepath.Join(dir, "token"), Watch: &watch,
		PollInterval: 50 * time.Millisecond, Logger: slog.New(l)})
	r := run(t, s)
	waitFor(t, "a certificate error", func() bool { return strings.Contains(s.Stats().LastError, "certificate") })
	// Make sure the rewritten file gets a different modification time even
	// on file systems with coarse timestamps.
	time.Sleep(20 * time.Millisecond)
	writeCA(srv.Certificate().Raw)
	r.waitSeeds(t, "10.0.0.1:7946")

	os.WriteFile(ca, []byte("garbage"), 0o600)
	waitFor(t, "an error naming the CA file", func() bool { return strings.Contains(s.Stats().LastError, "holds no PEM certificate") })
}

// otherCA returns a self-signed CA certificate that did not sign anything.
func otherCA(t *testing.T) []byte {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "unrelated CA"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour),
		IsCA: true, BasicConstraintsValid: true, KeyUsage: x509.KeyUsageCertSign,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	return der
}

// TestWatchResumesAfterServerTimeout: when the server ends a watch (its
// timeoutSeconds), the strategy watches again from the last resource
// version it saw, without listing again.
func TestWatchResumesAfterServerTimeout(t *testing.T) {
	f := &fakeAPI{}
	f.set("10.0.0.1")
	rvs := make(chan string, 8)
	f.watch = func(n int, w http.ResponseWriter, r *http.Request) {
		rvs <- r.URL.Query().Get("resourceVersion")
		w.WriteHeader(200)
		if n == 1 {
			obj := sliceJSON(5, "10.0.0.5")
			obj["metadata"].(map[string]any)["resourceVersion"] = "77"
			ev, _ := json.Marshal(map[string]any{"type": "ADDED", "object": obj})
			w.Write(append(ev, '\n'))
			return // the server's timeout: a clean end of the stream
		}
		<-r.Context().Done()
	}
	cfg, logs := newFake(t, f, true)
	s := mustNew(t, cfg)
	r := run(t, s)
	r.waitSeeds(t, "10.0.0.1:7946", "10.0.0.5:7946")
	first, second := <-rvs, ""
	select {
	case second = <-rvs:
	case <-time.After(60 * time.Second):
		t.Fatal("no second watch after the first one ended")
	}
	if first != "1" || second != "77" {
		t.Fatalf("watches from resource versions %q then %q, want 1 then 77", first, second)
	}
	if lists, _ := f.counts(); lists != 1 || s.Stats().Errors != 0 || s.watchOff.Load() {
		t.Fatalf("%d lists, stats %+v, watchOff %v; want 1 list, no error, still watching\n%s", lists, s.Stats(), s.watchOff.Load(), logs)
	}
}
