package main

import (
	"fmt"
	"strings"
	"testing"
	"time"
)

// Two agents started under one name: the later one stops within 15 s with
// an error naming the address of the one that keeps the name, and exits
// non-zero; both log the conflict at ERROR; the first keeps running.
func TestTwoAgentsUnderOneName(t *testing.T) {
	t.Parallel()
	ips := []string{"127.0.0.51", "127.0.0.52"}
	gport, hport := freePorts(t, ips)
	addr := func(i, port int) string { return fmt.Sprintf("%s:%d", ips[i], port) }
	first := startAgent(t, "dup", addr(0, gport), addr(0, hport))
	eventually(t, 10*time.Second, "the first agent answers", func() (bool, string) {
		_, err := members(t, first.http)
		return err == nil, fmt.Sprint(err)
	})
	second := startAgent(t, "dup", addr(1, gport), addr(1, hport), "--join", first.gossip)
	if code := second.waitExit(t, 15*time.Second); code == 0 {
		t.Fatalf("the second agent exited 0")
	}
	out := second.out.String()
	t.Logf("the second agent said:\n%s", out)
	if !strings.Contains(out, `"level":"ERROR"`) || !strings.Contains(out, "meshd agent: the name \"dup\" is taken by the member at "+first.gossip) {
		t.Fatalf("the second agent does not say that %s holds the name:\n%s", first.gossip, out)
	}
	eventually(t, 5*time.Second, "the first agent logs the conflict at ERROR", func() (bool, string) {
		for _, line := range strings.Split(first.out.String(), "\n") {
			if strings.Contains(line, `"level":"ERROR"`) && strings.Contains(line, second.gossip) {
				return true, line
			}
		}
		return false, first.out.String()
	})
	select {
	case <-first.done:
		t.Fatalf("the first agent exited too")
	default:
	}
	ms, err := members(t, first.http)
	if err != nil {
		t.Fatal(err)
	}
	if m := ms["dup"]; m.Addr != first.gossip || m.State != "alive" {
		t.Fatalf("the first agent holds dup as %+v, want alive at %s", m, first.gossip)
	}
}
