package heartbeat

import (
	"fmt"
	"math"
	"time"
)

// Defaults of Config's zero fields.
const (
	DefaultInterval  = time.Second
	DefaultMaxSkew   = 30 * time.Second
	DefaultJoinRate  = 20.0
	DefaultJoinBurst = 20
	// MaxSenders bounds the per-sender replay and cooldown tables; past it
	// the least recently heard sender is forgotten first.
	MaxSenders = 4096
	// MaxNameLen bounds Cluster and Name, in bytes, on both ends of the wire.
	MaxNameLen = 255
)

// Config configures a Protocol. Zero durations and rates take the defaults
// above.
type Config struct {
	// Cluster is the cluster name; heartbeats of other clusters are dropped.
	// 1 to MaxNameLen bytes.
	Cluster string
	// Name is this member's name; heartbeats carrying it are our own.
	// 1 to MaxNameLen bytes.
	Name string
	// Keys is the AES-256-GCM keyring (32-byte keys): the first seals, all
	// open. Empty means heartbeats travel unsealed.
	Keys [][]byte
	// Interval is the mean time between two heartbeats, jittered by ±10%.
	// Default 1s.
	Interval time.Duration
	// MaxSkew is how far a sealed heartbeat's timestamp may be from the
	// receiver's clock. Default 30s.
	MaxSkew time.Duration
	// JoinRate is how many joins and syncs per second heartbeats may
	// trigger, on average. Default 20.
	JoinRate float64
	// JoinBurst is how many joins and syncs heartbeats may trigger at once.
	// Default 20.
	JoinBurst int
	// Cooldown is the least time between two joins or syncs triggered by
	// the same sender. Default 2*Interval.
	Cooldown time.Duration
}

func (c Config) withDefaults() Config {
	if c.Interval == 0 {
		c.Interval = DefaultInterval
	}
	if c.MaxSkew == 0 {
		c.MaxSkew = DefaultMaxSkew
	}
	if c.JoinRate == 0 {
		c.JoinRate = DefaultJoinRate
	}
	if c.JoinBurst == 0 {
		c.JoinBurst = DefaultJoinBurst
	}
	if c.Cooldown == 0 {
		c.Cooldown = 2 * c.Interval
	}
	return c
}

// validate reports the first bad field by name. Keys are checked by
// wire.NewKeyring.
func (c Config) validate() error {
	switch {
	case c.Cluster == "" || len(c.Cluster) > MaxNameLen:
		return fmt.Errorf("heartbeat: Config.Cluster: %d bytes, must be 1 to %d", len(c.Cluster), MaxNameLen)
	case c.Name == "" || len(c.Name) > MaxNameLen:
		return fmt.Errorf("heartbeat: Config.Name: %d bytes, must be 1 to %d", len(c.Name), MaxNameLen)
	case c.Interval < 0:
		return fmt.Errorf("heartbeat: Config.Interval: %v, must not be negative", c.Interval)
	case c.MaxSkew < 0:
		return fmt.Errorf("heartbeat: Config.MaxSkew: %v, must not be negative", c.MaxSkew)
	case c.JoinRate < 0 || math.IsNaN(c.JoinRate) || math.IsInf(c.JoinRate, 0):
		return fmt.Errorf("heartbeat: Config.JoinRate: %v, must be a finite positive number", c.JoinRate)
	case c.JoinBurst < 0:
		return fmt.Errorf("heartbeat: Config.JoinBurst: %d, must not be negative", c.JoinBurst)
	case c.Cooldown < 0:
		return fmt.Errorf("heartbeat: Config.Cooldown: %v, must not be negative", c.Cooldown)
	}
	return nil
}
