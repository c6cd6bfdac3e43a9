package mesh

import (
	"fmt"

	"github.com/meshd/meshd/internal/core"
)

// DropReason says why a datagram was dropped: the key of Stats.Dropped and
// HeartbeatStats.Dropped. Its String (and its JSON/text form) is a stable
// kebab-case name, the same as the reason label of meshd's Prometheus
// metrics; names are never renamed or reused (numeric values may change
// between versions: store names, not numbers). docs/meshd.md lists what
// causes each reason and what to do about it.
type DropReason uint8

// The drop reasons. GossipDropReasons and HeartbeatDropReasons say which
// can occur where.
const (
	// DropOversized: longer than this node's MaxPacketSize.
	DropOversized = DropReason(core.DropOversized)
	// DropTruncated: too short for a meshd header or seal.
	DropTruncated = DropReason(core.DropTruncated)
	// DropBadMagic: not a meshd gossip packet at all.
	DropBadMagic = DropReason(core.DropBadMagic)
	// DropUnsupportedVersion: a protocol version this node does not speak.
	DropUnsupportedVersion = DropReason(core.DropUnsupportedVersion)
	// DropForeignCluster: sent by a member of another cluster (Config.Cluster differs).
	DropForeignCluster = DropReason(core.DropForeignCluster)
	// DropUnencrypted: not encrypted, but this node has Keys.
	DropUnencrypted = DropReason(core.DropUnencrypted)
	// DropEncryptedWithoutKey: encrypted, but this node has no Keys.
	DropEncryptedWithoutKey = DropReason(core.DropEncryptedWithoutKey)
	// DropBadKey: encrypted with a key that is not in this node's Keys.
	DropBadKey = DropReason(core.DropBadKey)
	// DropStale: its timestamp is too far from this node's clock.
	DropStale = DropReason(core.DropStale)
	// DropReplay: a copy of an encrypted packet already received.
	DropReplay = DropReason(core.DropReplay)
	// DropMalformed: the header checked out but the content does not decode.
	DropMalformed = DropReason(core.DropMalformed)
	// DropWrongTarget: a probe meant for another member name (the address
	// changed hands, as when a pod's IP is reused).
	DropWrongTarget = DropReason(core.DropWrongTarget)
	// DropNameConflict: news of a live member's name at another address.
	DropNameConflict = DropReason(core.DropNameConflict)
	// DropSealFailed: an outgoing datagram could not be encrypted.
	DropSealFailed = DropReason(core.DropSealFailed)
	// DropHeartbeatDisabled: a heartbeat while heartbeats are off or this
	// node is leaving.
	DropHeartbeatDisabled = DropReason(core.DropHeartbeatDisabled)
	// DropLibcluster: an Elixir libcluster heartbeat on the same group.
	DropLibcluster = DropReason(core.DropLibcluster)
	// DropSelf: this node's own heartbeat, looped back.
	DropSelf = DropReason(core.DropSelf)
	// DropRateLimited: a heartbeat beyond the join rate limit.
	DropRateLimited = DropReason(core.DropRateLimited)
	// DropSocketTruncated: a multicast datagram longer than the read buffer.
	DropSocketTruncated = DropReason(core.DropSocketTruncated)
	// DropSocketOtherInterface: a multicast datagram that arrived on an
	// interface not in use.
	DropSocketOtherInterface = DropReason(core.DropSocketOtherInterface)
	// DropSocketNotGroup: a datagram to the heartbeat port not sent to the group.
	DropSocketNotGroup = DropReason(core.DropSocketNotGroup)
)

// String is the reason's stable name, such as "bad-key".
func (r DropReason) String() string { return core.DropReason(r).String() }

// Describe says the reason in words, as the log does: "sealed with a key
// that is not in this keyring".
func (r DropReason) Describe() string { return core.DropReason(r).Describe() }

// MarshalText gives the reason's name, so that Stats encode as JSON objects
// keyed by name.
func (r DropReason) MarshalText() ([]byte, error) { return []byte(r.String()), nil }

// UnmarshalText parses a reason's name.
func (r *DropReason) UnmarshalText(b []byte) error {
	for _, x := range DropReasons() {
		if x.String() == string(b) {
			*r = x
			return nil
		}
	}
	return fmt.Errorf("mesh: unknown drop reason %q", b)
}

// DropReasons lists every reason, in order.
func DropReasons() []DropReason {
	rs := core.DropReasons()
	out := make([]DropReason, len(rs))
	for i, r := range rs {
		out[i] = DropReason(r)
	}
	return out
}

// GossipDropReasons lists the reasons gossip datagrams can be dropped for,
// the keys Stats.Dropped may hold.
func GossipDropReasons() []DropReason { return dropReasonsIn(core.ScopeGossip) }

// HeartbeatDropReasons lists the reasons multicast heartbeats can be
// dropped for, the keys HeartbeatStats.Dropped may hold.
func HeartbeatDropReasons() []DropReason {
	return dropReasonsIn(core.ScopeHeartbeat | core.ScopeSocket)
}

func dropReasonsIn(scope core.DropScope) []DropReason {
	var out []DropReason
	for _, r := range core.DropReasons() {
		if r.Scope()&scope != 0 {
			out = append(out, DropReason(r))
		}
	}
	return out
}

// dropCounts converts the core's counters to the public map, a fresh copy.
func dropCounts(in map[core.DropReason]uint64) map[DropReason]uint64 {
	out := make(map[DropReason]uint64, len(in))
	for r, n := range in {
		out[DropReason(r)] = n
	}
	return out
}
