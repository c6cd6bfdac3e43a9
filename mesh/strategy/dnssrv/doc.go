// Package dnssrv is the "dnssrv" discovery strategy: the SRV records of a
// name give each seed's host and port, as libcluster's DNSSRV strategy and
// Kubernetes named ports do ("_gossip._udp.meshd.default.svc.cluster.local").
//
// Every Interval (5 s by default) the SRV name is asked with
// github.com/miekg/dns, from Resolver or the servers of /etc/resolv.conf.
// SRV names are absolute: the search list is not used. A truncated UDP
// answer is asked again over TCP, and a truncated answer is never used as
// the list. Each target's addresses come from the answer's additional
// section when the server sent them (Kubernetes does), else from A and AAAA
// queries for the target. Targets "." (RFC 2782: no service here) and port
// 0 are skipped; priority and weight are ignored, because every target is a
// peer to join, not a server to pick.
//
// The SRV query failing (NXDOMAIN, SERVFAIL, timeout, truncation without
// TCP) or answering nothing keeps the last good list. Each target's lookup
// stands on its own, and within it each family (A, AAAA): a target or a
// family that fails keeps its last good addresses (none at start) and is
// reported, so one stale record, or a server that refuses AAAA queries
// (dnsmasq without upstream servers does), does not hold the others back.
// A poll with such failures counts in Stats().Errors, every failed query
// is counted by type and rcode in Stats().Failures ("AAAA REFUSED",
// "SRV SERVFAIL"), and the streak is logged once, then at most once a
// minute.
//
// As a one-line spec: "_gossip._udp.NAME[?interval=5s&resolver=ip:port&timeout=2s&family=any]".
// In YAML:
//
//	name: _gossip._udp.meshd.default.svc.cluster.local
//	interval: 5s
//	resolver: ""
//	timeout: 2s
//	family: any
package dnssrv
