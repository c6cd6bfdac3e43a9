// Package core is the engine's pure state machine, in the shape of
// etcd-raft's RawNode: SWIM failure detection with Lifeguard, gossip,
// anti-entropy, joins and multicast heartbeats, and every protocol decision
// they take. It owns no goroutine, socket, lock or clock: the driver feeds
// it datagrams with Step, time with Tick and the outcome of its own I/O
// (addresses found by discovery) with SetDiscovered, then takes what it
// produced with Ready. meshd's UDP runtime (package mesh), the simulator and
// the tests drive the same code. A Node is not safe for concurrent use: one
// goroutine drives it.
//
// # The driver loop
//
// Create a node, start it joining, then loop: hand it what arrived, tick it
// when its deadline comes, and carry out everything Ready returns before
// waiting again. Ready is taken after every call into the node; its
// Deadline is when Tick has work to do next (a probe, a gossip round, a
// join resend), so nothing needs ticking on a fixed period.
//
//	n, err := core.New(core.Config{Name: "a", Addr: self, Params: params, Rand: rng}, clock.Now())
//	if err != nil { ... }
//	n.Join(clock.Now(), seeds)            // or SetDiscovered, or Config.Rejoin
//	for {
//		rd := n.Ready()
//		for _, p := range rd.Packets {
//			conn.WriteTo(p.Data, p.Addr)  // unicast datagrams
//		}
//		for _, hb := range rd.Heartbeats {
//			group.Write(hb)               // multicast heartbeats, if configured
//		}
//		for _, ev := range rd.Events {
//			publish(ev)                   // membership changes, in order
//		}
//		for _, j := range rd.Joins {
//			report(j)                     // join attempts that progressed or ended
//		}
//		for _, d := range rd.Drops {
//			logDrop(d)                    // datagrams dropped, by reason
//		}
//		select {
//		case p := <-inbox:
//			n.Step(clock.Now(), p.Addr, p.Data)
//		case hb := <-heartbeats:
//			n.StepHeartbeat(clock.Now(), hb.Addr, hb.Data)
//		case addrs := <-discovered:           // names already resolved: DNS is I/O
//			n.SetDiscovered(clock.Now(), addrs)
//		case <-clock.After(rd.Deadline.Sub(clock.Now())):
//			n.Tick(clock.Now())
//		}
//	}
//
// Time only moves forward, and only through the arguments: a simulator
// passes virtual time and gets the same trace for the same seed and inputs.
//
// # Joining
//
// Every join decision is the core's. Join (JoinUntil with a give-up time)
// starts an attempt that resends its JoinReq every ProbeTimeout to the seeds
// that have not answered, gives the silent ones two more resends once one
// seed answered, and gives up at its give-up time; Ready.Joins reports the
// attempt (the seeds that answered so far, and how it ended), and CancelJoin
// ends it early. SetDiscovered takes the addresses strategies found and
// joins those that are not alive members, at once and every PollInterval.
// Config.Rejoin names the members of an earlier run, joined from the start
// with capped exponential backoff until one answers or another member is
// alive.
package core
