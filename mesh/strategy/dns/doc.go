// Package dns is the "dns" discovery strategy: the A and AAAA records of one
// name are the seeds, every address with one port. It is libcluster's
// DNSPoll and Peerage's dns_name (NODE_DNS), and what a Kubernetes headless
// service gives you without RBAC: one record per ready pod.
//
// The name is asked every Interval (5 s by default) with
// github.com/miekg/dns, from Resolver or else from the servers and search
// list of /etc/resolv.conf (so the short name of a headless service works
// inside its namespace). Both families are asked; Family restricts them,
// and then the other family is not asked at all.
//
// Each family stands on its own, because real servers answer one and fail
// the other: dnsmasq without upstream servers answers REFUSED for the AAAA
// query of a local name that has only A records. A family that answered
// replaces that family's last good answer; a family that failed keeps its
// own last good answer (none at start) while the other family's fresh
// answer is used, and the poll counts as partly failed: counted in
// Stats().Errors, every failed query counted by type and rcode in
// Stats().Failures ("AAAA REFUSED"), and the streak logged once, then at
// most once a minute.
//
// What libcluster taught: an answer is either complete or not used. A
// truncated UDP answer is asked again over TCP; if TCP fails too, that
// family's query fails. NXDOMAIN, SERVFAIL, REFUSED, timeouts and empty
// answers of every family keep the last good list, retried with capped,
// jittered backoff and logged once a minute at most (libcluster#190:
// discovery feeds seeds, it never evicts; only failure detection declares a
// member dead). Records that appear are joined at the next poll; records
// that vanish simply stop being seeds.
//
// As a one-line spec: "NAME[:PORT][?interval=5s&resolver=ip:port&timeout=2s&family=ipv4]".
// In YAML:
//
//	name: meshd-headless.default.svc.cluster.local
//	port: 7946
//	interval: 5s
//	resolver: ""      # "ip" or "ip:port"; empty: /etc/resolv.conf
//	timeout: 2s       # per query
//	family: any       # any, ipv4 or ipv6
package dns
