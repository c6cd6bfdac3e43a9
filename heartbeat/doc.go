// Package heartbeat is the pure multicast heartbeat protocol of meshd's LAN
// discovery: every Interval (jittered by ±10%) a node announces
// (cluster, name, advertised address, incarnation, membership digest, member
// count) to the LAN group, and a receiver joins senders it does not know and
// starts a delta sync with a known sender whose digest differs from its own.
//
// The package owns no goroutine, socket, lock or clock, and takes its
// randomness from the caller: Tick and Receive are told the time, Tick returns
// the datagram to multicast and Receive returns a Decision for the engine to
// act on. The socket side lives in package multicast; the engine (internal/core)
// drives a Protocol from its one goroutine. A Protocol is not safe for
// concurrent use.
//
// # Wire format
//
// A heartbeat is an 8-byte header followed by a body:
//
//	"MH" | version (1) | flags (1) | cluster tag (4, FNV-1a of the cluster name)
//
// The body is a msgpack/v5 array of nine fields
// [cluster, name, ip, port, incarnation, digest, count, seq, unix-nanos].
// With a keyring the body is sealed with AES-256-GCM by the primary key
// (internal/wire.Keyring); the authenticated data is the header followed by the
// cluster name, so a heartbeat cannot be moved to another cluster or have its
// header rewritten. The gossip packets of the core start with 'M' followed by
// another byte, so the two never parse as each other.
//
// # What a receiver drops
//
// Every datagram handed to Receive is counted exactly once: in
// Stats.Received when it was accepted, or in Stats.Dropped under one reason
// (the Err* values; their text is the key):
//
//	foreign-cluster        another cluster's heartbeat (header tag or body differs)
//	bad-key                sealed, and no key of the ring opens it
//	encrypted-without-key  sealed, and no keyring is set
//	unencrypted            not sealed although a keyring is set
//	replay                 sealed, with a sequence not above the last one seen from
//	                       that sender (also a copy arriving on a second interface)
//	stale                  sealed, with a timestamp farther than MaxSkew from now
//	malformed              not a heartbeat: random bytes, truncated, oversized,
//	                       unknown version, invalid fields
//	libcluster             an Elixir libcluster "heartbeat::" packet on the same group
//	self                   our own heartbeat, looped back
//	rate-limited           valid, but the join/sync token bucket was empty
//
// Receive returns a *DropError, which errors.Is matches against its reason.
// Callers should count each drop and log only a rate-limited sample, because
// a busy LAN can deliver many foreign packets.
//
// # Replay protection
//
// A sealed heartbeat carries the sender's clock (unix nanoseconds) and a
// sequence that starts at that clock and grows by at least one per heartbeat,
// so it keeps growing across restarts of the sender. The receiver keeps the
// last sequence per sender in a map bounded to MaxSenders (the least recently
// heard sender is forgotten first) and rejects a sequence that does not grow
// or a timestamp outside ±MaxSkew. A sender not heard for 2*MaxSkew is
// forgotten too: any older heartbeat of it is already outside the skew window,
// and a sender whose clock was set back can rejoin after that time. Unsealed
// heartbeats (no keyring) are not replay-checked: anyone on the LAN can forge
// them anyway, which is why a key should be set on any network you do not own.
//
// # Join storms
//
// When a 200-node LAN comes up at once every node hears 199 strangers per
// interval. Joins and syncs triggered by heartbeats therefore draw from one
// token bucket (JoinRate per second, JoinBurst deep) and are not repeated
// with the same sender within Cooldown (default 2*Interval). A join brings
// the whole table of the joined node, so a few joins suffice and gossip does
// the rest.
//
// It is a part of meshd's engine with no compatibility promise: its API may
// change in any release. Programs build on package mesh.
package heartbeat
