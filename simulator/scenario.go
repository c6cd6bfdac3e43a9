package simulator

import (
	"time"

	"github.com/meshd/meshd/internal/core"
	"github.com/meshd/meshd/internal/vnet"
)

// Bounds that keep a hostile or mistaken scenario from allocating without
// limit: the parser refuses anything beyond them, naming the field.
const (
	maxNodes   = 1_000_000
	maxEvents  = 100_000
	maxSeeds   = 64
	maxLinks   = 256
	maxGroups  = 1024
	maxMetaLen = 64
)

// Scenario is a parsed and validated scenario file: who runs, with which
// timing, over which network, and what happens when. Build one with Parse or
// Load; the zero value is not useful.
type Scenario struct {
	File        string // path, for messages
	Name        string
	Description string
	Nodes       int   // size of the node pool; indices 0..Nodes-1
	Seed        int64 // default seed; Options.Seed overrides it
	Duration    time.Duration
	// Sample is the resolution of the timeline (CSV rows and plots).
	Sample time.Duration

	Profile             string      // lan, wan or local
	Params              core.Params // the profile's timing with overrides applied
	LeavePropagateDelay time.Duration

	Cluster string
	Encrypt bool // every node gets the same AES-256 key derived from the seed
	Meta    map[string]string

	Start     *Selector // nodes started at the beginning; default all
	StartOver time.Duration
	// Formed starts the initial nodes as a cluster formed long ago: each
	// begins with every other initial node in its table (core.Node.Preload)
	// instead of joining through the seeds. Seeds still serve later joins.
	Formed   bool
	Seeds    []int32 // node indices every node joins (and re-joins, like a static strategy)
	Segments []*Selector
	Network  NetConfig
	Events   []*Action // sorted by At (stable)

	groups map[string]*Selector
}

// NetConfig is the virtual network: a default link plus rules for
// particular pairs of node sets (first match wins).
type NetConfig struct {
	Default LinkParams
	Links   []LinkRule
}

// LinkParams describe one direction of a link (the shared virtual
// network's Link).
type LinkParams = vnet.Link

func defaultLink() LinkParams {
	return LinkParams{
		Latency:      Latency{Dist: distFixed, Base: 500 * time.Microsecond, Jitter: 500 * time.Microsecond},
		ReorderDelay: 10 * time.Millisecond,
		MTU:          1500,
	}
}

// LinkRule overrides the default link for datagrams from From to To (and
// back, when Both). Only the fields the file names are overridden.
type LinkRule struct {
	From, To *Selector
	Both     bool
	Patch    linkPatch
	Line     int
}

// linkPatch holds the fields of LinkParams a rule or event sets.
type linkPatch struct {
	latency                  *Latency
	loss, duplicate, reorder *float64
	reorderDelay             *time.Duration
	mtu                      *int
}

func (p linkPatch) apply(l LinkParams) LinkParams {
	if p.latency != nil {
		l.Latency = *p.latency
	}
	if p.loss != nil {
		l.Loss = *p.loss
	}
	if p.duplicate != nil {
		l.Duplicate = *p.duplicate
	}
	if p.reorder != nil {
		l.Reorder = *p.reorder
	}
	if p.reorderDelay != nil {
		l.ReorderDelay = *p.reorderDelay
	}
	if p.mtu != nil {
		l.MTU = *p.mtu
	}
	return l
}

// actionKind is what a timeline event does.
type actionKind uint8

const (
	actCrash actionKind = iota
	actRestart
	actLeave
	actSlow
	actJoin
	actRollingRestart
	actPartition
	actCut
	actHeal
	actNetwork
)

var actionNames = [...]string{"crash", "restart", "leave", "slow", "join", "rolling_restart", "partition", "cut", "heal", "network"}

func (k actionKind) String() string { return actionNames[k] }

// Action is one timeline event.
type Action struct {
	At    time.Duration
	Line  int
	Kind  actionKind
	Label string // for plots and tables: "30s partition [0-999],[1000-1999]"

	Nodes    *Selector   // crash, restart, leave, slow, join, rolling_restart
	Groups   []*Selector // partition
	From, To *Selector   // cut

	KeepState  bool          // restart, rolling_restart: resume the old node instead of a fresh one
	NewAddress bool          // restart: come back at a new address
	Delay      time.Duration // slow: extra processing delay per received datagram
	For        time.Duration // slow: back to normal after this long (0: until changed)
	Over       time.Duration // join: spread the starts over this long
	Every      time.Duration // rolling_restart: one node every this long
	Down       time.Duration // rolling_restart: how long each node stays down

	Net *netPatch // network and its shorthands
}

// netPatch changes the network from an event on.
type netPatch struct {
	link     linkPatch
	setLinks bool // links given: they replace the rules
	links    []LinkRule
}
