package core

import (
	"errors"
	"fmt"
	"net/netip"

	"github.com/meshd/meshd/heartbeat"
	"github.com/meshd/meshd/internal/wire"
)

// DropReason says why a datagram was dropped. Its String is a stable
// kebab-case name, the key of Stats.Dropped and Stats.HeartbeatDropped and
// the reason label of meshd's metrics; Describe says it in words for logs.
// Names are never reused or renamed: dashboards and alerts depend on them.
// The numeric values are not stable; store and compare names.
type DropReason uint8

// The drop reasons. Scope says where each can occur: gossip datagrams
// (Step), multicast heartbeats (StepHeartbeat) or the driver's multicast
// socket; docs/meshd.md says what causes each and what to do.
const (
	DropOversized            DropReason = iota + 1 // longer than MaxPacketSize
	DropTruncated                                  // too short for its header or seal
	DropBadMagic                                   // not a meshd gossip packet
	DropUnsupportedVersion                         // a protocol version this node does not speak
	DropForeignCluster                             // another cluster's packet (cluster name tag differs)
	DropUnencrypted                                // not encrypted, and this node has keys
	DropEncryptedWithoutKey                        // encrypted, and this node has no key
	DropBadKey                                     // encrypted with a key not in this keyring
	DropStale                                      // timestamp farther than the allowed clock skew
	DropReplay                                     // a copy of a packet already received
	DropMalformed                                  // header fine, body not decodable
	DropWrongTarget                                // a probe for another member's name
	DropNameConflict                               // news of a live member's name at another address
	DropSealFailed                                 // an outgoing packet could not be encrypted
	DropHeartbeatDisabled                          // a heartbeat while heartbeats are off or this node leaves
	DropLibcluster                                 // an Elixir libcluster heartbeat on the group
	DropSelf                                       // this node's own heartbeat, looped back
	DropRateLimited                                // a heartbeat beyond the join rate limit
	DropSocketTruncated                            // a multicast datagram longer than the read buffer
	DropSocketOtherInterface                       // a multicast datagram that came in on an unused interface
	DropSocketNotGroup                             // a datagram to the heartbeat port not sent to the group

	dropReasonEnd // one past the last reason
)

// DropScope says where a drop reason can occur.
type DropScope uint8

// Drop scopes, bits of Scope.
const (
	ScopeGossip    DropScope = 1 << iota // gossip datagrams, counted in Stats.Dropped
	ScopeHeartbeat                       // multicast heartbeats, counted in Stats.HeartbeatDropped
	ScopeSocket                          // the driver's multicast socket, counted by the driver
)

type dropInfo struct {
	name, words string
	scope       DropScope
}

// dropInfos is indexed by DropReason; every reason has an entry (a test
// checks that names are distinct and documented).
var dropInfos = [dropReasonEnd]dropInfo{
	DropOversized:            {"oversized", "larger than this node's MaxPacketSize", ScopeGossip},
	DropTruncated:            {"truncated", "too short to be a meshd packet", ScopeGossip},
	DropBadMagic:             {"bad-magic", "not a meshd gossip packet", ScopeGossip},
	DropUnsupportedVersion:   {"unsupported-version", "a meshd packet of a protocol version this node does not speak", ScopeGossip},
	DropForeignCluster:       {"foreign-cluster", "from another cluster", ScopeGossip | ScopeHeartbeat},
	DropUnencrypted:          {"unencrypted", "unencrypted, but this cluster requires a key", ScopeGossip | ScopeHeartbeat},
	DropEncryptedWithoutKey:  {"encrypted-without-key", "encrypted, but this node has no key", ScopeGossip | ScopeHeartbeat},
	DropBadKey:               {"bad-key", "sealed with a key that is not in this keyring", ScopeGossip | ScopeHeartbeat},
	DropStale:                {"stale", "timestamped too far from this node's clock", ScopeGossip | ScopeHeartbeat},
	DropReplay:               {"replay", "a copy of a packet already received (replayed or duplicated)", ScopeGossip | ScopeHeartbeat},
	DropMalformed:            {"malformed", "could not be decoded", ScopeGossip | ScopeHeartbeat},
	DropWrongTarget:          {"wrong-target", "a probe for another member (this address changed hands)", ScopeGossip},
	DropNameConflict:         {"name-conflict", "claims a live member's name at another address", ScopeGossip},
	DropSealFailed:           {"seal-failed", "could not be encrypted for sending", ScopeGossip},
	DropHeartbeatDisabled:    {"heartbeat-disabled", "a heartbeat while heartbeats are off or this node is leaving", ScopeHeartbeat},
	DropLibcluster:           {"libcluster", "an Elixir libcluster heartbeat on the same multicast group", ScopeHeartbeat},
	DropSelf:                 {"self", "this node's own heartbeat, looped back", ScopeHeartbeat},
	DropRateLimited:          {"rate-limited", "a heartbeat beyond the join rate limit", ScopeHeartbeat},
	DropSocketTruncated:      {"socket-truncated", "longer than the multicast read buffer", ScopeSocket},
	DropSocketOtherInterface: {"socket-other-interface", "arrived on a multicast interface not in use", ScopeSocket},
	DropSocketNotGroup:       {"socket-not-group", "sent to the heartbeat port but not to the group", ScopeSocket},
}

func (r DropReason) info() (dropInfo, bool) {
	if r == 0 || r >= dropReasonEnd {
		return dropInfo{}, false
	}
	return dropInfos[r], true
}

// String is the reason's stable name, such as "bad-key".
func (r DropReason) String() string {
	if i, ok := r.info(); ok {
		return i.name
	}
	return fmt.Sprintf("drop-reason-%d", uint8(r))
}

// Describe says the reason in words, for a log line: "sealed with a key
// that is not in this keyring".
func (r DropReason) Describe() string {
	if i, ok := r.info(); ok {
		return i.words
	}
	return r.String()
}

// Scope says where the reason can occur.
func (r DropReason) Scope() DropScope {
	i, _ := r.info()
	return i.scope
}

// DropReasons lists every reason, in order.
func DropReasons() []DropReason {
	out := make([]DropReason, 0, dropReasonEnd-1)
	for r := DropReason(1); r < dropReasonEnd; r++ {
		out = append(out, r)
	}
	return out
}

// Drop is one dropped datagram, as reported in Ready.Drops so that the
// driver can log it. Its source address is the datagram's sender as the
// socket saw it, which a forger can choose.
type Drop struct {
	Addr      netip.AddrPort // the sender (for DropSealFailed: the destination)
	Reason    DropReason
	Heartbeat bool   // a multicast heartbeat rather than a gossip datagram
	Detail    string // specifics in words, such as "1600 bytes, at most 1400"; may be empty
}

// MaxReadyDrops bounds Ready.Drops: a flood of bad datagrams between two
// Readys reports only the first ones (all are counted in Stats), so the
// list cannot grow with the flood.
const MaxReadyDrops = 16

// gossipDropReason maps an error of wire's Codec.Open to its reason.
func gossipDropReason(err error) DropReason {
	switch {
	case errors.Is(err, wire.ErrOversized):
		return DropOversized
	case errors.Is(err, wire.ErrShort):
		return DropTruncated
	case errors.Is(err, wire.ErrBadMagic):
		return DropBadMagic
	case errors.Is(err, wire.ErrVersion):
		return DropUnsupportedVersion
	case errors.Is(err, wire.ErrForeignCluster):
		return DropForeignCluster
	case errors.Is(err, wire.ErrUnencrypted):
		return DropUnencrypted
	case errors.Is(err, wire.ErrUnexpectedSeal):
		return DropEncryptedWithoutKey
	case errors.Is(err, wire.ErrBadKey):
		return DropBadKey
	case errors.Is(err, wire.ErrStale):
		return DropStale
	case errors.Is(err, wire.ErrReplay):
		return DropReplay
	}
	return DropMalformed
}

// heartbeatDropReason maps an error of heartbeat's Protocol.Receive to its
// reason.
func heartbeatDropReason(err error) DropReason {
	switch {
	case errors.Is(err, heartbeat.ErrForeignCluster):
		return DropForeignCluster
	case errors.Is(err, heartbeat.ErrBadKey):
		return DropBadKey
	case errors.Is(err, heartbeat.ErrSealedWithoutKey):
		return DropEncryptedWithoutKey
	case errors.Is(err, heartbeat.ErrUnencrypted):
		return DropUnencrypted
	case errors.Is(err, heartbeat.ErrReplay):
		return DropReplay
	case errors.Is(err, heartbeat.ErrStale):
		return DropStale
	case errors.Is(err, heartbeat.ErrLibcluster):
		return DropLibcluster
	case errors.Is(err, heartbeat.ErrSelf):
		return DropSelf
	case errors.Is(err, heartbeat.ErrRateLimited):
		return DropRateLimited
	}
	return DropMalformed
}

// drop counts a gossip datagram dropped for r and, while Ready.Drops has
// room, reports it; the returned entry (nil once the list is full) takes the
// caller's Detail. Details are built only for reported drops, so a flood
// costs a counter increment per datagram.
func (n *Node) drop(r DropReason, addr netip.AddrPort) *Drop {
	n.stats.Dropped[r]++
	return n.reportDrop(Drop{Addr: addr, Reason: r})
}

// dropHeartbeat counts and reports a multicast datagram dropped for r;
// err, a heartbeat.DropError or nil, gives the detail.
func (n *Node) dropHeartbeat(r DropReason, addr netip.AddrPort, err error) {
	n.stats.HeartbeatDropped[r]++
	d := n.reportDrop(Drop{Addr: addr, Reason: r, Heartbeat: true})
	var de *heartbeat.DropError
	if d != nil && errors.As(err, &de) && de.Err != nil {
		d.Detail = de.Err.Error()
	}
}

func (n *Node) reportDrop(d Drop) *Drop {
	if len(n.drops) >= MaxReadyDrops {
		return nil
	}
	n.drops = append(n.drops, d)
	return &n.drops[len(n.drops)-1]
}

// openDropDetail says what in pkt made Codec.Open refuse it for r.
func (n *Node) openDropDetail(r DropReason, pkt []byte) string {
	switch r {
	case DropForeignCluster:
		if tag, ok := wire.HeaderClusterTag(pkt); ok {
			return fmt.Sprintf("name tag 0x%08x; this cluster's is 0x%08x", tag, n.codec.Tag())
		}
	case DropUnsupportedVersion:
		return fmt.Sprintf("version %d; this node speaks %d", pkt[1], wire.Version)
	case DropBadMagic:
		return fmt.Sprintf("first byte 0x%02x, want 0x%02x", pkt[0], wire.Magic)
	case DropTruncated:
		return fmt.Sprintf("%d bytes", len(pkt))
	case DropStale:
		return fmt.Sprintf("more than %v off: the clocks disagree, or it is replayed", wire.MaxSkew)
	}
	return ""
}
