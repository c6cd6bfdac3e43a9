package coretest

import (
	"fmt"
	"testing"
	"time"

	"github.com/cockroachdb/datadriven"
)

// tick D: advances virtual time by D, firing every node's timers on the
// way, with the network on hold: what the nodes send waits to be delivered
// or dropped. Datagrams still in flight from a run are held first.
func (e *Env) handleTick(t testing.TB, d *datadriven.TestData) {
	dur := duration(t, d)
	if !e.Net.Hold {
		before := len(e.Net.Held)
		e.Net.HoldAll()
		for _, h := range e.Net.Held[before:] {
			e.println("in flight, held: " + e.Net.FormatDatagram(h))
		}
	}
	e.Net.Run(dur)
}

// run D [trace[=(types)]]: lets the network deliver by itself (held
// datagrams arrive at once) for D of virtual time, and prints the
// membership events; with trace, every step instead, or only the datagrams
// carrying one of the given message types (and every event).
func (e *Env) handleRun(t testing.TB, d *datadriven.TestData) {
	dur := duration(t, d)
	if a, ok := d.Arg("trace"); ok {
		e.tracing, e.stamp = true, true
		if len(a.Vals) > 0 {
			e.show = e.typeFilter(t, d, a.Vals)
		}
	}
	e.Net.Release()
	e.Net.Run(dur)
	e.printSeen()
}

// stabilize [max=D]: runs as run does until every live node sees exactly
// the live nodes (3 minutes of virtual time at most), and prints the events.
func (e *Env) handleStabilize(t testing.TB, d *datadriven.TestData) {
	max := 3 * time.Minute
	var s string
	if d.MaybeScanArgs(t, "max", &s) {
		v, err := time.ParseDuration(s)
		if err != nil {
			d.Fatalf(t, "stabilize: bad max %q", s)
		}
		max = v
	}
	e.Net.Release()
	took, ok := e.Net.RunUntil(100*time.Millisecond, max, e.Net.Converged)
	e.printSeen()
	if !ok {
		e.println(fmt.Sprintf("NOT converged after %v", took))
		return
	}
	e.println("converged")
}
