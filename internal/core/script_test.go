package core_test

import (
	"flag"
	"fmt"
	"net/netip"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/meshd/meshd/internal/coretest"
	"github.com/meshd/meshd/internal/membership"
	"github.com/meshd/meshd/internal/wire"
)

// Golden, script-driven tests in the style of etcd raft's datadriven tests:
// each testdata/*.txt file is a sequence of commands, each followed by
// "----" and the output it must produce. Run with -rewrite to regenerate the
// expected output after a deliberate change, then review the diff.
var rewrite = flag.Bool("rewrite", false, "rewrite the golden files in testdata/")

func TestScripts(t *testing.T) {
	files, _ := filepath.Glob("testdata/*.txt")
	if len(files) == 0 {
		t.Fatal("no scripts in testdata/")
	}
	for _, f := range files {
		t.Run(filepath.Base(f), func(t *testing.T) { runScript(t, f) })
	}
}

type block struct {
	cmd    string
	expect string
}

func parseScript(t *testing.T, path string) []block {
	raw, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var blocks []block
	lines := strings.Split(string(raw), "\n")
	for i := 0; i < len(lines); i++ {
		l := strings.TrimSpace(lines[i])
		if l == "" || strings.HasPrefix(l, "#") {
			continue
		}
		b := block{cmd: l}
		if i+1 >= len(lines) || strings.TrimSpace(lines[i+1]) != "----" {
			t.Fatalf("%s:%d: command %q is not followed by ----", path, i+1, l)
		}
		i += 2
		var out []string
		for ; i < len(lines) && strings.TrimSpace(lines[i]) != ""; i++ {
			out = append(out, lines[i])
		}
		b.expect = strings.Join(out, "\n")
		blocks = append(blocks, b)
	}
	return blocks
}

func runScript(t *testing.T, path string) {
	blocks := parseScript(t, path)
	s := &script{t: t}
	var rewritten strings.Builder
	for _, b := range blocks {
		got := strings.TrimRight(s.exec(b.cmd), "\n")
		if got == "" {
			got = "ok"
		}
		fmt.Fprintf(&rewritten, "%s\n----\n%s\n\n", b.cmd, got)
		if !*rewrite && got != b.expect {
			t.Errorf("%s: %q:\n--- want\n%s\n--- got\n%s", path, b.cmd, b.expect, got)
		}
	}
	if *rewrite {
		if err := os.WriteFile(path, []byte(rewritten.String()), 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

type script struct {
	t      *testing.T
	net    *coretest.Net
	cut    map[string]bool // hosts whose outgoing packets are dropped
	groups map[string]int  // partition group of each host, nil when whole
	// events observed since the last command that printed them
	seen []string
}

func (s *script) host(name string) *coretest.Host {
	for _, h := range s.net.Nodes {
		if h.Name == name {
			return h
		}
	}
	s.t.Fatalf("no host %q", name)
	return nil
}

func (s *script) exec(line string) string {
	f := strings.Fields(line)
	args := f[1:]
	switch f[0] {
	case "nodes":
		var n int
		fmt.Sscan(args[0], &n)
		s.net = coretest.New(1, coretest.LANParams())
		s.cut = map[string]bool{}
		s.net.OnEvent = func(h *coretest.Host, ev membership.Event) {
			s.seen = append(s.seen, fmt.Sprintf("%s %s", ev.Type, ev.Member.Name)+"@"+h.Name)
		}
		s.net.Blocked = func(from, to *coretest.Host) bool { return s.cut[from.Name] || s.blocked(from, to) }
		for i := 0; i < n; i++ {
			s.net.Add()
		}
		return fmt.Sprintf("%d nodes", n)
	case "join":
		for _, name := range args[1:] {
			s.net.Join(s.host(name), s.host(args[0]))
		}
	case "join-all":
		for _, h := range s.net.Nodes {
			if h.Name != args[0] {
				s.net.Join(h, s.host(args[0]))
			}
		}
	case "run":
		d, err := time.ParseDuration(args[0])
		if err != nil {
			s.t.Fatal(err)
		}
		s.net.Run(d)
		return s.events()
	case "stabilize":
		d, ok := s.net.RunUntil(100*time.Millisecond, 3*time.Minute, s.net.Converged)
		out := s.events()
		if !ok {
			return out + fmt.Sprintf("NOT converged after %v", d)
		}
		return out + "converged"
	case "crash":
		s.net.Crash(s.host(args[0]))
	case "restart":
		s.net.Restart(s.host(args[0]))
	case "leave":
		s.net.Leave(s.host(args[0]))
	case "mute": // the host's outgoing packets are lost, incoming still arrive
		s.cut[args[0]] = true
	case "unmute":
		delete(s.cut, args[0])
	case "partition":
		s.groups = map[string]int{}
		for g, grp := range args {
			for _, name := range strings.Split(strings.Trim(grp, "()"), ",") {
				s.groups[name] = g + 1
			}
		}
	case "heal":
		s.groups = nil
	case "state":
		return s.state(s.host(args[0]))
	case "inject":
		return s.inject(args)
	default:
		s.t.Fatalf("unknown command %q", f[0])
	}
	return ""
}

func (s *script) blocked(from, to *coretest.Host) bool {
	if s.groups == nil {
		return false
	}
	return s.groups[from.Name] != s.groups[to.Name]
}

// events prints what happened, one line per (event, member) with its
// observers, in a stable order.
func (s *script) events() string {
	by := map[string][]string{}
	for _, e := range s.seen {
		k, obs, _ := strings.Cut(e, "@")
		by[k] = append(by[k], obs)
	}
	s.seen = nil
	keys := make([]string, 0, len(by))
	for k := range by {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	var b strings.Builder
	for _, k := range keys {
		obs := by[k]
		sort.Strings(obs)
		fmt.Fprintf(&b, "%s seen by %s\n", k, strings.Join(obs, " "))
	}
	return b.String()
}

func (s *script) state(h *coretest.Host) string {
	ms := h.Node.Members()
	sort.Slice(ms, func(i, j int) bool { return ms[i].Name < ms[j].Name })
	var b strings.Builder
	for _, m := range ms {
		fmt.Fprintf(&b, "%s %s inc=%d", m.Name, m.State, m.Incarnation)
		if len(m.Meta) > 0 {
			keys := make([]string, 0, len(m.Meta))
			for k := range m.Meta {
				keys = append(keys, k)
			}
			sort.Strings(keys)
			for _, k := range keys {
				fmt.Fprintf(&b, " %s=%s", k, m.Meta[k])
			}
		}
		b.WriteString("\n")
	}
	return b.String()
}

// inject TO KIND NAME inc=N [meta=K:V] delivers one message to host TO as if
// gossiped by a stranger, and prints TO's entry for NAME afterwards.
func (s *script) inject(args []string) string {
	to := s.host(args[0])
	kind, name := args[1], args[2]
	var inc uint64
	meta := map[string]string{}
	for _, a := range args[3:] {
		k, v, _ := strings.Cut(a, "=")
		switch k {
		case "inc":
			fmt.Sscan(v, &inc)
		case "meta":
			mk, mv, _ := strings.Cut(v, ":")
			meta[mk] = mv
		}
	}
	var m wire.Msg
	switch kind {
	case "alive":
		addr := s.host(name).Addr
		m = wire.Alive{Name: name, Addr: addr, Inc: inc, MetaVer: inc, Meta: meta}
	case "suspect":
		m = wire.Suspect{Name: name, Inc: inc, From: "stranger"}
	case "dead":
		m = wire.Dead{Name: name, Inc: inc, From: "stranger"}
	default:
		s.t.Fatalf("inject: unknown kind %q", kind)
	}
	codec, _ := wire.NewCodec(s.net.Cluster, nil, nil)
	pkt, _ := codec.Frame(nil, wire.NewEncoder().Encode(m), s.net.Now)
	to.Node.Step(s.net.Now, netip.MustParseAddrPort("192.0.2.1:7946"), pkt)
	for _, mem := range to.Node.Members() {
		if mem.Name == name {
			return strings.TrimSpace(fmt.Sprintf("%s %s inc=%d %v", mem.Name, mem.State, mem.Incarnation, metaString(mem.Meta)))
		}
	}
	return name + " unknown"
}

func metaString(m map[string]string) string {
	var parts []string
	for k, v := range m {
		parts = append(parts, k+"="+v)
	}
	sort.Strings(parts)
	return strings.Join(parts, " ")
}
