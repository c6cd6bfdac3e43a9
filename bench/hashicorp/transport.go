package hashicorp

import (
	"errors"
	"fmt"
	"io"
	"log"
	"math/rand/v2"
	"net"
	"sync"
	"sync/atomic"
	"time"

	"github.com/hashicorp/memberlist"

	"github.com/meshd/meshd/bench/harness"
)

// synRetransmit is Linux's initial TCP retransmission timeout: what a lost
// SYN or SYN-ACK costs a dial.
const synRetransmit = time.Second

// errInjected is returned by dials the loss model times out.
var errInjected = errors.New("injected loss: handshake lost and the dial deadline is shorter than the SYN retransmission")

// Transport wraps memberlist's NetTransport with byte counting and loss
// injection. memberlist calls it from many goroutines; every method is safe
// for concurrent use.
type Transport struct {
	inner    *memberlist.NetTransport
	packetCh chan *memberlist.Packet
	streamCh chan net.Conn
	done     chan struct{}
	wg       sync.WaitGroup
	once     sync.Once

	packetBytes atomic.Uint64
	streamBytes atomic.Uint64
	dropped     atomic.Uint64

	mu   sync.Mutex
	rng  *rand.Rand
	loss float64 // per direction

	// sniff turns on decoding of outgoing datagrams for suspect messages,
	// reported to onSuspect; malformed counts datagrams that did not decode.
	sniff     atomic.Bool
	onSuspect func(Suspicion)
	malformed atomic.Uint64
}

// NewTransport binds a NetTransport to 127.0.0.1 on a free port.
// onSuspect, if not nil, receives the suspect messages this node sends
// while sniffing is on; it is called from memberlist's sending goroutines.
func NewTransport(seed int64, onSuspect func(Suspicion)) (*Transport, error) {
	inner, err := memberlist.NewNetTransport(&memberlist.NetTransportConfig{
		BindAddrs: []string{"127.0.0.1"},
		BindPort:  0,
		Logger:    log.New(io.Discard, "", 0),
	})
	if err != nil {
		return nil, fmt.Errorf("memberlist transport on 127.0.0.1: %w", err)
	}
	t := &Transport{
		inner:     inner,
		packetCh:  make(chan *memberlist.Packet),
		streamCh:  make(chan net.Conn),
		done:      make(chan struct{}),
		rng:       rand.New(rand.NewPCG(uint64(seed), 0x6c6f7373)),
		onSuspect: onSuspect,
	}
	t.wg.Add(2)
	go t.forwardPackets()
	go t.forwardStreams()
	return t, nil
}

// SetLoss makes a datagram between two such transports, both with loss x,
// lost with probability x; a TCP handshake (two datagrams) is delayed by the
// SYN retransmission with probability 1-(1-x)².
func (t *Transport) SetLoss(x float64) {
	t.mu.Lock()
	t.loss = harness.LossPerDirection(x)
	t.mu.Unlock()
}

func (t *Transport) drop() bool {
	t.mu.Lock()
	defer t.mu.Unlock()
	return t.loss > 0 && t.rng.Float64() < t.loss
}

// Bytes returns the payload bytes sent as datagrams and on streams.
func (t *Transport) Bytes() (packet, stream uint64) {
	return t.packetBytes.Load(), t.streamBytes.Load()
}

// Dropped is the number of datagrams and dials the loss model hit.
func (t *Transport) Dropped() uint64 { return t.dropped.Load() }

// FinalAdvertiseAddr is the inner transport's: 127.0.0.1 and the bound port.
func (t *Transport) FinalAdvertiseAddr(ip string, port int) (net.IP, int, error) {
	return t.inner.FinalAdvertiseAddr(ip, port)
}

// SetSniff turns decoding of outgoing suspect messages on or off.
func (t *Transport) SetSniff(on bool) { t.sniff.Store(on) }

// Malformed is the number of outgoing datagrams the sniffer could not
// fully decode; memberlist only sends well-formed ones, so anything but 0
// means the decoder lags behind memberlist's wire format.
func (t *Transport) Malformed() uint64 { return t.malformed.Load() }

// WriteTo counts the datagram as sent (the node spent the bytes) and then
// either drops it or sends it. A suspect message is reported even when the
// loss model drops its datagram: the node suspected all the same.
func (t *Transport) WriteTo(b []byte, addr string) (time.Time, error) {
	t.packetBytes.Add(uint64(len(b)))
	if t.onSuspect != nil && t.sniff.Load() {
		ss, err := Suspicions(b)
		if err != nil {
			t.malformed.Add(1)
		}
		for _, s := range ss {
			t.onSuspect(s)
		}
	}
	if t.drop() {
		t.dropped.Add(1)
		return time.Now(), nil
	}
	return t.inner.WriteTo(b, addr)
}

// PacketCh delivers the datagrams the loss model lets through.
func (t *Transport) PacketCh() <-chan *memberlist.Packet { return t.packetCh }

func (t *Transport) forwardPackets() {
	defer t.wg.Done()
	in := t.inner.PacketCh()
	for {
		select {
		case <-t.done:
			return
		case p := <-in:
			if t.drop() {
				t.dropped.Add(1)
				continue
			}
			select {
			case t.packetCh <- p:
			case <-t.done:
				return
			}
		}
	}
}

// DialTimeout dials a TCP stream whose writes are counted. With loss on, a
// lost handshake datagram costs the SYN retransmission timeout: the dial
// fails if its deadline is shorter, and is delayed otherwise.
func (t *Transport) DialTimeout(addr string, timeout time.Duration) (net.Conn, error) {
	if t.drop() || t.drop() { // the SYN on our side, the SYN-ACK on theirs
		t.dropped.Add(1)
		wait := min(timeout, synRetransmit)
		select {
		case <-time.After(wait):
		case <-t.done:
			return nil, net.ErrClosed
		}
		if timeout <= synRetransmit {
			return nil, fmt.Errorf("dial %s: %w", addr, errInjected)
		}
		timeout -= synRetransmit
	}
	conn, err := t.inner.DialTimeout(addr, timeout)
	if err != nil {
		return nil, err
	}
	return &countingConn{Conn: conn, n: &t.streamBytes}, nil
}

// StreamCh delivers accepted streams, their writes counted too: the
// answering side of a push-pull sends as much as the asking side.
func (t *Transport) StreamCh() <-chan net.Conn { return t.streamCh }

func (t *Transport) forwardStreams() {
	defer t.wg.Done()
	in := t.inner.StreamCh()
	for {
		select {
		case <-t.done:
			return
		case c := <-in:
			select {
			case t.streamCh <- &countingConn{Conn: c, n: &t.streamBytes}:
			case <-t.done:
				_ = c.Close()
				return
			}
		}
	}
}

// Shutdown stops the inner transport first, while the forwarders still
// drain it (its listener goroutines block on unbuffered channels, and its
// Shutdown waits for them), then stops the forwarders.
func (t *Transport) Shutdown() error {
	var err error
	t.once.Do(func() {
		err = t.inner.Shutdown()
		close(t.done)
		t.wg.Wait()
	})
	return err
}

// countingConn counts the bytes written to a stream.
type countingConn struct {
	net.Conn
	n *atomic.Uint64
}

func (c *countingConn) Write(b []byte) (int, error) {
	n, err := c.Conn.Write(b)
	c.n.Add(uint64(n))
	return n, err
}
