package failure

import (
	"container/heap"
	"net/netip"
	"time"
)

// Config holds the timing knobs (see mesh.Config for units and defaults).
type Config struct {
	Self                    string // this node's name: its place on the probe ring
	ProbeInterval           time.Duration
	ProbeTimeout            time.Duration
	IndirectChecks          int
	SuspicionMult           int
	SuspicionMaxTimeoutMult int
	AwarenessMax            int // 1 disables local health
}

// Target is a member that can be probed.
type Target struct {
	Name string
	Addr netip.AddrPort
}

// Members is the detector's read-only view of the member table.
type Members interface {
	// Probeable appends the names of the alive and suspect members other
	// than self to dst. Names only: the probe list is the detector's one
	// O(N) structure, and an address per entry would double it.
	Probeable(dst []string) []string
	// Lookup says whether name is still probeable, and where.
	Lookup(name string) (Target, bool)
	// Helper says whether name may relay an indirect probe: alive and not
	// suspected (as memberlist picks them). A suspect helper is likely
	// dead too: its missing nack would count against our local health.
	Helper(name string) (Target, bool)
	// Size is the number of live members, self included.
	Size() int
}

// ActionKind says what the caller must do.
type ActionKind uint8

const (
	SendPing    ActionKind = iota // send Ping{Seq, Target.Name} to Target.Addr
	SendPingReq                   // send PingReq{Seq, Target} to each of Helpers
	SendAck                       // relay: send Ack{Seq} to To
	SendNack                      // relay: send Nack{Seq} to To
	Suspect                       // Target missed its probe: suspect it
	Dead                          // suspicion of Target at Inc expired: declare it dead
	Remind                        // this node's accusation of Target at Inc still runs: announce it again
)

// Action is one output of the detector.
type Action struct {
	Kind    ActionKind
	Seq     uint32
	Target  Target
	Helpers []Target
	To      netip.AddrPort
	Inc     uint64
}

type probe struct {
	seq           uint32
	target        Target
	indirectAt    time.Time // direct timeout: ask helpers
	endAt         time.Time // end of the probe period: suspect if no ack
	indirect      bool
	expectedNacks int
	nacks         int
	acked         bool
}

type relay struct {
	origSeq   uint32
	requester netip.AddrPort
	deadline  time.Time
}

// Detector runs the probe cycle. Not safe for concurrent use.
type Detector struct {
	cfg       Config
	rng       Rand
	seq       uint32
	ring      probeRing // probe targets by name: addresses are looked up when used
	window    int64     // probe window of the last probe started
	rebuildAt int64     // window at which the ring is read afresh from the table
	cur       *probe
	nextProbe time.Time
	awareness int
	relays    map[uint32]*relay
	timers    timerHeap // relay deadlines and suspicion expiries
	susp      map[string]*suspicion
	holdUntil time.Time // see HoldVerdicts
	actions   []Action

	// Counters for metrics.
	ProbesSent, ProbesFailed, IndirectSent uint64
}

// New returns a detector; the first probe starts at the first Tick.
func New(cfg Config, rng Rand) *Detector {
	if cfg.AwarenessMax < 1 {
		cfg.AwarenessMax = 1
	}
	return &Detector{cfg: cfg, rng: rng, relays: map[uint32]*relay{}, susp: map[string]*suspicion{}}
}

// Multiplier is Lifeguard's current local health multiplier (1 = healthy).
func (d *Detector) Multiplier() int { return d.awareness + 1 }

func (d *Detector) adjustAwareness(delta int) {
	d.awareness = min(max(d.awareness+delta, 0), d.cfg.AwarenessMax-1)
}

// Refuted is called when this node had to refute a suspicion of itself: a
// sign its own messages are late, so it slows down (Lifeguard).
func (d *Detector) Refuted() { d.adjustAwareness(1) }

// Actions returns and clears the pending actions.
func (d *Detector) Actions() []Action {
	a := d.actions
	d.actions = nil
	return a
}

func (d *Detector) emit(a Action) { d.actions = append(d.actions, a) }

func (d *Detector) nextSeq() uint32 {
	d.seq++
	return d.seq
}

// Deadline is the earliest time the detector needs a Tick.
func (d *Detector) Deadline() time.Time {
	dl := d.nextProbe
	if p := d.cur; p != nil && !p.acked {
		if !p.indirect && p.indirectAt.Before(dl) {
			dl = p.indirectAt
		}
		if p.endAt.Before(dl) {
			dl = p.endAt
		}
	}
	if len(d.timers) > 0 && d.timers[0].at.Before(dl) {
		dl = d.timers[0].at
	}
	return dl
}

// Tick advances the probe cycle, relays and suspicions to now.
func (d *Detector) Tick(now time.Time, m Members) {
	d.fireTimers(now)
	if p := d.cur; p != nil && !p.acked {
		if !p.indirect && !now.Before(p.indirectAt) {
			d.goIndirect(p, m)
		}
		if !now.Before(p.endAt) {
			d.finish(p, now)
		}
	}
	if !now.Before(d.nextProbe) {
		if p := d.cur; p != nil && !p.acked {
			d.finish(p, now)
		}
		d.startProbe(now, m)
	}
}

func (d *Detector) startProbe(now time.Time, m Members) {
	mult := time.Duration(d.Multiplier())
	d.nextProbe = now.Add(d.cfg.ProbeInterval * mult)
	d.cur = nil
	t, ok := d.pick(now, m)
	if !ok {
		return
	}
	p := &probe{seq: d.nextSeq(), target: t,
		indirectAt: now.Add(d.cfg.ProbeTimeout * mult),
		endAt:      now.Add(d.cfg.ProbeInterval * mult)}
	d.cur = p
	d.ProbesSent++
	d.emit(Action{Kind: SendPing, Seq: p.seq, Target: t})
}

// pick returns the member this node probes in the window now falls in
// (see probeRing). Consecutive probes are at least an interval apart, so
// they fall in successive windows; a late tick skips one, never repeats.
func (d *Detector) pick(now time.Time, m Members) (Target, bool) {
	w := now.UnixNano() / int64(max(d.cfg.ProbeInterval, time.Millisecond))
	if w <= d.window {
		w = d.window + 1
	}
	d.window = w
	// Add and Remove keep the ring current; reading it afresh once a cycle
	// of windows bounds the cost of any change they missed.
	if !d.ring.built || w >= d.rebuildAt {
		d.ring.build(m, d.cfg.Self)
		d.rebuildAt = w + int64(len(d.ring.names))
	}
	n := len(d.ring.names)
	self, ok := d.ring.find(d.cfg.Self)
	if n < 2 || !ok {
		return Target{}, false
	}
	off := int(uint64(w) % uint64(n-1))
	for k := 0; k < n-1; k++ {
		name := d.ring.at(self, 1+(off+k)%(n-1))
		if t, ok := m.Lookup(name); ok {
			return t, true
		}
	}
	return Target{}, false
}

// Add puts a member that just became probeable (new, or back from dead or
// left) on the probe ring: some node probes it in the next window. Before
// the ring, a newcomer waited for a place in each node's shuffled round.
func (d *Detector) Add(name string) { d.ring.add(name) }

// Remove takes a member that is no longer probeable (dead or left) off the
// ring, so that the nodes' rings stay alike and keep every member covered.
func (d *Detector) Remove(name string) { d.ring.remove(name) }

func (d *Detector) goIndirect(p *probe, m Members) {
	p.indirect = true
	ring := d.ring.names
	if d.cfg.IndirectChecks <= 0 || len(ring) < 3 {
		return
	}
	// Helpers are drawn at random from the probe ring, checked against the
	// table: no O(N) copy of the members per failed probe.
	var helpers []Target
	for tries := 0; tries < 4*d.cfg.IndirectChecks && len(helpers) < d.cfg.IndirectChecks; tries++ {
		c := ring[d.rng.Intn(len(ring))]
		if c == p.target.Name || c == d.cfg.Self || hasTarget(helpers, c) {
			continue
		}
		if h, ok := m.Helper(c); ok {
			helpers = append(helpers, h)
		}
	}
	if len(helpers) == 0 {
		return
	}
	p.expectedNacks = len(helpers)
	d.IndirectSent += uint64(len(helpers))
	d.emit(Action{Kind: SendPingReq, Seq: p.seq, Target: p.target, Helpers: helpers})
}

func hasTarget(ts []Target, name string) bool {
	for _, t := range ts {
		if t.Name == name {
			return true
		}
	}
	return false
}

// finish closes a probe that got no ack. Lifeguard charges local health
// one point per helper that did not even send a nack (then the fault is
// more likely ours than the target's), and nothing when every helper
// answered: they vouch that we can talk, so the target is the one at fault.
// Without helpers, a failed probe costs one point. (memberlist's rule; a
// point per failed probe whatever the nacks stretched this node's probe
// interval while several members were down, and so slowed their detection.)
func (d *Detector) finish(p *probe, now time.Time) {
	if p.acked || d.cur != p {
		return
	}
	p.acked = true // closed
	d.ProbesFailed++
	switch {
	case p.expectedNacks == 0:
		d.adjustAwareness(1)
	case p.nacks < p.expectedNacks:
		d.adjustAwareness(p.expectedNacks - p.nacks)
	}
	d.emit(Action{Kind: Suspect, Target: p.target})
}

// HandleAck processes an ack: for our probe it closes the probe; for a
// probe relayed for another node it forwards the ack.
func (d *Detector) HandleAck(now time.Time, seq uint32) {
	if p := d.cur; p != nil && p.seq == seq && !p.acked {
		p.acked = true
		d.adjustAwareness(-1)
		return
	}
	if r, ok := d.relays[seq]; ok {
		delete(d.relays, seq)
		d.emit(Action{Kind: SendAck, Seq: r.origSeq, To: r.requester})
	}
}

// HandleNack counts a helper's nack for our current probe.
func (d *Detector) HandleNack(seq uint32) {
	if p := d.cur; p != nil && p.seq == seq {
		p.nacks++
	}
}

// Relay handles a ping-req: probe target on behalf of requester, answering
// with origSeq; a nack follows if the target stays silent for ProbeTimeout.
func (d *Detector) Relay(now time.Time, origSeq uint32, requester netip.AddrPort, target Target) {
	if len(d.relays) >= 4096 {
		return // bounded: a flood of ping-reqs cannot grow memory
	}
	seq := d.nextSeq()
	// The nack must reach the requester before its probe period ends: it
	// asked at ProbeTimeout into a period of ProbeInterval, so waiting a
	// whole ProbeTimeout here (the LAN default is half the interval) makes
	// every nack arrive just too late. The requester then counts each
	// helper as silent and raises its local health multiplier for a probe
	// that failed only because the target is dead, which stretched probe
	// intervals all over the cluster when several members died at once.
	// Lifeguard's intermediaries nack at 80% of the probe timeout.
	wait := d.cfg.ProbeTimeout * 8 / 10
	r := &relay{origSeq: origSeq, requester: requester, deadline: now.Add(wait)}
	d.relays[seq] = r
	heap.Push(&d.timers, timer{at: r.deadline, relaySeq: seq})
	d.emit(Action{Kind: SendPing, Seq: seq, Target: target})
}

func (d *Detector) fireTimers(now time.Time) {
	for len(d.timers) > 0 && !d.timers[0].at.After(now) {
		t := heap.Pop(&d.timers).(timer)
		if t.remind {
			if s := t.susp; d.susp[s.name] == s {
				d.emit(Action{Kind: Remind, Target: Target{Name: s.name}, Inc: s.inc})
				heap.Push(&d.timers, timer{at: now.Add(s.min / 2), susp: s, remind: true})
			}
			continue
		}
		if t.susp != nil {
			s := t.susp
			if d.susp[s.name] == s && !s.deadline.After(now) && now.Before(d.holdUntil) && s.heldTo.IsZero() {
				s.heldTo = d.holdUntil
				s.deadline = d.holdUntil
				heap.Push(&d.timers, timer{at: s.deadline, susp: s})
			} else if d.susp[s.name] == s && !s.deadline.After(now) {
				delete(d.susp, s.name)
				d.emit(Action{Kind: Dead, Target: Target{Name: s.name}, Inc: s.inc})
			} else if d.susp[s.name] == s {
				heap.Push(&d.timers, timer{at: s.deadline, susp: s}) // shortened or extended
			}
			continue
		}
		if r, ok := d.relays[t.relaySeq]; ok && !r.deadline.After(now) {
			delete(d.relays, t.relaySeq)
			d.emit(Action{Kind: SendNack, Seq: r.origSeq, To: r.requester})
		}
	}
}
