// Package vnet is the virtual network that the simulator and the core's
// tests both put their datagrams on: per-direction links (latency model,
// loss, duplication, reordering, MTU), partitions and one-way cuts between
// node indices, and the fate of each datagram drawn from one seeded random
// stream.
//
// The network decides what happens to a datagram; it does not carry it. A
// driver (the simulator's engine, coretest's Net) asks Transmit for the fate
// of every datagram it sends and queues the deliveries on its own virtual
// clock. Random draws happen only in Transmit, in the order the driver calls
// it, so a driver that calls it in a deterministic order replays bit for bit.
package vnet
