// Package core is the engine's pure state machine in the shape of etcd-raft's
// RawNode: the driver feeds it packets with Step and time with Tick, then
// takes what it produced with Ready (packets to send, heartbeats to
// multicast, events to publish, drops to report, next deadline). It owns no goroutine, socket,
// lock or clock, so meshd's UDP loop and the simulator run the same code.
// A Node is not safe for concurrent use: one goroutine drives it.
package core
