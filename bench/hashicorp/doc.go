// Package hashicorp drives hashicorp/memberlist v0.7.0 and hashicorp/serf
// v0.11.0 as harness Systems, so the benchmark measures them exactly as it
// measures meshd.
//
// Both run over Transport, a wrapper around memberlist.NewNetTransport that
// counts every payload byte a node sends (UDP datagrams and both directions
// of TCP streams: push-pull, TCP fallback pings, joins) and injects loss:
// datagrams are dropped on the send and the receive path with the same
// per-direction probability as meshd's transport.Faulty, so X% loss means
// X% of datagrams lost end to end for every system. TCP is modelled as TCP
// behaves: bytes on an open stream are never lost (the kernel retransmits
// them), but a dial whose SYN or SYN-ACK is lost waits for the kernel's 1 s
// initial retransmission timeout, and fails if its deadline is shorter.
package hashicorp
