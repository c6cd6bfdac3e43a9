package coretest

import (
	"fmt"
	"net/netip"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/cockroachdb/datadriven"
	"github.com/meshd/meshd/internal/core"
	"github.com/meshd/meshd/internal/membership"
)

// Env runs the message-level script tests, in the style of etcd-io/raft's
// interaction tests: each command of a datadriven file has one handler,
// and what the command made happen is its output, checked against the
// file (go test -rewrite regenerates it).
//
// While a command traces (all but run and stabilize), its output shows the
// protocol step by step: every timer tick or delivery that did something,
// each datagram a node sent (decoded, one message a line, with the
// network's verdict if it dropped it), each membership event and each join
// report. run and
// stabilize only summarize the events, one line per (event, member) with
// its observers.
//
// The commands: add-nodes, join, crash, restart, leave and set-meta change
// the nodes; tick (virtual time with the network on hold), deliver, drop
// and held work on single datagrams; run and stabilize let the network
// deliver by itself; partition, cut, lose and heal change the network;
// members prints a node's table; inject hands a node a crafted message.
type Env struct {
	Net *Net

	out     strings.Builder
	tracing bool
	// stamp puts the virtual time on delivery headers (deliveries that
	// came off the clock, not a deliver command).
	stamp bool
	// header is the pending line of the current step, printed before its
	// first output; nothing is printed for a step that did nothing.
	header string
	seen   map[string][]string // untraced events: "type member" -> observers
	// show, when set, limits the traced datagrams to those it matches
	// (run D trace=(types)).
	show func(*Datagram) bool
	// lose are the loss rules of lose commands, until heal.
	lose []func(*Datagram) bool
}

// handler runs one command, writing what happened to e.out.
type handler func(e *Env, t testing.TB, d *datadriven.TestData)

// handlers holds one handler per command; each handler's comment gives its
// syntax.
var handlers = map[string]handler{
	"add-nodes": (*Env).handleAddNodes,
	"join":      (*Env).handleJoin,
	"crash":     (*Env).handleCrash,
	"restart":   (*Env).handleRestart,
	"leave":     (*Env).handleLeave,
	"set-meta":  (*Env).handleSetMeta,
	"tick":      (*Env).handleTick,
	"deliver":   (*Env).handleDeliver,
	"drop":      (*Env).handleDrop,
	"held":      (*Env).handleHeld,
	"run":       (*Env).handleRun,
	"stabilize": (*Env).handleStabilize,
	"partition": (*Env).handlePartition,
	"cut":       (*Env).handleCut,
	"heal":      (*Env).handleHeal,
	"lose":      (*Env).handleLose,
	"members":   (*Env).handleMembers,
	"inject":    (*Env).handleInject,
}

// Handle runs one command and returns its output ("ok" when it printed
// nothing).
func (e *Env) Handle(t *testing.T, d *datadriven.TestData) string {
	h, ok := handlers[d.Cmd]
	if !ok {
		d.Fatalf(t, "unknown command %q", d.Cmd)
	}
	if e.Net == nil && d.Cmd != "add-nodes" {
		d.Fatalf(t, "%s before add-nodes", d.Cmd)
	}
	e.out.Reset()
	e.tracing, e.stamp, e.header, e.show = d.Cmd != "run" && d.Cmd != "stabilize", false, "", nil
	h(e, t, d)
	out := strings.TrimRight(e.out.String(), "\n")
	if out == "" {
		return "ok"
	}
	return out
}

// newNet creates the script's network and hooks the printing onto it.
func (e *Env) newNet(seed int64) {
	e.Net = New(seed, LANParams())
	e.seen = map[string][]string{}
	e.Net.OnStep = e.onStep
	e.Net.OnSent = e.onSent
	e.Net.OnEvent = e.onEvent
	e.Net.OnJoin = func(h *Host, r core.JoinReport) {
		if e.tracing {
			e.println(fmt.Sprintf("  %s reports %s", h.Name, e.Net.FormatJoin(r)))
		}
	}
	e.Net.OnSend = func(from *Host, to netip.AddrPort, data []byte) bool {
		d := &Datagram{From: from, To: e.Net.byAddr[to], Addr: to, Data: data, Sent: e.Net.Now}
		for _, rule := range e.lose {
			if rule(d) {
				return true
			}
		}
		return false
	}
}

func (e *Env) onStep(h *Host, d *Datagram) {
	if !e.tracing {
		return
	}
	if d == nil {
		e.header = fmt.Sprintf("%s %s tick", stampOf(e.Net.Elapsed()), h.Name)
		return
	}
	line := e.Net.FormatDatagram(d)
	if e.stamp {
		st := stampOf(e.Net.Elapsed()) + " "
		line = st + strings.ReplaceAll(line, "\n", "\n"+strings.Repeat(" ", len(st)))
	}
	if h.Down {
		line = annotate(line, "receiver down")
	}
	// A datagram the trace does not show still heads what its receiver
	// sends that the trace does show.
	if e.show != nil && !e.show(d) {
		e.header = line
		return
	}
	e.header = ""
	e.println(line)
}

func (e *Env) onSent(d *Datagram) {
	if !e.tracing || (e.show != nil && !e.show(d)) {
		return
	}
	line := e.Net.FormatDatagram(d)
	switch {
	case d.Lost:
		line = annotate(line, "lost")
	case d.Drop != 0:
		line = annotate(line, "dropped: "+d.Drop.String())
	}
	e.println("  " + strings.ReplaceAll(line, "\n", "\n  "))
}

// annotate appends "(note)" to the first line of a datagram's rendering.
func annotate(line, note string) string {
	first, rest, multi := strings.Cut(line, "\n")
	if !multi {
		return first + " (" + note + ")"
	}
	return first + " (" + note + ")\n" + rest
}

func (e *Env) onEvent(h *Host, ev membership.Event) {
	if !e.tracing {
		k := ev.Type.String() + " " + ev.Member.Name
		e.seen[k] = append(e.seen[k], h.Name)
		return
	}
	e.println(fmt.Sprintf("  %s sees %s %s", h.Name, ev.Type, ev.Member.Name))
}

// step starts a step that is not a tick or a delivery (a join, a leave):
// its header is printed if it does something.
func (e *Env) step(format string, args ...any) { e.header = fmt.Sprintf(format, args...) }

func (e *Env) println(s string) {
	if e.header != "" {
		e.out.WriteString(e.header + "\n")
		e.header = ""
	}
	e.out.WriteString(s + "\n")
}

// printSeen prints the untraced events since the last call, one line per
// (event, member) with its observers, in a stable order.
func (e *Env) printSeen() {
	keys := make([]string, 0, len(e.seen))
	for k := range e.seen {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		obs := e.seen[k]
		sort.Strings(obs)
		e.println(k + " seen by " + strings.Join(obs, " "))
	}
	e.seen = map[string][]string{}
}

// stampOf renders virtual time since the epoch to the millisecond.
func stampOf(d time.Duration) string { return fmt.Sprintf("@%.3fs", d.Seconds()) }
