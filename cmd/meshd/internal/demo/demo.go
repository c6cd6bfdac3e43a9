// Package demo runs 'meshd demo': in one process, a cluster of agents on
// 127.0.0.2, 127.0.0.3, ... forms, loses a member to a crash, gets it back,
// and leaves, while a table shows what every agent believes about every
// other and the events scroll by. It ends by itself well within 30 seconds.
//
// The demo uses faster timing than --profile local (probe every 500 ms, a
// short suspicion timeout) so that a failure is detected in seconds; the
// algorithm is the same.
package demo

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"net/netip"
	"strings"
	"sync"
	"time"

	"github.com/meshd/meshd/internal/transport"
	"github.com/meshd/meshd/mesh"
)

// Options configure the demo.
type Options struct {
	Nodes int       // cluster size, 3 to 9; default 5
	Out   io.Writer // the table and the events
	// Live redraws the table in place (a terminal); otherwise each change
	// of the table is printed below the last.
	Live bool
	// Budget bounds the whole run. Default 30s.
	Budget time.Duration
}

type node struct {
	name string
	addr netip.AddrPort
	m    *mesh.Mesh // nil while crashed
}

type demo struct {
	Options
	mu      sync.Mutex // guards nodes[i].m and output
	nodes   []*node
	cluster string
	start   time.Time
	last    string // last table printed
	lines   int    // lines of the last table, for Live redraw
}

// Run runs the demo; it returns an error if a phase did not complete in time.
func Run(ctx context.Context, o Options) error {
	if o.Nodes == 0 {
		o.Nodes = 5
	}
	if o.Nodes < 3 || o.Nodes > 9 {
		return fmt.Errorf("nodes: %d, want 3 to 9", o.Nodes)
	}
	if o.Budget <= 0 {
		o.Budget = 30 * time.Second
	}
	ctx, cancel := context.WithTimeout(ctx, o.Budget)
	defer cancel()
	d := &demo{Options: o, cluster: fmt.Sprintf("demo-%d", time.Now().UnixNano()%100000), start: time.Now()}
	defer d.closeAll()

	events, stopEvents, err := d.startAll(ctx)
	if err != nil {
		return err
	}
	defer stopEvents()

	first, victim := d.nodes[0], d.nodes[len(d.nodes)/2]
	if err := d.until(ctx, "the cluster to form", func(view func(i, j int) string) bool {
		return d.all(view, func(_, _ int, s string) bool { return s == "alive" })
	}); err != nil {
		return err
	}
	d.say("converged: every agent sees %d alive", len(d.nodes))

	d.say("crashing %s (no goodbye, like kill -9)", victim.name)
	d.crash(victim)
	vi := len(d.nodes) / 2
	if err := d.until(ctx, victim.name+" to be declared dead", func(view func(i, j int) string) bool {
		return d.all(view, func(i, j int, s string) bool { return i == vi || j != vi || s == "dead" })
	}); err != nil {
		return err
	}
	d.say("every agent declared %s dead", victim.name)

	d.say("restarting %s at %s", victim.name, victim.addr)
	if err := d.restart(ctx, victim, first); err != nil {
		return err
	}
	if err := d.until(ctx, victim.name+" to be alive everywhere", func(view func(i, j int) string) bool {
		return d.all(view, func(_, _ int, s string) bool { return s == "alive" })
	}); err != nil {
		return err
	}
	d.say("%s is alive again everywhere", victim.name)

	d.say("all agents leave gracefully")
	d.leaveAll(ctx)
	stopEvents()
	n := <-events
	d.say("done in %.1fs: %d membership events seen by %s", time.Since(d.start).Seconds(), n, first.name)
	return nil
}

// startAll binds every agent's socket and starts it; the first agent's
// events are printed from before the others join. Addresses are 127.0.0.2
// upwards on one free port; where those addresses do not exist (macOS has
// only 127.0.0.1), every agent gets its own port on 127.0.0.1.
func (d *demo) startAll(ctx context.Context) (<-chan int, func(), error) {
	conns, err := listenAll(d.Nodes)
	if err != nil {
		return nil, nil, err
	}
	for i, c := range conns {
		n := &node{name: fmt.Sprintf("n%d", i+1), addr: c.LocalAddr()}
		d.nodes = append(d.nodes, n)
		if n.m, err = d.newMesh(n, c); err != nil {
			for _, rest := range conns[i+1:] {
				rest.Close()
			}
			return nil, nil, err
		}
	}
	events, stop := d.watchEvents(ctx)
	d.say("%d agents started on %s ... %s; each joins %s", len(d.nodes), d.nodes[0].addr, d.nodes[len(d.nodes)-1].addr, d.nodes[0].name)
	jctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	for _, n := range d.nodes[1:] {
		if _, err := n.m.Join(jctx, d.nodes[0].addr.String()); err != nil {
			stop()
			return nil, nil, fmt.Errorf("%s joins %s: %w", n.name, d.nodes[0].name, err)
		}
	}
	return events, stop, nil
}

func listenAll(n int) ([]*transport.UDP, error) {
	var lastErr error
	for range 10 {
		first, err := transport.ListenUDP("127.0.0.2:0")
		if err != nil {
			lastErr = err
			break
		}
		conns := []*transport.UDP{first}
		port := first.LocalAddr().Port()
		for i := 1; i < n; i++ {
			c, err := transport.ListenUDP(fmt.Sprintf("127.0.0.%d:%d", i+2, port))
			if err != nil {
				lastErr = err
				break
			}
			conns = append(conns, c)
		}
		if len(conns) == n {
			return conns, nil
		}
		for _, c := range conns {
			c.Close()
		}
	}
	// Fallback: one address, a port each.
	var conns []*transport.UDP
	for range n {
		c, err := transport.ListenUDP("127.0.0.1:0")
		if err != nil {
			for _, c := range conns {
				c.Close()
			}
			return nil, fmt.Errorf("bind a loopback UDP port: %v (and earlier %v)", err, lastErr)
		}
		conns = append(conns, c)
	}
	return conns, nil
}

func (d *demo) newMesh(n *node, conn transport.PacketConn) (*mesh.Mesh, error) {
	cfg := mesh.DefaultLocalConfig()
	cfg.Name = n.name
	cfg.BindAddr = n.addr.String()
	cfg.Transport = conn
	cfg.Cluster = d.cluster
	cfg.Logger = slog.New(slog.DiscardHandler)
	// Demo timing: detection in a few seconds instead of tens.
	cfg.ProbeInterval = 500 * time.Millisecond
	cfg.ProbeTimeout = 200 * time.Millisecond
	cfg.SuspicionMult = 2
	cfg.SuspicionMaxTimeoutMult = 2
	cfg.LeavePropagateDelay = 300 * time.Millisecond
	m, err := mesh.New(cfg)
	if err != nil {
		conn.Close()
		return nil, fmt.Errorf("start %s: %w", n.name, err)
	}
	return m, nil
}

func (d *demo) crash(n *node) {
	d.mu.Lock()
	m := n.m
	n.m = nil
	d.mu.Unlock()
	m.Close()
}

func (d *demo) restart(ctx context.Context, n, seed *node) error {
	conn, err := transport.ListenUDP(n.addr.String())
	if err != nil {
		return fmt.Errorf("restart %s: %w", n.name, err)
	}
	m, err := d.newMesh(n, conn)
	if err != nil {
		return err
	}
	d.mu.Lock()
	n.m = m
	d.mu.Unlock()
	jctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	if _, err := m.Join(jctx, seed.addr.String()); err != nil {
		return fmt.Errorf("%s rejoins %s: %w", n.name, seed.name, err)
	}
	return nil
}

func (d *demo) leaveAll(ctx context.Context) {
	var wg sync.WaitGroup
	d.mu.Lock()
	for _, n := range d.nodes {
		if n.m != nil {
			wg.Add(1)
			go func(m *mesh.Mesh) {
				defer wg.Done()
				lctx, cancel := context.WithTimeout(ctx, 3*time.Second)
				defer cancel()
				m.Leave(lctx)
			}(n.m)
		}
	}
	d.mu.Unlock()
	wg.Wait()
}

func (d *demo) closeAll() {
	d.mu.Lock()
	defer d.mu.Unlock()
	for _, n := range d.nodes {
		if n.m != nil {
			n.m.Close()
			n.m = nil
		}
	}
}

// watchEvents prints the first agent's events. The returned channel gets
// the number of events seen once stop is called.
func (d *demo) watchEvents(ctx context.Context) (<-chan int, func()) {
	ch, cancel := d.nodes[0].m.Subscribe()
	count := make(chan int, 1)
	done := make(chan struct{})
	go func() {
		n := 0
		defer func() { count <- n }()
		for {
			select {
			case <-done:
				return
			case <-ctx.Done():
				return
			case ev, ok := <-ch:
				if !ok {
					return
				}
				n++
				d.say("event seen by %s: %-6s %s (%s)", d.nodes[0].name, ev.Type, ev.Member.Name, ev.Member.Addr)
			}
		}
	}()
	var once sync.Once
	return count, func() { once.Do(func() { close(done); cancel() }) }
}

// view returns what agent i believes about agent j: a state name, "-" if
// it does not know j, or "down" if i itself is crashed.
func (d *demo) snapshotView() func(i, j int) string {
	d.mu.Lock()
	lists := make([][]mesh.Member, len(d.nodes))
	for i, n := range d.nodes {
		if n.m != nil {
			lists[i] = n.m.Members()
		}
	}
	d.mu.Unlock()
	return func(i, j int) string {
		if lists[i] == nil {
			return "down"
		}
		for _, m := range lists[i] {
			if m.Name == d.nodes[j].name {
				return m.State.String()
			}
		}
		return "-"
	}
}

// all applies ok to every (observer, member) pair of running observers.
func (d *demo) all(view func(i, j int) string, ok func(i, j int, s string) bool) bool {
	for i := range d.nodes {
		if view(i, i) == "down" {
			continue
		}
		for j := range d.nodes {
			if !ok(i, j, view(i, j)) {
				return false
			}
		}
	}
	return true
}

// until redraws the table every 200ms until cond holds or ctx ends.
func (d *demo) until(ctx context.Context, what string, cond func(view func(i, j int) string) bool) error {
	t := time.NewTicker(200 * time.Millisecond)
	defer t.Stop()
	for {
		view := d.snapshotView()
		d.table(view)
		if cond(view) {
			return nil
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("gave up waiting for %s after %.0fs: %w", what, time.Since(d.start).Seconds(), ctx.Err())
		case <-t.C:
		}
	}
}

var abbrev = map[string]string{"alive": "alive", "suspect": "SUSPECT", "dead": "DEAD", "left": "left", "-": "-", "down": "(crashed)"}

// table prints who-sees-whom if it changed.
func (d *demo) table(view func(i, j int) string) {
	var b strings.Builder
	fmt.Fprintf(&b, "%-12s", "")
	for _, n := range d.nodes {
		fmt.Fprintf(&b, "%-9s", n.name)
	}
	b.WriteByte('\n')
	for i, n := range d.nodes {
		fmt.Fprintf(&b, "%-12s", n.name+" sees")
		if view(i, i) == "down" {
			b.WriteString(abbrev["down"] + "\n")
			continue
		}
		for j := range d.nodes {
			fmt.Fprintf(&b, "%-9s", abbrev[view(i, j)])
		}
		b.WriteByte('\n')
	}
	s := b.String()
	d.mu.Lock()
	defer d.mu.Unlock()
	if s == d.last {
		return
	}
	if d.Live && d.lines > 0 {
		fmt.Fprintf(d.Out, "\x1b[%dA\x1b[J", d.lines) // up and clear: redraw in place
	} else {
		fmt.Fprintln(d.Out)
	}
	fmt.Fprint(d.Out, s)
	d.last, d.lines = s, strings.Count(s, "\n")
}

// say prints a timestamped line; a live table is printed again below it.
func (d *demo) say(format string, args ...any) {
	d.mu.Lock()
	defer d.mu.Unlock()
	fmt.Fprintf(d.Out, "[%5.1fs] %s\n", time.Since(d.start).Seconds(), fmt.Sprintf(format, args...))
	d.lines = 0 // the table is no longer right above: print it anew
	d.last = ""
}
