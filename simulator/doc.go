// Package simulator runs the real engine core over a virtual network with a
// virtual clock: deterministic partition, loss, latency, slow-node and crash
// scenarios at thousands of nodes. `meshd sim SCENARIO.yaml` is its command
// line (Main); docs/simulator.md documents the scenario format and every
// figure in full.
//
// How it works. One goroutine pops events from a binary heap ordered by
// (virtual time, push order): datagram deliveries, node timer deadlines,
// timeline actions and timeline samples. Each node is a
// *core.Node (behind the small Node interface, so the engine can be tested
// with a stand-in) driven exactly as meshd's runtime drives it: Step for a
// datagram, StepHeartbeat for a multicast heartbeat, Tick at its deadline,
// then Ready, whose packets go through the virtual network (per-link
// latency, loss, duplication, reordering, MTU, partitions and one-way cuts)
// back into the heap, and whose heartbeats go to every node of the sender's
// LAN segment. Every random choice, the cores' included, comes from streams
// seeded from the scenario seed, so a scenario and seed give one trace,
// summarised by Result.TraceHash.
//
// Measures. After every step the node's View (live count and name hash) is
// compared with the set of nodes that are actually live, giving exact
// convergence times; crashes are followed to the first suspicion, first
// dead verdict and until every node knows; dead verdicts about live members
// the network still connects are false positives, counted per episode with
// how long they lasted.
//
// A scenario, in short (see docs/simulator.md for every field):
//
//	name: rack-drop
//	nodes: 2000
//	duration: 150s
//	profile: lan
//	groups: {rack7: 280-319}
//	seeds: [0, 1000]
//	events:
//	  - {at: 30s, loss: 5%}
//	  - {at: 40s, partition: [rack7, [0-279, 320-1999]]}
//	  - {at: 80s, heal}
//	  - {at: 90s, crash: 5%}
//
// From Go:
//
//	sc, err := simulator.Load("rack-drop.yaml")
//	res, err := simulator.Run(sc, simulator.Options{})
//	fmt.Println(res.ConvergedAtS, res.FalsePositives, res.TraceHash)
package simulator
