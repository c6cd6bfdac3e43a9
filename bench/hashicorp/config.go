package hashicorp

import (
	"io"
	"log"

	"github.com/hashicorp/memberlist"

	"github.com/meshd/meshd/bench/harness"
)

// MemberlistConfig maps the profile one to one onto memberlist's preset
// named by p.Base; every field the profile does not name keeps the preset's
// value (compression on, TCP fallback pings on, DeadNodeReclaimTime 0).
func MemberlistConfig(p harness.Profile, name string, t memberlist.Transport) *memberlist.Config {
	c := memberlist.DefaultLANConfig()
	if p.Base == "local" {
		c = memberlist.DefaultLocalConfig()
	}
	c.Name = name
	c.Transport = t
	c.BindAddr, c.BindPort = "127.0.0.1", 0
	c.AdvertiseAddr, c.AdvertisePort = "", 0
	c.Logger = log.New(io.Discard, "", 0)
	c.LogOutput = nil // memberlist refuses both set

	c.ProbeInterval = p.ProbeInterval
	c.ProbeTimeout = p.ProbeTimeout
	c.IndirectChecks = p.IndirectChecks
	c.GossipInterval = p.GossipInterval
	c.GossipNodes = p.GossipNodes
	c.RetransmitMult = p.RetransmitMult
	c.SuspicionMult = p.SuspicionMult
	c.SuspicionMaxTimeoutMult = p.SuspicionMaxTimeoutMult
	c.AwarenessMaxMultiplier = p.AwarenessMaxMultiplier
	c.GossipToTheDeadTime = p.GossipToTheDeadTime
	c.PushPullInterval = p.AntiEntropyInterval
	c.TCPTimeout = p.StreamTimeout
	c.UDPBufferSize = p.MaxPacketSize
	return c
}
