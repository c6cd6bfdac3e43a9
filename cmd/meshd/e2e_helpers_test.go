package main

// Helpers of the end-to-end tests: the meshd binary is built once in
// TestMain and run as separate processes, as users run it. Agents use
// 127.0.0.x addresses only, on ports picked free at the start of each test.

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/meshd/meshd/cmd/meshd/internal/api"
)

var meshdBin string

func TestMain(m *testing.M) {
	os.Exit(testMain(m))
}

func testMain(m *testing.M) int {
	dir, err := os.MkdirTemp("", "meshd-e2e-")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	defer os.RemoveAll(dir)
	meshdBin = filepath.Join(dir, "meshd")
	// Built as the Dockerfile builds it: static, trimmed.
	gobin := filepath.Join(runtime.GOROOT(), "bin", "go")
	if _, err := os.Stat(gobin); err != nil {
		gobin = "go"
	}
	cmd := exec.Command(gobin, "build", "-trimpath", "-o", meshdBin, ".")
	cmd.Env = append(os.Environ(), "CGO_ENABLED=0")
	if out, err := cmd.CombinedOutput(); err != nil {
		fmt.Fprintf(os.Stderr, "build meshd: %v\n%s", err, out)
		return 1
	}
	return m.Run()
}

// syncBuffer is a bytes.Buffer safe for a process writing and a test reading.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}
func (s *syncBuffer) String() string { s.mu.Lock(); defer s.mu.Unlock(); return s.b.String() }

// agentProc is a running 'meshd agent'.
type agentProc struct {
	name, gossip, http string
	args               []string
	cmd                *exec.Cmd
	out                *syncBuffer
	done               chan struct{}
	err                error // Wait's result, valid after done
}

func startAgent(t *testing.T, name, gossip, httpAddr string, extra ...string) *agentProc {
	t.Helper()
	args := append([]string{"agent", "--name", name, "--bind", gossip, "--http", httpAddr, "--profile", "local", "--log-format", "json"}, extra...)
	p := &agentProc{name: name, gossip: gossip, http: httpAddr, args: args, out: &syncBuffer{}, done: make(chan struct{})}
	p.start(t)
	return p
}

func (p *agentProc) start(t *testing.T) {
	t.Helper()
	p.cmd = exec.Command(meshdBin, p.args...)
	p.cmd.Env = cleanEnv()
	p.cmd.Stdout, p.cmd.Stderr = p.out, p.out
	p.done = make(chan struct{})
	if err := p.cmd.Start(); err != nil {
		t.Fatalf("start %s: %v", p.name, err)
	}
	done := p.done
	go func() { p.err = p.cmd.Wait(); close(done) }()
	t.Cleanup(func() { p.kill() })
	t.Cleanup(func() {
		if t.Failed() {
			t.Logf("--- log of %s (%s) ---\n%s", p.name, strings.Join(p.args, " "), p.out.String())
		}
	})
}

// kill sends SIGKILL (if running) and waits for the process.
func (p *agentProc) kill() {
	select {
	case <-p.done:
		return
	default:
	}
	p.cmd.Process.Signal(syscall.SIGKILL)
	<-p.done
}

func (p *agentProc) signal(t *testing.T, sig os.Signal) {
	t.Helper()
	if err := p.cmd.Process.Signal(sig); err != nil {
		t.Fatalf("signal %s: %v", p.name, err)
	}
}

// waitExit waits for the process to end and returns its exit status.
func (p *agentProc) waitExit(t *testing.T, timeout time.Duration) int {
	t.Helper()
	select {
	case <-p.done:
	case <-time.After(timeout):
		t.Fatalf("%s did not exit within %v", p.name, timeout)
	}
	return p.cmd.ProcessState.ExitCode()
}

// cleanEnv is the test's environment without MESHD_* variables, so a
// developer's shell does not change what the tests run.
func cleanEnv() []string {
	var env []string
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, "MESHD_") && !strings.HasPrefix(kv, "NOTIFY_SOCKET=") {
			env = append(env, kv)
		}
	}
	return env
}

// meshd runs a CLI command to completion and returns stdout, stderr and
// the exit status.
func meshd(t *testing.T, env []string, args ...string) (string, string, int) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, meshdBin, args...)
	cmd.Env = append(cleanEnv(), env...)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	err := cmd.Run()
	code := 0
	if err != nil {
		ee, ok := err.(*exec.ExitError)
		if !ok {
			t.Fatalf("run meshd %v: %v", args, err)
		}
		code = ee.ExitCode()
	}
	return stdout.String(), stderr.String(), code
}

// members asks an agent for its member list through 'meshd members --json'.
func members(t *testing.T, httpAddr string) (map[string]api.Member, error) {
	t.Helper()
	stdout, stderr, code := meshd(t, nil, "members", "--json", "--http", httpAddr)
	if code != 0 {
		return nil, fmt.Errorf("meshd members --http %s: exit %d: %s", httpAddr, code, strings.TrimSpace(stderr))
	}
	var ms []api.Member
	if err := json.Unmarshal([]byte(stdout), &ms); err != nil {
		return nil, fmt.Errorf("meshd members --json: %v: %q", err, stdout)
	}
	out := map[string]api.Member{}
	for _, m := range ms {
		out[m.Name] = m
	}
	return out, nil
}

// eventually polls cond every 250ms until it holds or timeout passes; cond
// returns a description of what it saw, for the failure message.
func eventually(t *testing.T, timeout time.Duration, what string, cond func() (bool, string)) {
	t.Helper()
	deadline := time.Now().Add(timeout)
	start := time.Now()
	for {
		ok, seen := cond()
		if ok {
			t.Logf("%s after %.1fs", what, time.Since(start).Seconds())
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("not within %v: %s; last seen: %s", timeout, what, seen)
		}
		time.Sleep(250 * time.Millisecond)
	}
}

// viewsAgree checks that every observer reports each listed member in the
// wanted state.
func viewsAgree(t *testing.T, observers []*agentProc, want map[string]string) (bool, string) {
	for _, o := range observers {
		ms, err := members(t, o.http)
		if err != nil {
			return false, err.Error()
		}
		for name, state := range want {
			if got := ms[name].State; got != state {
				return false, fmt.Sprintf("%s sees %s as %q, want %q", o.name, name, got, state)
			}
		}
	}
	return true, ""
}

// freePorts returns a UDP port free on every ip and a TCP port free on
// every ip (the same port on each address).
func freePorts(t *testing.T, ips []string) (udpPort, tcpPort int) {
	t.Helper()
	for range 50 {
		u, err := net.ListenPacket("udp", net.JoinHostPort(ips[0], "0"))
		if err != nil {
			t.Fatalf("listen on %s: %v (tests need 127.0.0.0/8 on lo)", ips[0], err)
		}
		udpPort = u.LocalAddr().(*net.UDPAddr).Port
		tl, err := net.Listen("tcp", net.JoinHostPort(ips[0], "0"))
		if err != nil {
			u.Close()
			t.Fatal(err)
		}
		tcpPort = tl.Addr().(*net.TCPAddr).Port
		closers := []func() error{u.Close, tl.Close}
		ok := true
		for _, ip := range ips[1:] {
			u2, err1 := net.ListenPacket("udp", net.JoinHostPort(ip, fmt.Sprint(udpPort)))
			t2, err2 := net.Listen("tcp", net.JoinHostPort(ip, fmt.Sprint(tcpPort)))
			if u2 != nil {
				closers = append(closers, u2.Close)
			}
			if t2 != nil {
				closers = append(closers, t2.Close)
			}
			if err1 != nil || err2 != nil {
				ok = false
				break
			}
		}
		for _, c := range closers {
			c()
		}
		if ok {
			return udpPort, tcpPort
		}
	}
	t.Fatal("no port free on every test address")
	return 0, 0
}
