package dns_test

import (
	"fmt"
	"log/slog"
	"net"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/meshd/meshd/mesh"
	"github.com/meshd/meshd/mesh/strategy/dns"
	"github.com/meshd/meshd/mesh/strategy/internal/dnstest"
	mdns "github.com/miekg/dns"
)

const (
	e2eNodes = 10
	e2eName  = "meshd.e2e.test"
)

// nodeIP is node i's address: every node has its own loopback address and
// all share one port, which is what an A record can express.
func nodeIP(i int) string { return fmt.Sprintf("127.0.0.%d", i+1) }

// freeSharedPort finds a UDP port free on the addresses of nodes 0 to n-1.
func freeSharedPort(t *testing.T, n int) int {
	t.Helper()
	for range 50 {
		c, err := net.ListenPacket("udp", nodeIP(0)+":0")
		if err != nil {
			t.Fatal(err)
		}
		port := c.LocalAddr().(*net.UDPAddr).Port
		conns := []net.PacketConn{c}
		ok := true
		for i := 1; i < n; i++ {
			c, err := net.ListenPacket("udp", net.JoinHostPort(nodeIP(i), strconv.Itoa(port)))
			if err != nil {
				ok = false
				break
			}
			conns = append(conns, c)
		}
		for _, c := range conns {
			c.Close()
		}
		if ok {
			return port
		}
	}
	t.Fatal("no UDP port free on all node addresses")
	return 0
}

// watcher records failure and leave events seen by one node.
type watcher struct {
	mu  sync.Mutex
	bad []string
}

func (w *watcher) watch(name string, events <-chan mesh.Event) {
	for ev := range events {
		if ev.Type == mesh.EventFail || ev.Type == mesh.EventLeave {
			w.mu.Lock()
			w.bad = append(w.bad, fmt.Sprintf("%s saw %v of %s", name, ev.Type, ev.Member.Name))
			w.mu.Unlock()
		}
	}
}

func allAlive(m *mesh.Mesh) (alive int, others []string) {
	for _, mem := range m.Members() {
		if mem.State == mesh.StateAlive {
			alive++
		} else {
			others = append(others, fmt.Sprintf("%s=%v", mem.Name, mem.State))
		}
	}
	return alive, others
}

// TestMeshFormsThroughDNSAndSurvivesRecordsVanishing: ten nodes find each
// other only through the dns strategy; then half of them vanish from DNS
// (and DNS fails outright for a while) while they stay up. Nobody may be
// declared dead for it: discovery feeds seeds, gossip alone decides who is
// dead (libcluster#190).
func TestMeshFormsThroughDNSAndSurvivesRecordsVanishing(t *testing.T) {
	srv := dnstest.Start(t)
	var ips []string
	for i := range e2eNodes {
		ips = append(ips, nodeIP(i))
	}
	srv.SetIPs(e2eName, ips...)
	port := freeSharedPort(t, e2eNodes)

	nodes, strategies := startDNSMeshes(t, e2eNodes, port, srv.Addr, "dns-e2e")
	waitAllAlive(t, nodes, strategies, 90*time.Second)

	w := &watcher{}
	var wg sync.WaitGroup
	var cancels []func()
	for _, m := range nodes {
		events, cancel := m.Subscribe()
		cancels = append(cancels, cancel)
		wg.Add(1)
		go func() { defer wg.Done(); w.watch(m.Local().Name, events) }()
	}

	// Half the nodes vanish from DNS but stay alive; then DNS fails.
	srv.SetIPs(e2eName, ips[:e2eNodes/2]...)
	polls := strategies[0].Stats().Polls
	observe := func(d time.Duration) {
		end := time.Now().Add(d)
		for time.Now().Before(end) {
			for _, m := range nodes {
				if _, others := allAlive(m); len(others) > 0 {
					t.Logf("%s sees %v", m.Local().Name, others)
				}
			}
			time.Sleep(500 * time.Millisecond)
		}
	}
	// Several strategy polls and several engine PollIntervals (2s locally).
	observe(8 * time.Second)
	if st := strategies[0].Stats(); st.Polls <= polls || st.Seeds != e2eNodes/2 {
		t.Fatalf("the strategy did not follow DNS: %+v", st)
	}
	srv.SetRcode(e2eName, mdns.RcodeServerFailure)
	observe(6 * time.Second)
	if st := strategies[0].Stats(); st.Errors == 0 || st.Seeds != e2eNodes/2 {
		t.Fatalf("SERVFAIL was not seen or the last list was not kept: %+v", st)
	}

	for _, c := range cancels {
		c()
	}
	wg.Wait()
	w.mu.Lock()
	defer w.mu.Unlock()
	if len(w.bad) > 0 {
		t.Fatalf("members were declared failed or left although all stayed up: %q", w.bad)
	}
	for _, m := range nodes {
		if alive, others := allAlive(m); alive != e2eNodes {
			t.Errorf("%s: %d alive, others %v; want all %d alive", m.Local().Name, alive, others, e2eNodes)
		}
		if st, ok := m.Stats().Strategies["dns"]; !ok || st.Polls == 0 {
			t.Errorf("%s: engine reports no dns strategy stats: %+v", m.Local().Name, m.Stats().Strategies)
		}
	}
}

// TestMeshFormsThroughDnsmasqRefusingAAAA: four nodes whose only source of
// seeds is a real dnsmasq that answers their name's A query and refuses its
// AAAA query, as dnsmasq without upstream servers does. Every member must
// still find every other.
func TestMeshFormsThroughDnsmasqRefusingAAAA(t *testing.T) {
	const n = 4
	var records []string
	for i := range n {
		records = append(records, "--host-record="+e2eName+","+nodeIP(i))
	}
	d := dnstest.StartDnsmasq(t, records...)
	port := freeSharedPort(t, n)
	nodes, strategies := startDNSMeshes(t, n, port, d.Addr, "dnsmasq-e2e")
	waitAllAlive(t, nodes, strategies, 60*time.Second)
	for i, s := range strategies {
		if st := s.Stats(); st.Seeds != n || st.Failures["AAAA REFUSED"] == 0 {
			t.Errorf("node %d: strategy stats %+v, want %d seeds and the AAAA refusals counted", i, st, n)
		}
	}
}

// startDNSMeshes starts n meshes on the nodes' loopback addresses, each
// with a dns strategy as its only source of seeds; they are closed when the
// test ends.
func startDNSMeshes(t *testing.T, n, port int, resolver, cluster string) ([]*mesh.Mesh, []*dns.Strategy) {
	t.Helper()
	quiet := slog.New(slog.DiscardHandler)
	var nodes []*mesh.Mesh
	var strategies []*dns.Strategy
	for i := range n {
		s, err := dns.New(dns.Config{Name: e2eName, Port: port, Resolver: resolver, Interval: 200 * time.Millisecond, Logger: quiet})
		if err != nil {
			t.Fatal(err)
		}
		cfg := mesh.DefaultLocalConfig()
		cfg.Name = fmt.Sprintf("node-%d", i)
		cfg.BindAddr = net.JoinHostPort(nodeIP(i), strconv.Itoa(port))
		cfg.Cluster = cluster
		cfg.Strategies = []mesh.Strategy{s}
		cfg.Logger = quiet
		cfg.Seed = int64(i + 1)
		m, err := mesh.New(cfg)
		if err != nil {
			t.Fatalf("node %d: %v", i, err)
		}
		t.Cleanup(func() { m.Close() })
		nodes = append(nodes, m)
		strategies = append(strategies, s)
	}
	return nodes, strategies
}

// waitAllAlive waits, up to limit, until every mesh holds all of them alive;
// nobody was told about anybody but through DNS.
func waitAllAlive(t *testing.T, nodes []*mesh.Mesh, strategies []*dns.Strategy, limit time.Duration) {
	t.Helper()
	deadline := time.Now().Add(limit)
	for {
		done := true
		for _, m := range nodes {
			if alive, _ := allAlive(m); alive != len(nodes) {
				done = false
			}
		}
		if done {
			return
		}
		if time.Now().After(deadline) {
			for i, m := range nodes {
				alive, others := allAlive(m)
				t.Logf("%s: %d alive, others %v; strategy %+v", m.Local().Name, alive, others, strategies[i].Stats())
			}
			t.Fatalf("the mesh did not converge to %d alive members within %v", len(nodes), limit)
		}
		time.Sleep(100 * time.Millisecond)
	}
}
