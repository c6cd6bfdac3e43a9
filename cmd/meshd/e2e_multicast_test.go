package main

import (
	"fmt"
	"net"
	"testing"
	"time"
)

// Two agents started with --multicast on the loopback interface (TTL 0:
// nothing leaves the host) and no seeds find each other.
func TestMulticastDiscoveryOnLoopback(t *testing.T) {
	t.Parallel()
	ips := []string{"127.0.0.45", "127.0.0.46"}
	gport, hport := freePorts(t, ips)
	// A group port of our own, so other tests' heartbeats stay apart.
	u, err := net.ListenPacket("udp4", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	group := fmt.Sprintf("230.1.1.251:%d", u.LocalAddr().(*net.UDPAddr).Port)
	u.Close()
	var agents []*agentProc
	for i, ip := range ips {
		agents = append(agents, startAgent(t, fmt.Sprintf("mc%d", i+1), fmt.Sprintf("%s:%d", ip, gport), fmt.Sprintf("%s:%d", ip, hport),
			"--cluster", "e2e-multicast", "--multicast", "--multicast-if", "lo", "--multicast-ttl", "0", "--multicast-group", group))
	}
	eventually(t, 30*time.Second, "the agents find each other by multicast", func() (bool, string) {
		return viewsAgree(t, agents, map[string]string{"mc1": "alive", "mc2": "alive"})
	})
	fams := scrape(t, agents[0].http)
	if got := fams.value(t, "meshd_heartbeats_total", "direction", "sent"); got == 0 {
		t.Error("no heartbeat counted as sent")
	}
}
