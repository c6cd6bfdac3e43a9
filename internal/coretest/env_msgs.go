package coretest

import (
	"fmt"
	"net/netip"
	"strings"
	"testing"

	"github.com/cockroachdb/datadriven"
	"github.com/meshd/meshd/internal/wire"
)

// selector returns the filter a deliver or drop command gives: from=(..),
// to=(..), type=(ping,ack,...) (a datagram matches if any of its messages
// does), all of them optional.
func (e *Env) selector(t testing.TB, d *datadriven.TestData) func(*Datagram) bool {
	from, to := e.hostsArg(t, d, "from"), e.hostsArg(t, d, "to")
	var types func(*Datagram) bool
	if a, ok := d.Arg("type"); ok {
		types = e.typeFilter(t, d, a.Vals)
	}
	return func(g *Datagram) bool {
		if from != nil && !contains(from, g.From) {
			return false
		}
		if to != nil && !contains(to, g.To) {
			return false
		}
		return types == nil || types(g)
	}
}

// typeFilter matches the datagrams that carry a message of one of these
// types (MsgType's names).
func (e *Env) typeFilter(t testing.TB, d *datadriven.TestData, types []string) func(*Datagram) bool {
	for _, ty := range types {
		if !msgTypes[ty] {
			d.Fatalf(t, "no message type %q", ty)
		}
	}
	return func(g *Datagram) bool {
		msgs, _ := Decode(e.Net.Cluster, e.Net.Keys, g.Data, g.Sent)
		for _, m := range msgs {
			for _, ty := range types {
				if MsgType(m) == ty {
					return true
				}
			}
		}
		return false
	}
}

// lose [from=..] [to=..] [type=..]: every datagram sent that matches is
// lost, until heal (the selection is deliver's).
func (e *Env) handleLose(t testing.TB, d *datadriven.TestData) {
	e.lose = append(e.lose, e.selector(t, d))
}

// deliver [from=..] [to=..] [type=..]: delivers the held datagrams that
// match, in the order they were sent, and prints each with what its
// receiver did. What the receivers send is held, not delivered.
func (e *Env) handleDeliver(t testing.TB, d *datadriven.TestData) {
	if len(e.Net.Deliver(e.selector(t, d))) == 0 {
		e.println("nothing to deliver")
	}
}

// drop [from=..] [to=..] [type=..]: loses the held datagrams that match.
func (e *Env) handleDrop(t testing.TB, d *datadriven.TestData) {
	for _, g := range e.Net.DropHeld(e.selector(t, d)) {
		e.println("dropped " + e.Net.FormatDatagram(g))
	}
}

// held: lists the held datagrams.
func (e *Env) handleHeld(t testing.TB, d *datadriven.TestData) {
	for _, g := range e.Net.Held {
		e.println(e.Net.FormatDatagram(g))
	}
}

// stranger is the address injected messages come from: no node's.
var stranger = netip.MustParseAddrPort("192.0.2.1:7946")

// inject N TYPE name=M inc=I [meta=k:v] [from=F]: node N receives one
// message (alive, suspect, dead or left about member M at incarnation I)
// from an address no node has, as gossip relayed by a stranger would
// arrive; prints what N did and its entry for M afterwards.
func (e *Env) handleInject(t testing.TB, d *datadriven.TestData) {
	p := positional(d)
	if len(p) != 2 {
		d.Fatalf(t, "inject wants a node and a message type")
	}
	to := e.host(t, d, p[0])
	var name, from string
	var inc uint64
	d.ScanArgs(t, "name", &name)
	d.ScanArgs(t, "inc", &inc)
	from = "stranger"
	d.MaybeScanArgs(t, "from", &from)
	meta := map[string]string{}
	if a, ok := d.Arg("meta"); ok {
		for _, kv := range a.Vals {
			k, v, ok := strings.Cut(kv, ":")
			if !ok {
				d.Fatalf(t, "inject: meta wants k:v, got %q", kv)
			}
			meta[k] = v
		}
	}
	var m wire.Msg
	switch p[1] {
	case "alive":
		addr := stranger
		if h := e.Net.Host(name); h != nil {
			addr = h.Addr
		}
		m = wire.Alive{Name: name, Addr: addr, Inc: inc, MetaVer: inc, Meta: meta}
	case "suspect":
		m = wire.Suspect{Name: name, Inc: inc, From: from}
	case "dead":
		m = wire.Dead{Name: name, Inc: inc, From: from}
	case "left":
		m = wire.Left{Name: name, Inc: inc}
	default:
		d.Fatalf(t, "inject: unknown message type %q", p[1])
	}
	codec, err := wire.NewCodec(e.Net.Cluster, e.Net.Keys, nil)
	if err != nil {
		d.Fatalf(t, "inject: %v", err)
	}
	pkt, err := codec.Frame(nil, wire.NewEncoder().Encode(m), e.Net.Now)
	if err != nil {
		d.Fatalf(t, "inject: %v", err)
	}
	e.step("%s receives %s", to.Name, FormatMsg(m))
	e.Net.Step(to, stranger, pkt)
	e.header = ""
	for _, mem := range to.Node.Members() {
		if mem.Name == name {
			e.println(fmt.Sprintf("%s has %s", to.Name, FormatMember(mem)))
			return
		}
	}
	e.println(fmt.Sprintf("%s does not know %s", to.Name, name))
}
