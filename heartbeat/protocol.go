package heartbeat

import (
	"bytes"
	crand "crypto/rand"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"net/netip"
	"time"

	"github.com/meshd/meshd/internal/wire"
)

// View is the engine's current member table as heartbeats need it.
type View interface {
	// Known reports whether name is a live member (alive or suspect). Dead
	// and left members must count as unknown, so that a member heard again
	// after a partition is joined again.
	Known(name string) bool
	// Digest is this node's anti-entropy digest, compared with the sender's.
	Digest() uint64
}

// Decision tells the engine what to do about an accepted heartbeat.
type Decision struct {
	// Announce is what the sender said; join Announce.Addr.
	Announce Announce
	// Join: the sender is not a live member; join it.
	Join bool
	// Sync: the sender is known but its digest differs; start a delta sync.
	Sync bool
}

// Protocol is one node's heartbeat state: schedule, keyring, replay and
// rate-limit tables. Not safe for concurrent use.
type Protocol struct {
	cfg   Config
	rng   *rand.Rand
	nonce io.Reader
	keys  *wire.Keyring
	tag   uint32

	next time.Time // when Tick sends next; zero: at the first Tick
	seq  uint64    // last sequence sent

	seen   *lru[seen]      // last sealed sequence per sender, for replays
	acted  *lru[time.Time] // last join/sync triggered per sender, for cooldown
	bucket bucket          // joins and syncs triggered by heartbeats

	stats Stats
	aad   []byte // scratch for the authenticated data, reused between calls
	plain []byte // scratch for opened plaintexts, reused between calls
}

type seen struct {
	seq uint64
	at  time.Time // receiver's clock
}

// New checks cfg and returns a Protocol. rng drives the jitter (a seeded
// source makes a simulation reproducible); nonce supplies AEAD nonces and
// may be nil for crypto/rand.
func New(cfg Config, rng *rand.Rand, nonce io.Reader) (*Protocol, error) {
	if err := cfg.validate(); err != nil {
		return nil, err
	}
	if rng == nil {
		return nil, errors.New("heartbeat: New: rng is nil")
	}
	if nonce == nil {
		nonce = crand.Reader
	}
	cfg = cfg.withDefaults()
	p := &Protocol{
		cfg:    cfg,
		rng:    rng,
		nonce:  nonce,
		tag:    clusterTag(cfg.Cluster),
		seen:   newLRU[seen](MaxSenders),
		acted:  newLRU[time.Time](MaxSenders),
		bucket: newBucket(cfg.JoinRate, cfg.JoinBurst),
		stats:  Stats{Dropped: map[string]uint64{}},
	}
	if err := p.SetKeys(cfg.Keys); err != nil {
		return nil, err
	}
	p.cfg.Keys = nil // the ring holds them; do not keep a second copy
	return p, nil
}

// SetKeys replaces the keyring: the first key seals, all open. No keys means
// heartbeats travel unsealed and sealed ones are dropped as bad-key.
func (p *Protocol) SetKeys(keys [][]byte) error {
	kr, err := wire.NewKeyring(keys)
	if err != nil {
		return fmt.Errorf("heartbeat: Config.Keys: %w", err)
	}
	p.keys = kr
	return nil
}

// NextDeadline is when Tick will next produce a heartbeat. Before the first
// Tick it is the zero time: the first heartbeat goes out at once, which is
// what makes a fresh LAN converge within about one interval.
func (p *Protocol) NextDeadline() time.Time { return p.next }

// Tick returns the heartbeat to multicast when one is due at now, else nil.
// self gives the current address, incarnation, digest and count; its
// Cluster and Name are taken from the Config. The caller owns the slice.
func (p *Protocol) Tick(now time.Time, self Announce) []byte {
	if !p.next.IsZero() && now.Before(p.next) {
		return nil
	}
	// ±10% jitter keeps a LAN of nodes started together from sending in
	// lockstep.
	jitter := 0.9 + 0.2*p.rng.Float64()
	p.next = now.Add(time.Duration(float64(p.cfg.Interval) * jitter))
	pkt, err := p.encode(now, self)
	if err != nil {
		p.stats.SendErrors++
		return nil
	}
	p.stats.Sent++
	return pkt
}

func (p *Protocol) encode(now time.Time, self Announce) ([]byte, error) {
	if err := checkAddr(self.Addr); err != nil {
		return nil, err
	}
	self.Cluster, self.Name = p.cfg.Cluster, p.cfg.Name
	// The sequence starts at the clock so that it keeps growing across a
	// restart, and grows by at least one so that it is strictly increasing
	// even when the clock stalls or steps back.
	p.seq = max(p.seq+1, uint64(max(now.UnixNano(), 0)))
	var flags byte
	if p.keys != nil {
		flags = flagSealed
	}
	var buf bytes.Buffer
	buf.Write(appendHeader(make([]byte, 0, 128), flags, p.tag))
	if err := encodeBody(&buf, body{Announce: self, Seq: p.seq, Time: now.UnixNano()}); err != nil {
		return nil, err
	}
	pkt := buf.Bytes()
	if p.keys == nil {
		return pkt, nil
	}
	aad := append(append([]byte(nil), pkt[:headerLen]...), p.cfg.Cluster...)
	return p.keys.Seal(pkt[:headerLen:headerLen], pkt[headerLen:], aad, p.nonce)
}

// Receive handles a datagram from the group. It returns the sender's
// announce and what to do about it, or a *DropError when the datagram was
// dropped (counted in Stats by reason). view is the caller's current table;
// nil means an empty one.
func (p *Protocol) Receive(now time.Time, from netip.AddrPort, pkt []byte, view View) (Decision, error) {
	b, drop := p.accept(now, pkt)
	if drop == nil {
		var d Decision
		if d, drop = p.decide(now, b, view); drop == nil {
			p.stats.Received++
			return d, nil
		}
	}
	p.stats.Dropped[drop.Reason.Error()]++
	drop.From = from
	return Decision{}, drop
}

// accept authenticates and parses pkt, returning a drop reason if it is not
// a fresh heartbeat of our cluster from another node.
func (p *Protocol) accept(now time.Time, pkt []byte) (body, *DropError) {
	if len(pkt) > MaxPacketLen {
		return body{}, &DropError{Reason: ErrMalformed, Err: fmt.Errorf("%d bytes, at most %d", len(pkt), MaxPacketLen)}
	}
	h, err := parseHeader(pkt)
	if err != nil {
		if bytes.HasPrefix(pkt, libclusterPrefix) {
			return body{}, &DropError{Reason: ErrLibcluster}
		}
		return body{}, &DropError{Reason: ErrMalformed, Err: err}
	}
	if h.tag != p.tag {
		return body{}, &DropError{Reason: ErrForeignCluster, Err: fmt.Errorf("name tag 0x%08x; this cluster's is 0x%08x", h.tag, p.tag)}
	}
	sealed := h.flags&flagSealed != 0
	plain := pkt[headerLen:]
	switch {
	case sealed && p.keys == nil:
		return body{}, &DropError{Reason: ErrSealedWithoutKey}
	case !sealed && p.keys != nil:
		return body{}, &DropError{Reason: ErrUnencrypted}
	case sealed:
		p.aad = append(append(p.aad[:0], pkt[:headerLen]...), p.cfg.Cluster...)
		out, err := p.keys.Open(p.plain[:0], pkt[headerLen:], p.aad)
		if errors.Is(err, wire.ErrNoKey) {
			return body{}, &DropError{Reason: ErrBadKey} // the reason says it all
		}
		if err != nil {
			return body{}, &DropError{Reason: ErrBadKey, Err: err}
		}
		p.plain, plain = out, out
	}
	b, err := decodeBody(plain)
	if err != nil {
		return body{}, &DropError{Reason: ErrMalformed, Err: err}
	}
	if b.Cluster != p.cfg.Cluster {
		return body{}, &DropError{Reason: ErrForeignCluster, Err: fmt.Errorf("cluster %q; this one is %q", b.Cluster, p.cfg.Cluster)}
	}
	if b.Name == p.cfg.Name {
		return body{}, &DropError{Reason: ErrSelf}
	}
	if sealed {
		if drop := p.checkFresh(now, b); drop != nil {
			return body{}, drop
		}
	}
	return b, nil
}

// checkFresh rejects replayed and stale sealed heartbeats and remembers the
// sender's sequence.
func (p *Protocol) checkFresh(now time.Time, b body) *DropError {
	skew := now.Sub(time.Unix(0, b.Time))
	if skew > p.cfg.MaxSkew || skew < -p.cfg.MaxSkew {
		return &DropError{Reason: ErrStale, Err: fmt.Errorf("timestamp %v from now, at most ±%v", skew, p.cfg.MaxSkew)}
	}
	// A sender not heard for 2*MaxSkew is forgotten: every heartbeat it sent
	// before is already outside the skew window.
	if last, ok := p.seen.get(b.Name); ok && now.Sub(last.at) <= 2*p.cfg.MaxSkew && b.Seq <= last.seq {
		return &DropError{Reason: ErrReplay, Err: fmt.Errorf("sequence %d, last seen %d", b.Seq, last.seq)}
	}
	p.seen.put(b.Name, seen{seq: b.Seq, at: now})
	return nil
}

// decide turns an accepted heartbeat into a Decision, rate-limiting the
// joins and syncs it triggers.
func (p *Protocol) decide(now time.Time, b body, view View) (Decision, *DropError) {
	if view == nil {
		view = emptyView{}
	}
	d := Decision{Announce: b.Announce}
	if !view.Known(b.Name) {
		d.Join = true
	} else if b.Digest != view.Digest() {
		d.Sync = true
	}
	if !d.Join && !d.Sync {
		return d, nil
	}
	if last, ok := p.acted.get(b.Name); ok {
		if since := now.Sub(last); since >= 0 && since < p.cfg.Cooldown {
			// Acted on this sender recently; the exchange is likely still
			// under way. Not a drop: the heartbeat itself was fine.
			d.Join, d.Sync = false, false
			return d, nil
		}
	}
	if !p.bucket.take(now) {
		return Decision{}, &DropError{Reason: ErrRateLimited}
	}
	p.acted.put(b.Name, now)
	return d, nil
}

type emptyView struct{}

func (emptyView) Known(string) bool { return false }
func (emptyView) Digest() uint64    { return 0 }

// Stats returns a copy of the counters.
func (p *Protocol) Stats() Stats { return p.stats.clone() }
