package mesh_test

import (
	"bytes"
	"context"
	"fmt"
	"log/slog"
	"net"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/meshd/meshd/internal/wire"
	"github.com/meshd/meshd/mesh"
)

// logSink collects log lines and tells a waiter when one containing a
// wanted text arrives.
type logSink struct {
	mu    sync.Mutex
	buf   bytes.Buffer
	added chan struct{}
}

func newLogSink() *logSink { return &logSink{added: make(chan struct{}, 1)} }

func (s *logSink) Write(p []byte) (int, error) {
	s.mu.Lock()
	s.buf.Write(p)
	s.mu.Unlock()
	select {
	case s.added <- struct{}{}:
	default:
	}
	return len(p), nil
}

func (s *logSink) text() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.buf.String()
}

// waitLine waits (generously) for a line containing every part.
func (s *logSink) waitLine(t *testing.T, parts ...string) string {
	t.Helper()
	timeout := time.After(10 * time.Second)
	for {
		for _, line := range strings.Split(s.text(), "\n") {
			if containsAll(line, parts) {
				return line
			}
		}
		select {
		case <-s.added:
		case <-timeout:
			t.Fatalf("no log line with %q; the log:\n%s", parts, s.text())
		}
	}
}

func containsAll(s string, parts []string) bool {
	for _, p := range parts {
		if !strings.Contains(s, p) {
			return false
		}
	}
	return true
}

// A peer with another key, no key, or another cluster name never joins; the
// receiver logs each at WARN with the source and the reason in words (once
// per source and reason, however often the joiner resends), and the
// joiner's error names the likely causes.
func TestMisconfiguredPeersAreLoggedByTheReceiver(t *testing.T) {
	sink := newLogSink()
	logger := slog.New(slog.NewTextHandler(sink, &slog.HandlerOptions{Level: slog.LevelWarn}))
	keyed := newNode(t, "keyed", func(c *mesh.Config) { c.Keys = [][]byte{key(1)}; c.Logger = logger })
	keyless := newNode(t, "keyless", func(c *mesh.Config) { c.Logger = logger })
	cases := []struct {
		name  string
		seed  *mesh.Mesh
		mod   func(*mesh.Config)
		words string
	}{
		{"another key", keyed, func(c *mesh.Config) { c.Keys = [][]byte{key(2)} },
			"sealed with a key that is not in this keyring"},
		{"no key", keyed, nil, "unencrypted, but this cluster requires a key"},
		{"a key the seed does not have", keyless, func(c *mesh.Config) { c.Keys = [][]byte{key(1)} },
			"encrypted, but this node has no key"},
		{"another cluster", keyed, func(c *mesh.Config) { c.Cluster = "other"; c.Keys = [][]byte{key(1)} },
			fmt.Sprintf("from another cluster (name tag 0x%08x; this cluster's is 0x%08x)",
				wire.ClusterTag("other"), wire.ClusterTag("test"))},
	}
	for _, c := range cases {
		seed := c.seed
		t.Run(c.name, func(t *testing.T) {
			joiner := newNode(t, "joiner", c.mod)
			ctx, cancel := context.WithTimeout(context.Background(), 500*time.Millisecond)
			defer cancel()
			_, err := joiner.Join(ctx, seed.Addr().String())
			if err == nil {
				t.Fatal("joined")
			}
			port := fmt.Sprint(seed.Addr().Port())
			for _, want := range []string{"no seed answered", "cluster name", "key", "UDP port " + port} {
				if !strings.Contains(err.Error(), want) {
					t.Errorf("join error %q does not say %q", err, want)
				}
			}
			from := "from=" + joiner.Addr().String()
			t.Log(sink.waitLine(t, "level=WARN", c.words, from))
			// The joiner resent its request; the receiver said it once.
			lines := 0
			for _, line := range strings.Split(sink.text(), "\n") {
				if containsAll(line, []string{c.words, from}) {
					lines++
				}
			}
			if lines != 1 {
				t.Errorf("%d lines for one misconfigured source, want 1:\n%s", lines, sink.text())
			}
		})
	}
}

// A datagram longer than the receiver's MaxPacketSize (a peer configured
// with a larger one) is a warning naming the limit.
func TestOversizedDatagramIsLogged(t *testing.T) {
	sink := newLogSink()
	seed := newNode(t, "seed", func(c *mesh.Config) {
		c.Logger = slog.New(slog.NewTextHandler(sink, &slog.HandlerOptions{Level: slog.LevelWarn}))
	})
	conn, err := net.Dial("udp", seed.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	if _, err := conn.Write(make([]byte, 3000)); err != nil {
		t.Fatal(err)
	}
	sink.waitLine(t, "level=WARN", "larger than this node's MaxPacketSize (more than 1400 bytes)",
		"from="+conn.LocalAddr().String(), "reason=oversized")
}
