package simulator

import (
	"fmt"
	"maps"
	"math/rand/v2"
	"net/netip"
	"time"

	"github.com/meshd/meshd/internal/core"
	"github.com/meshd/meshd/internal/membership"
)

// Options change how a scenario runs without editing it.
type Options struct {
	// Seed replaces the scenario's seed when HasSeed is set.
	Seed    int64
	HasSeed bool
	// NewNode creates nodes; nil means the real core (core.New).
	NewNode NewNodeFunc
	// NameHash must be the hash the nodes' View sums; nil means core.NameHash.
	NameHash func(string) uint64
	// Progress, when set, is called about every ProgressEvery events with
	// the virtual time reached. It must not touch the engine.
	Progress      func(simNow, end time.Duration, events uint64)
	ProgressEvery uint64
	// Abort, when set, is asked about every ProgressEvery events whether
	// to stop early (a memory ceiling, say). A non-nil error ends the run
	// at the current virtual time; the Result covers the time simulated and
	// says why in Aborted.
	Abort func() error
	// falseVerdict, when set, sees every false verdict as it happens (the
	// randomized fault-schedule test checks each against the silence of
	// the member it condemns).
	falseVerdict func(FalseVerdict)
}

// epoch is the virtual clock's zero: fixed, so runs do not depend on when
// they happen.
var epoch = time.Date(2030, 1, 1, 0, 0, 0, 0, time.UTC)

// simNode is the simulator's record of one node index. The index is stable
// across restarts; the core node, address and generation change.
type simNode struct {
	n      Node
	status nodeStatus
	gen    uint32 // bumped on crash, restart and stop: queued events of an older life are stale
	life   uint32 // restarts so far, to seed each life's random streams apart
	addr   int32  // current address number
	tickAt int64  // virtual time of the pending tick, -1 if none
	slow   int64  // processing delay of every received datagram
	procAt int64  // when the last delayed datagram gets processed (keeps them in order)

	viewLive int
	viewHash uint64
	correct  bool

	candRefs int32  // open crash records this node is a suspicion candidate of
	suspBase uint64 // its Stats().Suspicions when it became a candidate
}

// engine is one run: single goroutine, virtual clock, one event queue.
type engine struct {
	sc   *Scenario
	seed int64
	now  int64
	end  int64
	q    eventQueue
	nw   *network
	pick *rand.Rand // random picks and poll phases (apart from the network's stream)

	newNode  NewNodeFunc
	keys     [][]byte
	nodes    []simNode
	names    []string
	nameHash []uint64
	nameIdx  map[string]int32
	// addrOwner maps an address number to the node index using it, or -1.
	addrOwner []int32
	segment   []int32   // node -> LAN segment, or -1
	segNodes  [][]int32 // segment -> nodes
	isSeed    []bool

	// formed is the initial cluster that boot nodes start with when the
	// scenario says formed (nil otherwise, and once the boot is over).
	formed []membership.Member

	actions []*runtimeAction
	m       *measures
	det     *detector
	fp      *falsePositives
	quiet   *silence
	onFalse func(FalseVerdict)
	tr      tracer
	events  uint64
	warn    []string
	err     error

	progress      func(simNow, end time.Duration, events uint64)
	progressEvery uint64
	abort         func() error
	aborted       string
}

// Run simulates the scenario and returns its measures. It is deterministic:
// the same scenario and seed give the same Result.TraceHash. The scenario is
// only read, so one may be run many times (with other seeds, say).
func Run(sc *Scenario, opt Options) (*Result, error) {
	e := newEngine(sc, opt)
	wallStart := time.Now()
	e.loop()
	if e.err != nil {
		return nil, e.err
	}
	r := e.result()
	r.WallSeconds = time.Since(wallStart).Seconds()
	if r.WallSeconds > 0 {
		r.EventsPerWallSecond = float64(r.Events) / r.WallSeconds
	}
	return r, nil
}

func newEngine(sc *Scenario, opt Options) *engine {
	seed := sc.Seed
	if opt.HasSeed {
		seed = opt.Seed
	}
	n := sc.Nodes
	e := &engine{
		sc: sc, seed: seed, end: int64(sc.Duration),
		nw:            newNetwork(n, sc.Network, rand.New(pcg(streamSeed(seed, purposeNet, 0, 0)))),
		pick:          rand.New(pcg(streamSeed(seed, purposePick, 0, 0))),
		newNode:       opt.NewNode,
		nodes:         make([]simNode, n),
		names:         make([]string, n),
		nameHash:      make([]uint64, n),
		nameIdx:       make(map[string]int32, n),
		addrOwner:     make([]int32, n, n+n/8),
		segment:       make([]int32, n),
		isSeed:        make([]bool, n),
		progress:      opt.Progress,
		progressEvery: opt.ProgressEvery,
		abort:         opt.Abort,
		quiet:         newSilence(n),
		onFalse:       opt.falseVerdict,
	}
	if e.newNode == nil {
		e.newNode = newCoreNode
	}
	hash := opt.NameHash
	if hash == nil {
		hash = core.NameHash
	}
	if e.progressEvery == 0 {
		// Often enough that a memory ceiling is checked before a run of
		// costly events (a join storm at 10,000 nodes) overshoots it.
		e.progressEvery = 1 << 12
	}
	if sc.Encrypt {
		e.keys = [][]byte{simKey(seed)}
	}
	width := len(fmt.Sprint(n - 1))
	for i := range e.nodes {
		e.names[i] = fmt.Sprintf("node-%0*d", width, i)
		e.nameHash[i] = hash(e.names[i])
		e.nameIdx[e.names[i]] = int32(i)
		e.nodes[i] = simNode{addr: int32(i), tickAt: -1}
		e.addrOwner[i] = int32(i)
		e.segment[i] = -1
	}
	for _, s := range sc.Seeds {
		e.isSeed[s] = true
	}
	for si, sel := range sc.Segments {
		set := sel.staticSet(n)
		var members []int32
		for i := int32(0); int(i) < n; i++ {
			if set.has(i) {
				e.segment[i] = int32(si)
				members = append(members, i)
			}
		}
		e.segNodes = append(e.segNodes, members)
	}
	e.m = newMeasures()
	e.det = newDetector(n)
	e.fp = newFalsePositives()
	e.schedule()
	return e
}

// pcg returns a seeded PCG source for math/rand/v2.
func pcg(seed uint64) *rand.PCG { return rand.NewPCG(seed, splitmix64(seed)) }

// schedule queues the boot, the timeline and the samples.
func (e *engine) schedule() {
	start := e.sc.Start.staticSet(e.sc.Nodes)
	var boot []int32
	for i := int32(0); int(i) < e.sc.Nodes; i++ {
		if start.has(i) {
			boot = append(boot, i)
		}
	}
	e.m.bootPending = len(boot)
	if e.sc.Formed {
		e.formed = make([]membership.Member, 0, len(boot))
		for _, i := range boot {
			e.formed = append(e.formed, membership.Member{Name: e.names[i], Addr: addrOf(e.nodes[i].addr),
				State: membership.StateAlive, Meta: e.sc.Meta})
		}
	}
	e.staggerStarts(boot, int64(e.sc.StartOver), 1)
	for _, a := range e.sc.Events {
		e.addAction(&runtimeAction{src: a, kind: a.Kind, label: a.Label}, int64(a.At))
	}
	e.q.push(event{at: 0, kind: evSample})
}

// staggerStarts starts nodes evenly spread over `over`, in index order.
// flag 1 marks the initial boot.
func (e *engine) staggerStarts(nodes []int32, over int64, flag uint8) {
	for k, i := range nodes {
		at := e.now
		if len(nodes) > 1 {
			at += over * int64(k) / int64(len(nodes))
		}
		e.q.push(event{at: at, kind: evStart, to: i, gen: e.nodes[i].gen, flag: flag})
	}
}

func (e *engine) t() time.Time { return epoch.Add(time.Duration(e.now)) }

// loop pops events in time order until the queue is empty or past the end.
func (e *engine) loop() {
	for e.q.len() > 0 && e.err == nil {
		if e.q.peek().at > e.end {
			break
		}
		ev := e.q.pop()
		e.now = ev.at
		e.events++
		e.dispatch(&ev)
		if e.events%e.progressEvery == 0 {
			if e.progress != nil {
				e.progress(time.Duration(e.now), time.Duration(e.end), e.events)
			}
			if e.abort != nil {
				if err := e.abort(); err != nil {
					e.aborted = fmt.Sprintf("stopped at %s simulated: %v", fmtSeconds(e.now), err)
					e.end = e.now
					return
				}
			}
		}
	}
	e.now = e.end
	if e.progress != nil {
		e.progress(time.Duration(e.end), time.Duration(e.end), e.events)
	}
}

func (e *engine) dispatch(ev *event) {
	switch ev.kind {
	case evDeliver, evHeartbeat:
		e.arrive(ev)
	case evProcess:
		nd := &e.nodes[ev.to]
		if ev.gen == nd.gen && nd.running() {
			e.process(ev.to, ev.from, ev.data, ev.flag == 1)
		}
	case evTick:
		nd := &e.nodes[ev.to]
		if ev.gen != nd.gen || ev.at != nd.tickAt || !nd.running() {
			return // superseded by an earlier deadline, or from an older life
		}
		nd.tickAt = -1
		nd.n.Tick(e.t())
		e.flush(ev.to, true)
	case evStop:
		e.stop(ev.to, ev.gen)
	case evStart:
		if ev.flag == 1 {
			e.m.bootPending--
		}
		if e.nodes[ev.to].status == statusPending {
			e.start(ev.to, ev.flag == 1)
		}
		if e.m.bootPending == 0 {
			e.formed = nil // the boot is over; later starts join
		}
	case evAction:
		e.apply(e.actions[ev.to])
	case evSample:
		e.m.sample(e.now, e.fp.active())
		if next := e.now + int64(e.sc.Sample); next <= e.end {
			e.q.push(event{at: next, kind: evSample})
		}
	}
}

func (nd *simNode) running() bool {
	return nd.status == statusLive || nd.status == statusLeaving
}

// nodeConfig is the core configuration of node x in its current life.
func (e *engine) nodeConfig(x int32) core.Config {
	nd := &e.nodes[x]
	return core.Config{
		Name:    e.names[x],
		Addr:    addrOf(nd.addr),
		Cluster: e.sc.Cluster,
		Keys:    e.keys,
		Meta:    maps.Clone(e.sc.Meta),
		Params:  e.sc.Params,
		Rand:    newNodeRand(streamSeed(e.seed, purposeRand, uint64(x), uint64(nd.life))),
		Nonce:   newNonceReader(streamSeed(e.seed, purposeNonce, uint64(x), uint64(nd.life))),
	}
}

// seedAddrs returns the current addresses of the seeds: what a static
// strategy hands the core (SetDiscovered), which joins those that are not
// alive members and re-joins them every PollInterval.
func (e *engine) seedAddrs() []netip.AddrPort {
	out := make([]netip.AddrPort, 0, len(e.sc.Seeds))
	for _, s := range e.sc.Seeds {
		out = append(out, addrOf(e.nodes[s].addr))
	}
	return out
}

func (e *engine) warnf(format string, args ...any) {
	if len(e.warn) < 100 {
		e.warn = append(e.warn, fmt.Sprintf("%s: ", fmtSeconds(e.now))+fmt.Sprintf(format, args...))
	}
}
