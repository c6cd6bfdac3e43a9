// Package simulator runs the real engine core over a virtual network with a
// virtual clock: deterministic partition, loss, latency and crash scenarios
// at thousands of nodes.
package simulator
