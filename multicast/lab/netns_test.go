//go:build linux

package lab

import (
	"bufio"
	"bytes"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"os/exec"
	"path/filepath"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/meshd/meshd/multicast"
	"github.com/meshd/meshd/multicast/lab/netns"
)

const labHosts = 6

// line is one JSON line of labnode.
type line struct {
	Ev      string            `json:"ev"`
	T       int64             `json:"t"`
	Name    string            `json:"name"`
	Addr    string            `json:"addr"`
	HBBytes int               `json:"hb_bytes"`
	Alive   []string          `json:"alive"`
	Suspect []string          `json:"suspect"`
	Dead    []string          `json:"dead"`
	Elapsed float64           `json:"elapsed_s"`
	HBSent  uint64            `json:"hb_sent"`
	HBRecv  uint64            `json:"hb_recv"`
	Dropped map[string]uint64 `json:"hb_dropped"`
}

// labNode is a running labnode process and what it reported.
type labNode struct {
	host   string
	cmd    *exec.Cmd
	stderr bytes.Buffer
	done   chan struct{} // stdout closed

	mu    sync.Mutex
	ready line
	views []line
	stats []line
}

func (n *labNode) statsCount() int {
	n.mu.Lock()
	defer n.mu.Unlock()
	return len(n.stats)
}

func (n *labNode) latest() (line, bool) {
	n.mu.Lock()
	defer n.mu.Unlock()
	if len(n.views) == 0 {
		return line{}, false
	}
	return n.views[len(n.views)-1], true
}

// firstSince is the time of the first view at or after since that satisfies
// ok, by the member's own clock.
func (n *labNode) firstSince(since time.Time, ok func(line) bool) (time.Time, bool) {
	n.mu.Lock()
	defer n.mu.Unlock()
	for _, v := range n.views {
		if v.T >= since.UnixNano() && ok(v) {
			return time.Unix(0, v.T), true
		}
	}
	return time.Time{}, false
}

func whole(v line) bool { return len(v.Alive) == labHosts && len(v.Suspect) == 0 && len(v.Dead) == 0 }

// family is one address family's lab plan.
type family struct {
	name     string
	group    string
	addr     func(i int) string // host i's gossip address
	ipHeader int                // IP + UDP header bytes, for wire cost
	interval time.Duration
}

var families = []family{
	{"ipv4", multicast.DefaultGroup, func(i int) string { return fmt.Sprintf("10.77.0.%d:7946", i) }, 28, time.Second},
	{"ipv6", multicast.DefaultGroup6, func(i int) string { return fmt.Sprintf("[fd77::%d]:7946", i) }, 48, 500 * time.Millisecond},
}

// TestLabDiscoveryAndPartitionHealing runs six members in six namespaces on
// one bridge: they must find each other by multicast alone; then the bridge
// is split into halves, which declare each other dead, and joined again,
// after which the halves must merge with nobody left dead.
func TestLabDiscoveryAndPartitionHealing(t *testing.T) {
	if err := netns.Available(); err != nil {
		t.Skipf("skipping the namespace lab: %v", err)
	}
	if err := netns.RemoveStale(); err != nil {
		t.Logf("removing stale lab namespaces: %v", err)
	}
	bin := buildLabnode(t)
	for _, f := range families {
		t.Run(f.name, func(t *testing.T) { runLab(t, bin, f) })
	}
}

func buildLabnode(t *testing.T) string {
	t.Helper()
	gobin, err := exec.LookPath("go")
	if err != nil {
		t.Skipf("skipping the namespace lab: no go tool to build labnode: %v", err)
	}
	bin := filepath.Join(t.TempDir(), "labnode")
	out, err := exec.Command(gobin, "build", "-o", bin, "github.com/meshd/meshd/multicast/lab/labnode").CombinedOutput()
	if err != nil {
		t.Fatalf("building labnode: %v\n%s", err, out)
	}
	return bin
}

func runLab(t *testing.T, bin string, f family) {
	l := netns.New()
	t.Cleanup(func() {
		if err := l.Close(); err != nil {
			t.Errorf("lab cleanup: %v", err)
		}
	})
	must := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	must(l.Add("sw"))
	must(l.Bridge("sw", "br0"))
	must(l.Bridge("sw", "br1"))
	for i := 1; i <= labHosts; i++ {
		h := fmt.Sprintf("h%d", i)
		must(l.Add(h))
		must(l.Wire("sw", "br0", fmt.Sprintf("p%d", i), h, "eth0", fmt.Sprintf("10.77.0.%d/24", i), fmt.Sprintf("fd77::%d/64", i)))
	}

	key := hex.EncodeToString(newKey())
	var nodes []*labNode
	t.Cleanup(func() { stopAll(t, nodes) })
	for i := 1; i <= labHosts; i++ {
		n, err := startNode(l, bin, fmt.Sprintf("h%d", i), "-name", fmt.Sprintf("h%d", i), "-bind", f.addr(i),
			"-if", "eth0", "-group", f.group, "-ttl", "1", "-key", key, "-interval", f.interval.String())
		must(err)
		nodes = append(nodes, n)
	}
	report := func() {
		for _, n := range nodes {
			v, _ := n.latest()
			t.Logf("%s: alive %v suspect %v dead %v; stderr: %s", n.host, v.Alive, v.Suspect, v.Dead, n.stderr.String())
		}
	}
	all := func(ok func(*labNode) bool) func() bool {
		return func() bool {
			for _, n := range nodes {
				if !ok(n) {
					return false
				}
			}
			return true
		}
	}

	// 1. Discovery by multicast alone.
	if _, ok := waitFor(30*time.Second, all(func(n *labNode) bool { n.mu.Lock(); defer n.mu.Unlock(); return n.ready.T != 0 })); !ok {
		report()
		t.Fatal("not every labnode started")
	}
	var lastStart time.Time
	for _, n := range nodes {
		if s := time.Unix(0, n.ready.T); s.After(lastStart) {
			lastStart = s
		}
	}
	if _, ok := waitFor(60*time.Second, all(func(n *labNode) bool { v, _ := n.latest(); return whole(v) })); !ok {
		report()
		t.Fatalf("the %d members did not find each other", labHosts)
	}
	var converged time.Time
	for _, n := range nodes {
		at, _ := n.firstSince(time.Time{}, whole)
		if at.After(converged) {
			converged = at
		}
	}
	conv := converged.Sub(lastStart)
	t.Logf("FIGURE lab %s: all %d members see all %d alive %v after the last one started = %.2f heartbeat intervals (%v)",
		f.name, labHosts, labHosts, conv.Round(time.Millisecond), float64(conv)/float64(f.interval), f.interval)

	// The cost of heartbeats in steady state, from the members' own
	// counters over 5 intervals.
	first := snapshot(t, nodes)
	time.Sleep(5 * f.interval)
	second := snapshot(t, nodes)
	var sentBps, recvBps float64
	for i, n := range nodes {
		a, b := first[i], second[i]
		secs := b.Elapsed - a.Elapsed
		wire := float64(n.ready.HBBytes + f.ipHeader)
		sentBps += float64(b.HBSent-a.HBSent) * wire / secs
		recvBps += float64(b.HBRecv-a.HBRecv) * wire / secs
	}
	t.Logf("FIGURE lab %s: heartbeat payload %d bytes (%d on the wire with IP/UDP headers); per member per second in steady state: %.0f B sent, %.0f B received (interval %v, %d members)",
		f.name, nodes[0].ready.HBBytes, nodes[0].ready.HBBytes+f.ipHeader, sentBps/labHosts, recvBps/labHosts, f.interval, labHosts)

	// 2. Split the bridge: h4..h6 move to br1.
	half := labHosts / 2
	for i := half + 1; i <= labHosts; i++ {
		must(l.IP("sw", "link", "set", fmt.Sprintf("p%d", i), "master", "br1"))
	}
	split := time.Now()
	seesHalvesDead := func(n *labNode) bool {
		v, _ := n.latest()
		return len(v.Alive) == half && len(v.Dead) == labHosts-half
	}
	if _, ok := waitFor(120*time.Second, all(seesHalvesDead)); !ok {
		report()
		t.Fatal("the halves did not declare each other dead")
	}
	t.Logf("split: each half declared the other dead after %v", time.Since(split).Round(time.Millisecond))

	// 3. Join the bridge again.
	for i := half + 1; i <= labHosts; i++ {
		must(l.IP("sw", "link", "set", fmt.Sprintf("p%d", i), "master", "br0"))
	}
	healed := time.Now()
	if _, ok := waitFor(120*time.Second, all(func(n *labNode) bool { v, _ := n.latest(); return whole(v) })); !ok {
		report()
		t.Fatal("the halves did not merge back into one cluster with nobody dead")
	}
	var merged time.Time
	for _, n := range nodes {
		at, _ := n.firstSince(healed, whole)
		if at.After(merged) {
			merged = at
		}
	}
	t.Logf("FIGURE lab %s: split halves merged %v after the bridge was joined again = %.2f heartbeat intervals",
		f.name, merged.Sub(healed).Round(time.Millisecond), float64(merged.Sub(healed))/float64(f.interval))

}

// snapshot has every labnode print its counters and returns them.
func snapshot(t *testing.T, nodes []*labNode) []line {
	t.Helper()
	before := make([]int, len(nodes))
	for i, n := range nodes {
		before[i] = n.statsCount()
		if err := n.cmd.Process.Signal(syscall.SIGUSR1); err != nil {
			t.Fatalf("%s: %v", n.host, err)
		}
	}
	out := make([]line, len(nodes))
	for i, n := range nodes {
		if _, ok := waitFor(10*time.Second, func() bool { return n.statsCount() > before[i] }); !ok {
			t.Fatalf("%s printed no stats; stderr: %s", n.host, n.stderr.String())
		}
		n.mu.Lock()
		out[i] = n.stats[before[i]]
		n.mu.Unlock()
	}
	return out
}

// startNode runs labnode in namespace host and follows its stdout.
func startNode(l *netns.Lab, bin, host string, args ...string) (*labNode, error) {
	n := &labNode{host: host, done: make(chan struct{})}
	n.cmd = l.Exec(host, append([]string{bin}, args...)...)
	n.cmd.Stderr = &n.stderr
	stdout, err := n.cmd.StdoutPipe()
	if err != nil {
		return nil, err
	}
	if err := n.cmd.Start(); err != nil {
		return nil, fmt.Errorf("starting labnode in %s: %w", host, err)
	}
	go func() {
		defer close(n.done)
		sc := bufio.NewScanner(stdout)
		for sc.Scan() {
			var ln line
			if json.Unmarshal(sc.Bytes(), &ln) != nil {
				continue
			}
			n.mu.Lock()
			switch ln.Ev {
			case "ready":
				n.ready = ln
			case "view":
				n.views = append(n.views, ln)
			case "stats":
				n.stats = append(n.stats, ln)
			}
			n.mu.Unlock()
		}
	}()
	return n, nil
}

// stopAll asks every labnode to print its stats and exit, and kills those
// that do not within 10s. Safe to call twice.
func stopAll(t *testing.T, nodes []*labNode) {
	for _, n := range nodes {
		if n.cmd.ProcessState == nil {
			n.cmd.Process.Signal(syscall.SIGTERM)
		}
	}
	for _, n := range nodes {
		if n.cmd.ProcessState != nil {
			continue
		}
		select {
		case <-n.done:
		case <-time.After(10 * time.Second):
			t.Errorf("%s did not stop on SIGTERM; killing it", n.host)
			n.cmd.Process.Kill()
			<-n.done
		}
		n.cmd.Wait()
	}
}
