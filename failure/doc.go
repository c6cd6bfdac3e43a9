// Package failure is SWIM failure detection with Lifeguard's refinements, as
// a pure state machine: probing on a ring of the members hashed by name, so
// that in each probe interval every member is probed by exactly one node
// (see probeRing); ping, then ping-req through IndirectChecks helpers that
// answer nack when they cannot reach the target; suspicion whose timeout
// starts at its maximum and shrinks as independent confirmations arrive;
// and a local health multiplier that stretches this node's probe interval
// and timeout while its own probes go unanswered (so a slow node accuses
// no one).
//
// The Detector owns no goroutine, socket, lock, clock or global random
// source: the caller passes the time and a seeded *rand.Rand, feeds acks,
// nacks and suspicions in, and drains Actions out.
//
// It is a part of meshd's engine with no compatibility promise: its API may
// change in any release. Programs build on package mesh.
package failure
