package simulator

import (
	"hash/fnv"
	"net/netip"
	"sort"
	"strings"
	"time"

	"github.com/meshd/meshd/internal/core"
	"github.com/meshd/meshd/internal/membership"
	"github.com/meshd/meshd/internal/transport"
)

// fakeNode is a deliberately simple membership protocol, enough to test the
// engine without the real core: every ProbeInterval a node sends a
// heartbeat to every member it knows and its member list to one random
// member; a member unheard for 2 intervals is suspect, for 4 dead; dead
// members still get heartbeats, so a healed network recovers. Messages
// are text: "H name addr", "J name addr", "L name addr;name=addr,...",
// "X name" (leave), and multicast "B name addr".
type fakeNode struct {
	name       string
	addr       netip.AddrPort
	iv         time.Duration
	rng        core.Rand
	members    map[string]*fakeMember
	next       time.Time
	leaving    bool
	discovered []netip.AddrPort

	out    []transport.Packet
	hbOut  [][]byte
	events []membership.Event
	multi  bool
	stats  core.Stats
}

type fakeMember struct {
	addr  netip.AddrPort
	state membership.State
	heard time.Time
}

func newFakeNode(cfg core.Config, now time.Time) (Node, error) {
	return &fakeNode{name: cfg.Name, addr: cfg.Addr, iv: cfg.ProbeInterval, rng: cfg.Rand,
		members: map[string]*fakeMember{}, next: now.Add(time.Duration(cfg.Rand.Float64() * float64(cfg.ProbeInterval))),
		multi: cfg.HeartbeatInterval > 0}, nil
}

func fakeHash(name string) uint64 {
	h := fnv.New64a()
	h.Write([]byte(name))
	return h.Sum64()
}

func (f *fakeNode) send(to netip.AddrPort, msg string) {
	f.out = append(f.out, transport.Packet{Addr: to, Data: []byte(msg)})
}

func (f *fakeNode) sorted() []string {
	names := make([]string, 0, len(f.members))
	for n := range f.members {
		names = append(names, n)
	}
	sort.Strings(names) // map order must not leak into the trace
	return names
}

func (f *fakeNode) set(now time.Time, name string, addr netip.AddrPort, st membership.State) {
	if name == f.name {
		return
	}
	m := f.members[name]
	if m == nil {
		m = &fakeMember{addr: addr, state: membership.StateDead}
		f.members[name] = m
	}
	m.addr = addr
	if st == membership.StateAlive {
		m.heard = now
	}
	if m.state == st || (st == membership.StateSuspect && m.state != membership.StateAlive) {
		return
	}
	prev := m.state
	m.state = st
	var typ membership.EventType
	switch st {
	case membership.StateAlive:
		if prev == membership.StateSuspect {
			return
		}
		typ = membership.EventJoin
	case membership.StateSuspect:
		f.stats.Suspicions++
		return
	case membership.StateDead:
		typ = membership.EventFail
	case membership.StateLeft:
		typ = membership.EventLeave
	}
	f.events = append(f.events, membership.Event{Type: typ, Member: membership.Member{Name: name, Addr: addr, State: st}, At: now})
}

func (f *fakeNode) Step(now time.Time, from netip.AddrPort, data []byte) {
	parts := strings.SplitN(string(data), " ", 3)
	if len(parts) < 2 || f.leaving {
		return
	}
	name := parts[1]
	addr := from
	if len(parts) == 3 {
		if a, err := netip.ParseAddrPort(strings.SplitN(parts[2], ";", 2)[0]); err == nil {
			addr = a
		}
	}
	switch parts[0] {
	case "H":
		f.set(now, name, addr, membership.StateAlive)
	case "J":
		f.set(now, name, addr, membership.StateAlive)
		f.send(addr, f.list())
	case "L":
		f.set(now, name, addr, membership.StateAlive)
		if _, rest, ok := strings.Cut(parts[2], ";"); ok && rest != "" {
			for _, kv := range strings.Split(rest, ",") {
				n, a, _ := strings.Cut(kv, "=")
				ap, err := netip.ParseAddrPort(a)
				if err != nil || n == f.name {
					continue
				}
				if m := f.members[n]; m == nil {
					f.set(now, n, ap, membership.StateAlive)
				}
			}
		}
	case "X":
		f.set(now, name, addr, membership.StateLeft)
	}
}

func (f *fakeNode) list() string {
	var b strings.Builder
	b.WriteString("L " + f.name + " " + f.addr.String() + ";")
	first := true
	for _, n := range f.sorted() {
		if m := f.members[n]; m.state == membership.StateAlive || m.state == membership.StateSuspect {
			if !first {
				b.WriteByte(',')
			}
			first = false
			b.WriteString(n + "=" + m.addr.String())
		}
	}
	return b.String()
}

func (f *fakeNode) StepHeartbeat(now time.Time, from netip.AddrPort, data []byte) {
	parts := strings.SplitN(string(data), " ", 3)
	if len(parts) != 3 || parts[0] != "B" || f.leaving {
		return
	}
	if m := f.members[parts[1]]; m == nil || m.state != membership.StateAlive {
		f.Join(now, []netip.AddrPort{from})
	}
}

func (f *fakeNode) Tick(now time.Time) {
	if now.Before(f.next) || f.leaving {
		return
	}
	f.next = now.Add(f.iv)
	var alive []string
	for _, n := range f.sorted() {
		m := f.members[n]
		if m.state != membership.StateAlive && m.state != membership.StateSuspect {
			if m.state == membership.StateDead {
				// Keep knocking, so partitions and loss heal.
				f.send(m.addr, "H "+f.name+" "+f.addr.String())
			}
			continue
		}
		switch age := now.Sub(m.heard); {
		case age > 4*f.iv:
			f.set(now, n, m.addr, membership.StateDead)
			continue
		case age > 2*f.iv:
			f.set(now, n, m.addr, membership.StateSuspect)
		}
		alive = append(alive, n)
		f.send(m.addr, "H "+f.name+" "+f.addr.String())
	}
	if len(alive) > 0 {
		f.send(f.members[alive[f.rng.Intn(len(alive))]].addr, f.list())
	}
	if f.multi {
		f.hbOut = append(f.hbOut, []byte("B "+f.name+" "+f.addr.String()))
	}
	f.joinMissing(now)
}

func (f *fakeNode) Ready() core.Ready {
	rd := core.Ready{Packets: f.out, Heartbeats: f.hbOut, Events: f.events, Deadline: f.next}
	f.out, f.hbOut, f.events = nil, nil, nil
	return rd
}

func (f *fakeNode) Join(now time.Time, addrs []netip.AddrPort) core.JoinID {
	for _, a := range addrs {
		if a != f.addr {
			f.send(a, "J "+f.name+" "+f.addr.String())
		}
	}
	return 0
}

// SetDiscovered joins the addresses at once and, at every tick, those where
// no alive member is known, as the core re-joins them every PollInterval.
func (f *fakeNode) SetDiscovered(now time.Time, addrs []netip.AddrPort) core.JoinID {
	f.discovered = addrs
	f.joinMissing(now)
	return 0
}

func (f *fakeNode) joinMissing(now time.Time) {
	var missing []netip.AddrPort
	for _, a := range f.discovered {
		known := false
		for _, m := range f.members {
			known = known || (m.addr == a && m.state == membership.StateAlive)
		}
		if !known {
			missing = append(missing, a)
		}
	}
	f.Join(now, missing)
}

func (f *fakeNode) Leave(now time.Time) {
	f.leaving = true
	for _, n := range f.sorted() {
		f.send(f.members[n].addr, "X "+f.name)
	}
}

func (f *fakeNode) View() (int, uint64) {
	live, h := 1, fakeHash(f.name)
	for n, m := range f.members {
		if m.state == membership.StateAlive || m.state == membership.StateSuspect {
			live++
			h ^= fakeHash(n)
		}
	}
	return live, h
}

func (f *fakeNode) Members() []membership.Member {
	out := []membership.Member{{Name: f.name, Addr: f.addr}}
	for _, n := range f.sorted() {
		m := f.members[n]
		out = append(out, membership.Member{Name: n, Addr: m.addr, State: m.state})
	}
	return out
}

func (f *fakeNode) Stats() core.Stats { return f.stats }

// fakeOpts runs the engine with the fake protocol.
func fakeOpts() Options { return Options{NewNode: newFakeNode, NameHash: fakeHash} }
