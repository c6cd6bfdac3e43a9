package mesh

import (
	"errors"
	"net"
	"sync"
	"time"

	"github.com/meshd/meshd/internal/transport"
	"github.com/meshd/meshd/multicast"
)

// DefaultMulticastConfig is LAN discovery on the given interfaces with
// libcluster's group 230.1.1.251:45892, TTL 1 (the local segment), loopback
// on (so several members may share a host) and a heartbeat every second.
func DefaultMulticastConfig(interfaces ...string) *MulticastConfig {
	return &MulticastConfig{Group: multicast.DefaultGroup, Interfaces: interfaces, TTL: 1, Loopback: true}
}

// multicastRunner owns the heartbeat socket: a goroutine reads heartbeats
// into inbox for the engine goroutine; the engine's heartbeats go out
// through send.
type multicastRunner struct {
	conn  *multicast.Conn
	inbox chan transport.Packet
	done  chan struct{}
	wg    sync.WaitGroup
}

func startMulticast(m *Mesh, c MulticastConfig) (*multicastRunner, error) {
	conn, err := multicast.Listen(multicast.Config{Group: c.Group, Interfaces: c.Interfaces, TTL: c.TTL,
		Loopback: c.Loopback, Broadcast: c.Broadcast})
	if err != nil {
		return nil, &FieldError{Field: "Multicast", Err: err}
	}
	r := &multicastRunner{conn: conn, inbox: make(chan transport.Packet, 256), done: make(chan struct{})}
	r.wg.Add(1)
	go r.read(m)
	return r, nil
}

func (r *multicastRunner) read(m *Mesh) {
	defer r.wg.Done()
	buf := make([]byte, 2048)
	backoff := 10 * time.Millisecond
	var lastLog time.Time
	for {
		n, from, err := r.conn.Receive(buf)
		if err != nil {
			if errors.Is(err, net.ErrClosed) {
				return
			}
			// A persistent error (an interface gone down) must neither spin
			// nor flood the log: back off, and say so once a minute.
			if m.clock.Since(lastLog) > time.Minute {
				m.log.Warn("multicast receive failed", "err", err)
				lastLog = m.clock.Now()
			}
			t := m.clock.NewTimer(backoff)
			select {
			case <-r.done:
				t.Stop()
				return
			case <-t.C():
			}
			backoff = min(2*backoff, time.Second)
			continue
		}
		backoff = 10 * time.Millisecond
		select {
		case r.inbox <- transport.Packet{Addr: from, Data: append([]byte(nil), buf[:n]...)}:
		case <-r.done:
			return
		default: // the engine is behind: a heartbeat comes again next interval
		}
	}
}

func (r *multicastRunner) send(b []byte) { _ = r.conn.Send(b) }

func (r *multicastRunner) close() {
	close(r.done)
	r.conn.Close()
	r.wg.Wait()
}

// socketDropReasons maps the multicast socket's drop reasons to ours.
var socketDropReasons = map[string]DropReason{
	multicast.DropTruncated:      DropSocketTruncated,
	multicast.DropOtherInterface: DropSocketOtherInterface,
	multicast.DropNotGroup:       DropSocketNotGroup,
}

// addStats adds the socket's own drops (wrong interface, truncated, ...) to
// s, whose Dropped map the caller owns.
func (r *multicastRunner) addStats(s *HeartbeatStats) {
	if s.Dropped == nil {
		s.Dropped = map[DropReason]uint64{}
	}
	for k, v := range r.conn.Stats().Dropped {
		if reason, ok := socketDropReasons[k]; ok {
			s.Dropped[reason] += v
		}
	}
}
