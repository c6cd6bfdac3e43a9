package meshsys

import (
	"sync"
	"sync/atomic"
	"time"

	"github.com/meshd/meshd/bench/harness"
	"github.com/meshd/meshd/internal/transport"
	"github.com/meshd/meshd/internal/wire"
)

// countingConn sits between the engine and the loss model: it counts the
// payload bytes the engine writes and, while sniffing is on, reports the
// suspect messages in them as suspicions of their originator (From), as the
// memberlist wrapper does. Counting suspicion the same way for every system
// matters: meshd's member list shows every node that merely heard of a
// suspicion as suspecting, memberlist's shows none, and neither is what the
// report calls a suspicion (a node's own failed probe of a member).
type countingConn struct {
	transport.PacketConn
	bytes     atomic.Uint64
	sniff     atomic.Bool
	sink      func(harness.Event)
	malformed atomic.Uint64

	mu  sync.Mutex // the engine writes from one goroutine; this is a guard
	dec *wire.Decoder
}

func newCountingConn(inner transport.PacketConn, sink func(harness.Event)) *countingConn {
	return &countingConn{PacketConn: inner, sink: sink, dec: wire.NewDecoder()}
}

func (c *countingConn) WritePackets(ps []transport.Packet) error {
	var sum uint64
	for _, p := range ps {
		sum += uint64(len(p.Data))
	}
	c.bytes.Add(sum)
	if c.sniff.Load() && c.sink != nil {
		c.report(ps)
	}
	return c.PacketConn.WritePackets(ps)
}

// report decodes outgoing packets (the benchmark runs unencrypted) and
// sinks their suspect messages. A suspicion is reported even if the loss
// model then drops its datagram: the node suspected all the same.
func (c *countingConn) report(ps []transport.Packet) {
	c.mu.Lock()
	defer c.mu.Unlock()
	now := time.Now()
	for _, p := range ps {
		if len(p.Data) < wire.HeaderSize || p.Data[0] != wire.Magic {
			c.malformed.Add(1)
			continue
		}
		err := c.dec.DecodeAll(p.Data[wire.HeaderSize:], func(m wire.Msg) {
			if s, ok := m.(wire.Suspect); ok {
				c.sink(harness.Event{Observer: s.From, Subject: s.Name, Kind: harness.EventSuspect, At: now})
			}
		})
		if err != nil {
			c.malformed.Add(1)
		}
	}
}
