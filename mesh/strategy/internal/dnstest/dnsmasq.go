package dnstest

import (
	"bytes"
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/miekg/dns"
)

// DnsmasqRequiredEnv, when set to anything, makes StartDnsmasq fail instead
// of skip when dnsmasq is not installed (make test sets it; the setup script
// installs Debian's dnsmasq-base).
const DnsmasqRequiredEnv = "MESHD_DNSMASQ_REQUIRED"

// Dnsmasq is a dnsmasq process answering on 127.0.0.1 from its command line
// only: no upstream servers, no /etc/hosts, no configuration file. Like
// every dnsmasq without upstream servers it answers REFUSED for what it has
// no record of, the AAAA query of a name with only A records included.
type Dnsmasq struct {
	// Addr is "127.0.0.1:port", for UDP and TCP.
	Addr string
	// Log is what dnsmasq logged so far (queries included).
	Log func() string
}

// dnsmasqPath finds the binary; /usr/sbin is not on every user's PATH.
func dnsmasqPath() (string, error) {
	if p, err := exec.LookPath("dnsmasq"); err == nil {
		return p, nil
	}
	for _, p := range []string{"/usr/sbin/dnsmasq", "/sbin/dnsmasq"} {
		if st, err := os.Stat(p); err == nil && !st.IsDir() {
			return p, nil
		}
	}
	return "", errors.New("dnsmasq is not installed (Debian: apt-get install dnsmasq-base; scripts/setup-test-deps.sh does it)")
}

// StartDnsmasq runs dnsmasq with records, its own options for names
// ("--host-record=a.test,127.0.0.1", "--address=/b.test/127.0.0.2",
// "--srv-host=_gossip._udp.test,a.test,7946"), on a free high port of
// 127.0.0.1, and stops it when the test ends. It returns once dnsmasq
// answers. Without dnsmasq the test is skipped, or fails when
// DnsmasqRequiredEnv is set.
func StartDnsmasq(t testing.TB, records ...string) *Dnsmasq {
	t.Helper()
	bin, err := dnsmasqPath()
	if err != nil {
		if os.Getenv(DnsmasqRequiredEnv) != "" {
			t.Fatalf("dnstest: %v, and %s is set", err, DnsmasqRequiredEnv)
		}
		t.Skipf("dnstest: %v", err)
	}
	// The port is free when picked but may be taken before dnsmasq binds it:
	// dnsmasq then exits at once and another port is tried.
	var tries []string
	for range 5 {
		port, err := freePort()
		if err != nil {
			t.Fatalf("dnstest: %v", err)
		}
		d, err := runDnsmasq(t, bin, port, records)
		if err == nil {
			return d
		}
		tries = append(tries, err.Error())
	}
	t.Fatalf("dnstest: dnsmasq did not start: %q", tries)
	return nil
}

// freePort returns a port of 127.0.0.1 that was free for UDP and TCP.
func freePort() (int, error) {
	for range 20 {
		pc, err := net.ListenPacket("udp", "127.0.0.1:0")
		if err != nil {
			return 0, err
		}
		port := pc.LocalAddr().(*net.UDPAddr).Port
		l, err := net.Listen("tcp", pc.LocalAddr().String())
		pc.Close()
		if err == nil {
			l.Close()
			return port, nil
		}
	}
	return 0, errors.New("no port free for both UDP and TCP")
}

// syncBuffer is a bytes.Buffer written by the process and read by tests.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	// dnsmasq logs every query; a test's worth is small, but bound it.
	if s.b.Len() > 1<<20 {
		return len(p), nil
	}
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

func runDnsmasq(t testing.TB, bin string, port int, records []string) (*Dnsmasq, error) {
	args := []string{
		"--keep-in-foreground", "--no-resolv", "--no-hosts", "--conf-file=/dev/null",
		"--listen-address=127.0.0.1", "--bind-interfaces", "--port=" + strconv.Itoa(port),
		"--pid-file=", // none: /run is not the test's to write
		"--log-facility=-", "--log-queries",
	}
	if os.Geteuid() == 0 {
		// Root dnsmasq drops to "nobody"; say so instead of relying on the
		// distribution's default user existing.
		args = append(args, "--user=nobody")
	}
	cmd := exec.Command(bin, append(args, records...)...)
	out := &syncBuffer{}
	cmd.Stdout, cmd.Stderr = out, out
	if err := cmd.Start(); err != nil {
		return nil, err
	}
	exited := make(chan error, 1)
	go func() { exited <- cmd.Wait() }()
	stop := func() {
		_ = cmd.Process.Kill()
		<-exited
	}
	addr := net.JoinHostPort("127.0.0.1", strconv.Itoa(port))
	deadline := time.Now().Add(10 * time.Second)
	c := &dns.Client{Net: "udp", Timeout: 200 * time.Millisecond}
	q := new(dns.Msg)
	q.SetQuestion("ready.dnstest.invalid.", dns.TypeA)
	for {
		select {
		case err := <-exited:
			return nil, fmt.Errorf("port %d: dnsmasq exited (%v): %s", port, err, out.String())
		default:
		}
		// Any answer, REFUSED included, says dnsmasq is serving.
		if _, _, err := c.Exchange(q, addr); err == nil {
			break
		}
		if time.Now().After(deadline) {
			stop()
			return nil, fmt.Errorf("port %d: dnsmasq did not answer within 10s: %s", port, out.String())
		}
		time.Sleep(20 * time.Millisecond)
	}
	t.Cleanup(func() {
		stop()
		if t.Failed() {
			t.Logf("dnsmasq log:\n%s", out.String())
		}
	})
	return &Dnsmasq{Addr: addr, Log: out.String}, nil
}
