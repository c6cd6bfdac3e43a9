package failure

import (
	"container/heap"
	"net/netip"
	"time"
)

// Config holds the timing knobs (see mesh.Config for units and defaults).
type Config struct {
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
	order     []string // this round's probe order, by name: addresses are looked up when used
	next      int
	cur       *probe
	nextProbe time.Time
	awareness int
	relays    map[uint32]*relay
	timers    timerHeap // relay deadlines and suspicion expiries
	susp      map[string]*suspicion
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
	t, ok := d.pick(m)
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

// pick returns the next member in round-robin order, reshuffling the list
// at the end of each round so that new members get probed and the order is
// not predictable.
func (d *Detector) pick(m Members) (Target, bool) {
	for attempt := 0; attempt < 2; attempt++ {
		for d.next < len(d.order) {
			name := d.order[d.next]
			d.next++
			if cur, ok := m.Lookup(name); ok {
				return cur, true
			}
		}
		d.order = m.Probeable(d.order[:0])
		d.rng.Shuffle(len(d.order), func(i, j int) { d.order[i], d.order[j] = d.order[j], d.order[i] })
		d.next = 0
		if len(d.order) == 0 {
			return Target{}, false
		}
	}
	return Target{}, false
}

// Add puts a member that just became probeable (new, or back from dead or
// left) into the current round, at a random place among those not probed yet,
// as memberlist does. Without it a newcomer waits for the end of every
// node's round (up to N probe intervals) before anyone probes it, so a node
// that joins and crashes soon after is detected late.
func (d *Detector) Add(name string) {
	d.order = append(d.order, name)
	last := len(d.order) - 1
	i := d.next + d.rng.Intn(len(d.order)-d.next)
	d.order[i], d.order[last] = d.order[last], d.order[i]
}

func (d *Detector) goIndirect(p *probe, m Members) {
	p.indirect = true
	if d.cfg.IndirectChecks <= 0 || len(d.order) < 2 {
		return
	}
	// Helpers are drawn at random from this round's probe list, checked
	// against the table: no O(N) copy of the members per failed probe.
	var helpers []Target
	for tries := 0; tries < 4*d.cfg.IndirectChecks && len(helpers) < d.cfg.IndirectChecks; tries++ {
		c := d.order[d.rng.Intn(len(d.order))]
		if c == p.target.Name || hasTarget(helpers, c) {
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
		if t.susp != nil {
			s := t.susp
			if d.susp[s.name] == s && !s.deadline.After(now) {
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
