package agent

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"go.uber.org/goleak"

	"github.com/meshd/meshd/cmd/meshd/internal/config"
	"github.com/meshd/meshd/cmd/meshd/internal/keyfile"
	"github.com/meshd/meshd/mesh"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

// freeAddrs returns a free UDP gossip address and TCP HTTP address on ip.
func freeAddrs(t *testing.T, ip string) (string, string) {
	t.Helper()
	u, err := net.ListenPacket("udp", ip+":0")
	if err != nil {
		t.Fatal(err)
	}
	l, err := net.Listen("tcp", ip+":0")
	if err != nil {
		t.Fatal(err)
	}
	defer u.Close()
	defer l.Close()
	return u.LocalAddr().String(), l.Addr().String()
}

func load(t *testing.T, args ...string) *config.Settings {
	t.Helper()
	s, err := config.Load(args, func(string) (string, bool) { return "", false })
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func startAgent(t *testing.T, args []string) *Agent {
	t.Helper()
	a, err := Start(Options{
		Settings: load(t, args...),
		Reload: func() (*config.Settings, error) {
			return config.Load(args, func(string) (string, bool) { return "", false })
		},
		LogOutput: io.Discard,
		Version:   "test",
	})
	if err != nil {
		t.Fatal(err)
	}
	return a
}

func get(t *testing.T, url string) int {
	t.Helper()
	resp, err := http.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	return resp.StatusCode
}

func TestStartServeAndSignalLeave(t *testing.T) {
	gossip, httpAddr := freeAddrs(t, "127.0.0.50")
	a := startAgent(t, []string{"--profile", "local", "--name", "t1", "--bind", gossip, "--http", httpAddr})
	if code := get(t, "http://"+httpAddr+"/v1/health"); code != 200 {
		t.Fatalf("health %d", code)
	}
	sigs := make(chan os.Signal, 1)
	done := make(chan error, 1)
	go func() { done <- a.Run(sigs) }()
	sigs <- syscall.SIGTERM
	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("Run after SIGTERM: %v", err)
		}
	case <-time.After(30 * time.Second):
		t.Fatal("Run did not return after SIGTERM")
	}
	if _, err := http.Get("http://" + httpAddr + "/v1/health"); err == nil {
		t.Fatal("the API still serves after the agent stopped")
	}
}

func TestLeaveThroughAPIEndsRun(t *testing.T) {
	gossip, httpAddr := freeAddrs(t, "127.0.0.51")
	a := startAgent(t, []string{"--profile", "local", "--name", "t2", "--bind", gossip, "--http", httpAddr})
	done := make(chan error, 1)
	go func() { done <- a.Run(make(chan os.Signal)) }()
	resp, err := http.Post("http://"+httpAddr+"/v1/leave", "application/json", strings.NewReader("{}"))
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 200 {
		t.Fatalf("leave: %d", resp.StatusCode)
	}
	select {
	case err := <-done:
		if err != nil {
			t.Fatal(err)
		}
	case <-time.After(30 * time.Second):
		t.Fatal("Run did not return after POST /v1/leave")
	}
}

func TestStartErrorsNameTheSetting(t *testing.T) {
	gossip, httpAddr := freeAddrs(t, "127.0.0.52")
	u, err := net.ListenPacket("udp", gossip)
	if err != nil {
		t.Fatal(err)
	}
	defer u.Close()
	_, err = Start(Options{Settings: load(t, "--profile", "local", "--name", "t3", "--bind", gossip, "--http", httpAddr), LogOutput: io.Discard})
	var se *StartError
	if !errors.As(err, &se) || !strings.Contains(err.Error(), "bind (flag --bind)") || !strings.Contains(err.Error(), "address already in use") {
		t.Fatalf("gossip port in use: %v", err)
	}
	// The HTTP port was released again.
	l, err := net.Listen("tcp", httpAddr)
	if err != nil {
		t.Fatalf("HTTP port still held after a failed start: %v", err)
	}
	l.Close()
}

func TestReloadRefusesToToggleEncryption(t *testing.T) {
	dir := t.TempDir()
	keys := filepath.Join(dir, "keys")
	k, _ := keyfile.Generate()
	if err := keyfile.Save(keys, [][]byte{k}); err != nil {
		t.Fatal(err)
	}
	gossip, httpAddr := freeAddrs(t, "127.0.0.53")
	args := []string{"--profile", "local", "--name", "t4", "--bind", gossip, "--http", httpAddr, "--key-file", keys}
	withKeys := load(t, args...)
	withoutKeys := load(t, args[:len(args)-2]...)
	next := withoutKeys
	a, err := Start(Options{Settings: withKeys, Reload: func() (*config.Settings, error) { return next, nil }, LogOutput: io.Discard})
	if err != nil {
		t.Fatal(err)
	}
	defer a.Close()
	if err := a.Reload(); err == nil || !strings.Contains(err.Error(), "restart") {
		t.Fatalf("reload without key-file: %v", err)
	}
	// A broken key file on reload keeps the running ring.
	next = withKeys
	os.WriteFile(keys, []byte("garbage\n"), 0o600)
	if err := a.Reload(); err == nil || !strings.Contains(err.Error(), keys) {
		t.Fatalf("reload with a broken key file: %v", err)
	}
	k2, _ := keyfile.Generate()
	keyfile.Save(keys, [][]byte{k2, k})
	if err := a.Reload(); err != nil {
		t.Fatalf("reload with a good key file: %v", err)
	}
}

func TestRestartNeededNamesSettings(t *testing.T) {
	a := load(t, "--name", "x", "--cluster", "a")
	b := load(t, "--name", "y", "--cluster", "a", "--log-level", "debug", "--http", "127.0.0.1:9999")
	got := restartNeeded(a, b)
	if fmt.Sprint(got) != "[name http]" {
		t.Fatalf("restartNeeded = %v, want [name http]", got)
	}
	if settingOf("BindAddr") != "bind" || settingOf("Keys[1]") != "key-file" || settingOf("Multicast.TTL") != "multicast-if" {
		t.Fatal("settingOf mapping")
	}
}

type fakeStrategy struct{ name string }

func (f fakeStrategy) Name() string { return f.name }
func (f fakeStrategy) Run(ctx context.Context, found func([]string)) error {
	found([]string{"127.0.0.9:1"})
	<-ctx.Done()
	return nil
}

type fakeReporter struct{ fakeStrategy }

func (fakeReporter) Stats() mesh.StrategyStats { return mesh.StrategyStats{Polls: 7} }

// Strategies get unique names (the engine keys lists and stats by name),
// keep their StrategyReporter, and their seeds are watched.
func TestWatchedStrategies(t *testing.T) {
	w := newSeedWatch()
	ss := w.watch([]mesh.Strategy{named{fakeReporter{fakeStrategy{"static"}}, "join"}, fakeStrategy{"static"}, fakeReporter{fakeStrategy{"static"}}, fakeStrategy{"dns"}})
	var names []string
	for _, s := range ss {
		names = append(names, s.Name())
	}
	if fmt.Sprint(names) != "[join static static-2 dns]" {
		t.Fatalf("names %v", names)
	}
	if r, ok := ss[0].(mesh.StrategyReporter); !ok || r.Stats().Polls != 7 {
		t.Fatal("a renamed reporter lost its stats")
	}
	if r, ok := ss[2].(mesh.StrategyReporter); !ok || r.Stats().Polls != 7 {
		t.Fatal("a watched reporter lost its stats")
	}
	if _, ok := ss[1].(mesh.StrategyReporter); ok {
		t.Fatal("a strategy without stats became a reporter")
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	var got []string
	ss[2].Run(ctx, func(a []string) { got = a })
	if fmt.Sprint(got) != "[127.0.0.9:1]" || fmt.Sprint(w.seeds()) != "map[127.0.0.9:1:[static-2]]" {
		t.Fatalf("found %v, watched %v", got, w.seeds())
	}
}
