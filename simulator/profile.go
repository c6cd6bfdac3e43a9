package simulator

import (
	"errors"
	"sort"
	"strings"
	"time"

	"github.com/meshd/meshd/internal/core"
	"github.com/meshd/meshd/mesh"
)

// profiles are the presets of package mesh, so the simulator runs exactly
// the timing meshd ships with and presets live in one place.
var profiles = map[string]func() mesh.Config{
	"lan":   mesh.DefaultLANConfig,
	"wan":   mesh.DefaultWANConfig,
	"local": mesh.DefaultLocalConfig,
}

// timingKey is one overridable field of mesh.Config, named in the scenario
// in snake_case ("probe_interval" for ProbeInterval).
type timingKey struct {
	key, field string
	dur        func(*mesh.Config) *time.Duration
	num        func(*mesh.Config) *int
}

var timingKeys = []timingKey{
	{key: "probe_interval", dur: func(c *mesh.Config) *time.Duration { return &c.ProbeInterval }},
	{key: "probe_timeout", dur: func(c *mesh.Config) *time.Duration { return &c.ProbeTimeout }},
	{key: "indirect_checks", num: func(c *mesh.Config) *int { return &c.IndirectChecks }},
	{key: "gossip_interval", dur: func(c *mesh.Config) *time.Duration { return &c.GossipInterval }},
	{key: "gossip_nodes", num: func(c *mesh.Config) *int { return &c.GossipNodes }},
	{key: "gossip_to_the_dead_time", dur: func(c *mesh.Config) *time.Duration { return &c.GossipToTheDeadTime }},
	{key: "retransmit_mult", num: func(c *mesh.Config) *int { return &c.RetransmitMult }},
	{key: "suspicion_mult", num: func(c *mesh.Config) *int { return &c.SuspicionMult }},
	{key: "suspicion_max_timeout_mult", num: func(c *mesh.Config) *int { return &c.SuspicionMaxTimeoutMult }},
	{key: "awareness_max_multiplier", num: func(c *mesh.Config) *int { return &c.AwarenessMaxMultiplier }},
	{key: "anti_entropy_interval", dur: func(c *mesh.Config) *time.Duration { return &c.AntiEntropyInterval }},
	{key: "reconnect_interval", dur: func(c *mesh.Config) *time.Duration { return &c.ReconnectInterval }},
	{key: "dead_reclaim_time", dur: func(c *mesh.Config) *time.Duration { return &c.DeadReclaimTime }},
	{key: "poll_interval", dur: func(c *mesh.Config) *time.Duration { return &c.PollInterval }},
	{key: "max_packet_size", num: func(c *mesh.Config) *int { return &c.MaxPacketSize }},
	{key: "leave_propagate_delay", dur: func(c *mesh.Config) *time.Duration { return &c.LeavePropagateDelay }},
}

// heartbeatKey is not a mesh.Config field of its own (it is
// Multicast.Interval there); > 0 turns multicast heartbeats on.
const heartbeatKey = "heartbeat_interval"

func init() {
	for i := range timingKeys {
		timingKeys[i].field = camel(timingKeys[i].key)
	}
}

// camel turns "probe_interval" into "ProbeInterval", the mesh.Config name.
func camel(s string) string {
	parts := strings.Split(s, "_")
	for i, p := range parts {
		if p != "" {
			parts[i] = strings.ToUpper(p[:1]) + p[1:]
		}
	}
	return strings.Join(parts, "")
}

func timingKeyNames() []string {
	names := []string{heartbeatKey}
	for _, k := range timingKeys {
		names = append(names, k.key)
	}
	sort.Strings(names)
	return names
}

func profileNames() []string {
	names := make([]string, 0, len(profiles))
	for n := range profiles {
		names = append(names, n)
	}
	sort.Strings(names)
	return names
}

// fieldKey maps a mesh.Config field name back to its scenario key.
func fieldKey(field string) string {
	for _, k := range timingKeys {
		if k.field == field {
			return k.key
		}
	}
	return ""
}

// validateTiming runs mesh.Config.Validate on the profile with overrides, so
// the simulator refuses exactly what meshd would refuse. It returns the
// scenario key of the bad field and the reason.
func validateTiming(c mesh.Config) (key string, err error) {
	c.Name = "sim"
	if err := c.Validate(); err != nil {
		var fe *mesh.FieldError
		if errors.As(err, &fe) {
			return fieldKey(fe.Field), fe.Err
		}
		return "", err
	}
	return "", nil
}

// paramsOf maps the mesh.Config timing onto the core's Params.
func paramsOf(c mesh.Config, heartbeat time.Duration) core.Params {
	return core.Params{Params: c.Params, PollInterval: c.PollInterval, HeartbeatInterval: heartbeat}
}
