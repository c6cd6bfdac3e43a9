package coretest

import (
	"strings"
	"testing"
	"time"

	"github.com/cockroachdb/datadriven"
)

// positional returns the command's bare arguments (no "="), in order.
func positional(d *datadriven.TestData) []string {
	var out []string
	for _, a := range d.CmdArgs {
		if len(a.Vals) == 0 {
			out = append(out, a.Key)
		}
	}
	return out
}

// host resolves a node name, failing the test on an unknown one.
func (e *Env) host(t testing.TB, d *datadriven.TestData, name string) *Host {
	h := e.Net.Host(name)
	if h == nil {
		d.Fatalf(t, "no node %q", name)
	}
	return h
}

// hosts resolves a list of names; a name in parentheses, "(n0,n1)", is
// split at its commas.
func (e *Env) hosts(t testing.TB, d *datadriven.TestData, names []string) []*Host {
	var out []*Host
	for _, n := range names {
		for _, one := range strings.Split(strings.Trim(n, "()"), ",") {
			out = append(out, e.host(t, d, strings.TrimSpace(one)))
		}
	}
	return out
}

// onlyHost returns the one host a command names positionally.
func (e *Env) onlyHost(t testing.TB, d *datadriven.TestData) *Host {
	p := positional(d)
	if len(p) != 1 {
		d.Fatalf(t, "%s wants one node, got %v", d.Cmd, p)
	}
	return e.host(t, d, p[0])
}

// hostsArg resolves key=(n0,n1); nil when the key is absent.
func (e *Env) hostsArg(t testing.TB, d *datadriven.TestData, key string) []*Host {
	a, ok := d.Arg(key)
	if !ok {
		return nil
	}
	if len(a.Vals) == 0 {
		d.Fatalf(t, "%s wants nodes: %s=(n0,n1)", key, key)
	}
	return e.hosts(t, d, a.Vals)
}

// duration parses the command's first bare argument as a duration.
func duration(t testing.TB, d *datadriven.TestData) time.Duration {
	p := positional(d)
	if len(p) == 0 {
		d.Fatalf(t, "%s wants a duration (1s, 200ms)", d.Cmd)
	}
	v, err := time.ParseDuration(p[0])
	if err != nil || v < 0 {
		d.Fatalf(t, "%s: bad duration %q", d.Cmd, p[0])
	}
	return v
}
