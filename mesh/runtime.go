package mesh

import (
	"context"
	"crypto/rand"
	"encoding/binary"
	"errors"
	"fmt"
	"log/slog"
	mrand "math/rand"
	"net"
	"net/netip"
	"sync"
	"sync/atomic"
	"time"

	"github.com/meshd/meshd/internal/clock"
	"github.com/meshd/meshd/internal/core"
	"github.com/meshd/meshd/internal/membership"
	"github.com/meshd/meshd/internal/transport"
)

// Mesh is a running member of a cluster. Every method is safe for concurrent
// use, with any other, Close included. One goroutine owns the protocol state
// (a core.Node) and feeds it packets and time; the others only talk to it
// through commands.
//
// After Close (or Leave, which ends in Close, or a stop of its own when
// another member goes by its name: see Done, Err and NameConflictError)
// the Mesh is stopped for good, and every method says so the same way: those that return an error return
// ErrClosed (a second Close too); Members, Local and Stats return empty
// values (nil, the zero Member, zero counters with empty maps); Subscribe
// and SubscribeWithMembers return a channel that is already closed, and
// every channel returned before is closed by Close. Addr keeps returning
// the address, which never changes.
type Mesh struct {
	cfg  Config
	log  *slog.Logger
	conn transport.PacketConn
	addr netip.AddrPort
	// clock is where every time and timer of the driver comes from: the
	// system clock unless a test set Config.clock.
	clock clock.Clock

	cmds     chan func(n *core.Node)
	inbox    chan []transport.Packet
	bufs     sync.Pool
	done     chan struct{} // closed when Close begins
	stopped  chan struct{} // closed when Close has ended (Done)
	conflict atomic.Pointer[NameConflictError]
	wg       sync.WaitGroup
	closed   sync.Once

	seq uint64 // number of the last event published; engine goroutine only

	subsMu     sync.Mutex
	subs       map[*subscriber]struct{}
	subsClosed bool // Close stopped every subscriber; later ones start closed

	joinMu   sync.Mutex
	joinWait map[core.JoinID]chan core.JoinReport // Join calls waiting on an attempt

	stratMu     sync.Mutex
	strat       *strategies    // nil once closed
	stratStops  sync.WaitGroup // SetStrategies still stopping replaced ones
	stratClosed bool

	mc *multicastRunner

	dropWarnLim, dropDebugLim *dropLimiter // owned by the engine goroutine
}

// ErrClosed is returned by every method that returns an error, when it is
// called after Leave or Close.
var ErrClosed = errors.New("mesh: closed")

// New validates cfg, binds the sockets and starts the engine.
func New(cfg Config) (*Mesh, error) {
	cfg = cfg.withDefaults()
	if err := cfg.validate(); err != nil {
		return nil, err
	}
	conn := cfg.Transport
	if conn == nil {
		u, err := transport.ListenUDP(mustHostPort(cfg.BindAddr).String())
		if err != nil {
			return nil, &FieldError{Field: "BindAddr", Err: err}
		}
		conn = u
	}
	addr, err := advertiseAddr(cfg, conn.LocalAddr())
	if err != nil {
		conn.Close()
		return nil, err
	}
	seed := cfg.Seed
	if seed == 0 {
		var b [8]byte
		rand.Read(b[:])
		seed = int64(binary.LittleEndian.Uint64(b[:]))
	}
	clk := cfg.clock
	if clk == nil {
		clk = clock.Real{}
	}
	params := cfg.params()
	if cfg.Multicast != nil {
		params.HeartbeatInterval = cfg.Multicast.Interval
	}
	node, err := core.New(core.Config{Name: cfg.Name, Addr: addr, Cluster: cfg.Cluster, Keys: cfg.Keys,
		Meta: cfg.Meta, Params: params, Rejoin: resolveRejoin(cfg, cfg.Logger),
		Rand: mrand.New(mrand.NewSource(seed))}, clk.Now())
	if err != nil {
		conn.Close()
		return nil, fmt.Errorf("mesh: %w", err)
	}
	m := &Mesh{cfg: cfg, log: cfg.Logger.With("member", cfg.Name), conn: conn, addr: addr, clock: clk,
		cmds: make(chan func(*core.Node), 64), inbox: make(chan []transport.Packet, 64),
		done: make(chan struct{}), stopped: make(chan struct{}), subs: map[*subscriber]struct{}{}, joinWait: map[core.JoinID]chan core.JoinReport{},
		dropWarnLim:  newDropLimiter(dropLogInterval, dropLogSources, dropLogLines),
		dropDebugLim: newDropLimiter(dropLogInterval, dropLogSources, dropLogLines)}
	m.bufs.New = func() any { return newBatch(cfg.MaxPacketSize + 1) }
	if cfg.Multicast != nil {
		mc, err := startMulticast(m, *cfg.Multicast)
		if err != nil {
			conn.Close()
			return nil, err
		}
		m.mc = mc
	}
	m.wg.Add(2)
	go m.readLoop()
	go m.run(node)
	m.strat = startStrategies(m, cfg.Strategies)
	if cfg.StrategyWait > 0 {
		m.strat.wait(cfg.StrategyWait)
	}
	return m, nil
}

func (c Config) params() core.Params {
	return core.Params{Params: c.Params, PollInterval: c.PollInterval}
}

func mustHostPort(s string) netip.AddrPort {
	ap, _ := parseHostPort(s) // Validate checked it
	return ap
}

// advertiseAddr is AdvertiseAddr, or the bound address with an unspecified
// host replaced by the machine's first non-loopback address.
func advertiseAddr(cfg Config, bound netip.AddrPort) (netip.AddrPort, error) {
	if cfg.AdvertiseAddr != "" {
		return mustHostPort(cfg.AdvertiseAddr), nil
	}
	if !bound.Addr().IsUnspecified() {
		return bound, nil
	}
	ifaces, err := net.InterfaceAddrs()
	if err == nil {
		for _, a := range ifaces {
			if p, ok := a.(*net.IPNet); ok {
				ip, _ := netip.AddrFromSlice(p.IP)
				ip = ip.Unmap()
				if ip.IsValid() && !ip.IsLoopback() && !ip.IsLinkLocalUnicast() && ip.Is4() == bound.Addr().Is4() {
					return netip.AddrPortFrom(ip, bound.Port()), nil
				}
			}
		}
	}
	return netip.AddrPort{}, &FieldError{Field: "AdvertiseAddr",
		Err: fmt.Errorf("BindAddr %s is unspecified and no usable interface address was found; set AdvertiseAddr", bound)}
}

type batch struct{ ps []transport.Packet }

const batchSize = 32

func newBatch(size int) *batch {
	b := &batch{ps: make([]transport.Packet, batchSize)}
	for i := range b.ps {
		b.ps[i].Data = make([]byte, size)
	}
	return b
}

// readLoop moves datagrams from the socket to the engine goroutine.
func (m *Mesh) readLoop() {
	defer m.wg.Done()
	for {
		b := m.bufs.Get().(*batch)
		for i := range b.ps {
			b.ps[i].Data = b.ps[i].Data[:cap(b.ps[i].Data)]
		}
		n, err := m.conn.ReadPackets(b.ps)
		if err != nil {
			select {
			case <-m.done:
				return
			default:
			}
			if errors.Is(err, transport.ErrClosed) || errors.Is(err, net.ErrClosed) {
				return
			}
			m.log.Warn("read failed", "err", err)
			m.bufs.Put(b)
			if !m.pause(10 * time.Millisecond) {
				return
			}
			continue
		}
		select {
		case m.inbox <- b.ps[:n]:
		case <-m.done:
			return
		}
	}
}

// pause waits d on the clock and reports false if the mesh closed meanwhile.
func (m *Mesh) pause(d time.Duration) bool {
	t := m.clock.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C():
		return true
	case <-m.done:
		return false
	}
}

// run is the engine goroutine: the only one that touches the node.
func (m *Mesh) run(node *core.Node) {
	defer m.wg.Done()
	timer := m.clock.NewTimer(time.Hour)
	defer timer.Stop()
	m.resetTimer(timer, node)
	for {
		select {
		case ps := <-m.inbox:
			now := m.clock.Now()
			for _, p := range ps {
				node.Step(now, p.Addr, p.Data)
			}
			m.bufs.Put(&batch{ps: ps[:cap(ps)]})
		case <-timer.C():
			node.Tick(m.clock.Now())
		case hb := <-m.mcInbox():
			node.StepHeartbeat(m.clock.Now(), hb.Addr, hb.Data)
		case cmd := <-m.cmds:
			cmd(node)
		case <-m.done:
			return
		}
		m.resetTimer(timer, node)
	}
}

func (m *Mesh) mcInbox() <-chan transport.Packet {
	if m.mc == nil {
		return nil
	}
	return m.mc.inbox
}

// resetTimer arms the timer for the node's next deadline. Tick is cheap, so
// a deadline already past fires at once.
func (m *Mesh) resetTimer(timer clock.Timer, node *core.Node) {
	rd := node.Ready()
	m.deliver(rd)
	d := m.clock.Until(rd.Deadline)
	if d < 0 {
		d = 0
	}
	timer.Reset(d)
}

func (m *Mesh) deliver(rd core.Ready) {
	if len(rd.Packets) > 0 {
		if err := m.conn.WritePackets(rd.Packets); err != nil && !errors.Is(err, transport.ErrClosed) {
			m.log.Debug("send failed", "err", err)
		}
	}
	if m.mc != nil {
		for _, hb := range rd.Heartbeats {
			m.mc.send(hb)
		}
	}
	if len(rd.Drops) > 0 {
		m.logDrops(m.clock.Now(), rd.Drops)
	}
	for _, ev := range rd.Events {
		m.log.Debug("member "+ev.Type.String(), "name", ev.Member.Name, "addr", ev.Member.Addr)
		m.seq++
		m.publish(fromEvent(ev, m.seq))
	}
	if len(rd.NameConflicts) > 0 {
		m.nameConflicts(rd.NameConflicts)
	}
	m.reportJoins(rd.Joins)
}

// do runs fn on the engine goroutine and waits for it.
func (m *Mesh) do(fn func(n *core.Node)) error {
	ran := make(chan struct{})
	select {
	case m.cmds <- func(n *core.Node) { fn(n); close(ran) }:
	case <-m.done:
		return ErrClosed
	}
	select {
	case <-ran:
		return nil
	case <-m.done:
		return ErrClosed
	}
}

// Addr is the address other members reach this one at.
func (m *Mesh) Addr() netip.AddrPort { return m.addr }

// isClosed reports whether Close has begun.
func (m *Mesh) isClosed() bool {
	select {
	case <-m.done:
		return true
	default:
		return false
	}
}

// Members returns every known member, this one included, dead and left
// tombstones included until they are reaped. After Close it returns nil.
func (m *Mesh) Members() []Member {
	var out []Member
	if m.do(func(n *core.Node) { out = fromMembers(n.Members()) }) != nil {
		return nil
	}
	return out
}

// Local returns this member. After Close it returns the zero Member.
func (m *Mesh) Local() Member {
	var out Member
	if m.do(func(n *core.Node) { out = fromMember(n.Local()) }) != nil {
		return Member{}
	}
	return out
}

// SetMeta replaces this member's metadata and gossips it. Metadata over
// Config.MaxMetaSize is refused with a *FieldError naming Meta.
func (m *Mesh) SetMeta(meta map[string]string) error {
	if m.isClosed() {
		return ErrClosed
	}
	if err := checkMeta(meta, m.cfg.Params); err != nil {
		return err
	}
	var err error
	if e := m.do(func(n *core.Node) { err = n.SetMeta(m.clock.Now(), meta) }); e != nil {
		return e
	}
	return err
}

// SetKeys replaces the keyring (first key encrypts, all decrypt) without a restart.
func (m *Mesh) SetKeys(keys [][]byte) error {
	if m.isClosed() {
		return ErrClosed
	}
	if err := checkKeys(keys); err != nil {
		return err
	}
	var err error
	if e := m.do(func(n *core.Node) { err = n.SetKeys(keys) }); e != nil {
		return e
	}
	return err
}

// SetStrategies stops the running strategies and starts these instead. It
// returns once the replaced ones have stopped.
func (m *Mesh) SetStrategies(s []Strategy) error {
	if m.isClosed() {
		return ErrClosed
	}
	for i, st := range s {
		if st == nil {
			return fieldErr(fmt.Sprintf("Strategies[%d]", i), "is nil")
		}
	}
	m.stratMu.Lock()
	if m.stratClosed {
		m.stratMu.Unlock()
		return ErrClosed
	}
	old := m.strat
	m.strat = startStrategies(m, s)
	// Close waits for this stop too, so no strategy outlives Close.
	m.stratStops.Add(1)
	m.stratMu.Unlock()
	defer m.stratStops.Done()
	old.stop()
	return nil
}

// strategyStats reports the running strategies.
func (m *Mesh) strategyStats() map[string]StrategyStats {
	m.stratMu.Lock()
	s := m.strat
	m.stratMu.Unlock()
	if s == nil {
		return map[string]StrategyStats{}
	}
	return s.stats()
}

// emptyStats is what Stats returns after Close: zero counters, empty maps.
func emptyStats() Stats {
	return Stats{Members: map[State]int{}, Dropped: map[DropReason]uint64{}, Events: map[EventType]uint64{},
		Heartbeats: HeartbeatStats{Dropped: map[DropReason]uint64{}}, Strategies: map[string]StrategyStats{}}
}

// Stats returns the engine's counters. After Close it returns zero counters
// with empty maps.
func (m *Mesh) Stats() Stats {
	var cs core.Stats
	st := Stats{Members: map[State]int{}}
	err := m.do(func(n *core.Node) {
		cs = n.Stats()
		for _, mem := range n.Members() {
			st.Members[fromState(mem.State)]++
		}
	})
	if err != nil {
		return emptyStats()
	}
	st.ProbesSent, st.ProbesFailed, st.IndirectProbes = cs.ProbesSent, cs.ProbesFailed, cs.IndirectProbes
	st.Suspicions, st.Refutations, st.NameConflicts = cs.Suspicions, cs.Refutations, cs.NameConflicts
	st.PacketsIn, st.PacketsOut, st.BytesIn, st.BytesOut = cs.PacketsIn, cs.PacketsOut, cs.BytesIn, cs.BytesOut
	st.Dropped = dropCounts(cs.Dropped)
	st.Events = map[EventType]uint64{}
	for t, c := range cs.Events {
		st.Events[fromEventType(membership.EventType(t))] = c
	}
	st.Heartbeats = HeartbeatStats{Sent: cs.HeartbeatsSent, Received: cs.HeartbeatsIn, Dropped: dropCounts(cs.HeartbeatDropped)}
	if m.mc != nil {
		m.mc.addStats(&st.Heartbeats)
	}
	st.Strategies = m.strategyStats()
	return st
}

// Leave announces a graceful leave, gossips it for LeavePropagateDelay (or
// until ctx ends) and stops the mesh. Others see StateLeft and EventLeave.
func (m *Mesh) Leave(ctx context.Context) error {
	if err := m.do(func(n *core.Node) { n.Leave(m.clock.Now()) }); err != nil {
		return err
	}
	t := m.clock.NewTimer(m.cfg.LeavePropagateDelay)
	defer t.Stop()
	select {
	case <-t.C():
	case <-ctx.Done():
	}
	return m.Close()
}

// Close stops the mesh abruptly without a leave message, as a crash would.
// It returns once every goroutine of the mesh has ended and every channel
// it handed out is closed. A second Close returns ErrClosed.
func (m *Mesh) Close() error {
	err := ErrClosed
	m.closed.Do(func() {
		m.stratMu.Lock()
		m.stratClosed = true
		strat := m.strat
		m.strat = nil
		m.stratMu.Unlock()
		strat.stop()
		m.stratStops.Wait()
		close(m.done)
		err = m.conn.Close()
		if m.mc != nil {
			m.mc.close()
		}
		m.wg.Wait()
		m.subsMu.Lock()
		subs := m.subs
		m.subs, m.subsClosed = nil, true
		m.subsMu.Unlock()
		for s := range subs {
			s.stop()
		}
		close(m.stopped)
	})
	return err
}
