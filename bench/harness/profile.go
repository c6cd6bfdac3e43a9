package harness

import (
	"fmt"
	"math"
	"sort"
	"strconv"
	"strings"
	"time"
)

// Profile is the one set of timings every system of a run is configured
// from, so that no system gets faster probes or a longer suspicion than
// another. Each field names its counterpart in memberlist (and serf, which
// embeds memberlist) and in mesh.Config; where a system has no counterpart it
// keeps its own preset's value, and docs/bench.md lists those.
type Profile struct {
	// Name is "lan", "local" or "fast", plus "+key=value" overrides.
	Name string
	// Base names the systems' own preset that fields without a counterpart
	// come from: "lan" (memberlist.DefaultLANConfig, mesh.DefaultLANConfig)
	// or "local" (DefaultLocalConfig of both).
	Base string
	// ProbeInterval: memberlist ProbeInterval, mesh ProbeInterval.
	ProbeInterval time.Duration
	// ProbeTimeout: memberlist ProbeTimeout, mesh ProbeTimeout.
	ProbeTimeout time.Duration
	// IndirectChecks: memberlist IndirectChecks, mesh IndirectChecks.
	IndirectChecks int
	// GossipInterval: memberlist GossipInterval, mesh GossipInterval.
	GossipInterval time.Duration
	// GossipNodes (fanout): memberlist GossipNodes, mesh GossipNodes.
	GossipNodes int
	// RetransmitMult: memberlist RetransmitMult, mesh RetransmitMult.
	RetransmitMult int
	// SuspicionMult: memberlist SuspicionMult, mesh SuspicionMult.
	SuspicionMult int
	// SuspicionMaxTimeoutMult: memberlist and mesh, same name.
	SuspicionMaxTimeoutMult int
	// AwarenessMaxMultiplier (Lifeguard local health): memberlist and mesh.
	AwarenessMaxMultiplier int
	// GossipToTheDeadTime: memberlist and mesh, same name.
	GossipToTheDeadTime time.Duration
	// AntiEntropyInterval: memberlist PushPullInterval (full state over TCP,
	// which memberlist stretches as the cluster grows beyond 32 nodes), mesh
	// AntiEntropyInterval (digest exchange). Same role, different cost.
	AntiEntropyInterval time.Duration
	// ReconnectInterval: serf ReconnectInterval, mesh ReconnectInterval;
	// memberlist alone does not reconnect to failed members.
	ReconnectInterval time.Duration
	// LeaveTimeout: memberlist Leave(timeout), serf LeavePropagateDelay,
	// mesh LeavePropagateDelay.
	LeaveTimeout time.Duration
	// StreamTimeout: memberlist TCPTimeout (push-pull and TCP fallback
	// pings); meshd has no stream path to time out.
	StreamTimeout time.Duration
	// MaxPacketSize: memberlist UDPBufferSize, mesh MaxPacketSize.
	MaxPacketSize int
}

// Profiles are the named starting points. "lan" is memberlist's
// DefaultLANConfig, "local" its DefaultLocalConfig; "fast" is a quick variant
// for smoke tests and development, not a deployment preset.
var Profiles = map[string]Profile{
	"lan": {
		Name: "lan", Base: "lan", ProbeInterval: time.Second, ProbeTimeout: 500 * time.Millisecond,
		IndirectChecks: 3, GossipInterval: 200 * time.Millisecond, GossipNodes: 3,
		RetransmitMult: 4, SuspicionMult: 4, SuspicionMaxTimeoutMult: 6,
		AwarenessMaxMultiplier: 8, GossipToTheDeadTime: 30 * time.Second,
		AntiEntropyInterval: 30 * time.Second, ReconnectInterval: 30 * time.Second,
		LeaveTimeout: time.Second, StreamTimeout: 10 * time.Second, MaxPacketSize: 1400,
	},
	"local": {
		Name: "local", Base: "local", ProbeInterval: time.Second, ProbeTimeout: 200 * time.Millisecond,
		IndirectChecks: 1, GossipInterval: 100 * time.Millisecond, GossipNodes: 3,
		RetransmitMult: 2, SuspicionMult: 3, SuspicionMaxTimeoutMult: 6,
		AwarenessMaxMultiplier: 8, GossipToTheDeadTime: 15 * time.Second,
		AntiEntropyInterval: 15 * time.Second, ReconnectInterval: 30 * time.Second,
		LeaveTimeout: 500 * time.Millisecond, StreamTimeout: time.Second, MaxPacketSize: 1400,
	},
	"fast": {
		Name: "fast", Base: "local", ProbeInterval: 200 * time.Millisecond, ProbeTimeout: 100 * time.Millisecond,
		IndirectChecks: 2, GossipInterval: 50 * time.Millisecond, GossipNodes: 3,
		RetransmitMult: 3, SuspicionMult: 2, SuspicionMaxTimeoutMult: 3,
		AwarenessMaxMultiplier: 8, GossipToTheDeadTime: 5 * time.Second,
		AntiEntropyInterval: 3 * time.Second, ReconnectInterval: 2 * time.Second,
		LeaveTimeout: 200 * time.Millisecond, StreamTimeout: 500 * time.Millisecond, MaxPacketSize: 1400,
	},
}

// ProfileNames lists the profiles in a stable order, for help texts.
func ProfileNames() []string {
	names := make([]string, 0, len(Profiles))
	for n := range Profiles {
		names = append(names, n)
	}
	sort.Strings(names)
	return names
}

// profileFields maps the override keys of Set to their fields. Keys are the
// lower-case field names with underscores, as in results.json.
func (p *Profile) fields() map[string]any {
	return map[string]any{
		"probe_interval":             &p.ProbeInterval,
		"probe_timeout":              &p.ProbeTimeout,
		"indirect_checks":            &p.IndirectChecks,
		"gossip_interval":            &p.GossipInterval,
		"gossip_nodes":               &p.GossipNodes,
		"retransmit_mult":            &p.RetransmitMult,
		"suspicion_mult":             &p.SuspicionMult,
		"suspicion_max_timeout_mult": &p.SuspicionMaxTimeoutMult,
		"awareness_max_multiplier":   &p.AwarenessMaxMultiplier,
		"gossip_to_the_dead_time":    &p.GossipToTheDeadTime,
		"anti_entropy_interval":      &p.AntiEntropyInterval,
		"reconnect_interval":         &p.ReconnectInterval,
		"leave_timeout":              &p.LeaveTimeout,
		"stream_timeout":             &p.StreamTimeout,
		"max_packet_size":            &p.MaxPacketSize,
	}
}

// Set overrides one field by key ("probe_interval=500ms"), for every system
// alike; the only way to change a timing, so one system can never be tuned
// without the others.
func (p *Profile) Set(kv string) error {
	key, val, ok := strings.Cut(kv, "=")
	if !ok {
		return fmt.Errorf("profile override %q: want key=value", kv)
	}
	key = strings.TrimSpace(key)
	val = strings.TrimSpace(val)
	f, ok := p.fields()[key]
	if !ok {
		keys := make([]string, 0)
		for k := range p.fields() {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		return fmt.Errorf("profile override %q: unknown key %q (known: %s)", kv, key, strings.Join(keys, ", "))
	}
	switch f := f.(type) {
	case *time.Duration:
		d, err := time.ParseDuration(val)
		if err != nil || d <= 0 {
			return fmt.Errorf("profile override %q: %s wants a positive duration such as 500ms", kv, key)
		}
		*f = d
	case *int:
		n, err := strconv.Atoi(val)
		if err != nil || n < 1 || n > 65000 {
			return fmt.Errorf("profile override %q: %s wants an integer in [1, 65000]", kv, key)
		}
		*f = n
	}
	p.Name += "+" + key + "=" + val
	return p.Validate()
}

// Validate checks what every system requires of the timings.
func (p Profile) Validate() error {
	if p.ProbeTimeout >= p.ProbeInterval {
		return fmt.Errorf("profile %s: probe_timeout %v must be less than probe_interval %v", p.Name, p.ProbeTimeout, p.ProbeInterval)
	}
	if p.MaxPacketSize < 576 {
		return fmt.Errorf("profile %s: max_packet_size %d is below 576", p.Name, p.MaxPacketSize)
	}
	if p.GossipNodes > 64 || p.IndirectChecks > 16 {
		return fmt.Errorf("profile %s: gossip_nodes at most 64 and indirect_checks at most 16", p.Name)
	}
	return nil
}

// LossPerDirection converts an end-to-end datagram loss x into the
// probability to drop at each of the sender's and the receiver's wrapper,
// both of which drop independently: 1-(1-p)² = x.
func LossPerDirection(x float64) float64 {
	if x <= 0 {
		return 0
	}
	if x >= 1 {
		return 1
	}
	return 1 - math.Sqrt(1-x)
}

// Params lists the profile as key/value strings, for results.json and the
// report, so a reader sees exactly which timings were used.
func (p Profile) Params() map[string]string {
	out := make(map[string]string)
	for k, v := range p.fields() {
		switch v := v.(type) {
		case *time.Duration:
			out[k] = v.String()
		case *int:
			out[k] = strconv.Itoa(*v)
		}
	}
	return out
}

// PushPullPeriod is memberlist's actual push-pull period at n nodes: it
// stretches the interval by ceil(log2(n) - log2(32)) + 1 beyond 32 nodes.
// A steady-state window must cover at least one such period, or memberlist's
// TCP state exchanges fall outside it and its bytes look smaller than they are.
func (p Profile) PushPullPeriod(n int) time.Duration {
	if n <= 32 {
		return p.AntiEntropyInterval
	}
	mult := math.Ceil(math.Log2(float64(n))-math.Log2(32)) + 1
	return time.Duration(mult) * p.AntiEntropyInterval
}

// SuspicionMax is the longest suspicion timeout at n nodes under the
// profile (SuspicionMaxTimeoutMult * SuspicionMult * max(1, log10(n)) *
// ProbeInterval), the bound detection deadlines are derived from.
func (p Profile) SuspicionMax(n int) time.Duration {
	scale := math.Max(1, math.Log10(float64(max(n, 1))))
	return time.Duration(float64(p.SuspicionMaxTimeoutMult*p.SuspicionMult) * scale * float64(p.ProbeInterval))
}
