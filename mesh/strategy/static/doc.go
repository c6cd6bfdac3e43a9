// Package static is the "static" discovery strategy: a fixed list of hosts,
// like libcluster's Epmd strategy or Erlang's inet_dist_listen_min/max.
//
// Each host is an IP address or a DNS name, with an optional port or port
// range; a host without port gets DefaultPort (7946):
//
//	10.0.0.5               10.0.0.5:7000            10.0.0.5:7946-7950
//	node1.example.com      [2001:db8::1]:7946       2001:db8::1
//
// Names are resolved again on every poll (every Interval, 30 s by default),
// so a list of names follows their DNS records. A name that fails to
// resolve keeps its last good addresses and the failure is counted and
// logged (rate-limited); the other hosts are not held back by it. A port
// range expands to one seed per port: the mesh tries each, and whichever
// answers is a member.
//
// As a one-line spec (flag, environment):
//
//	10.0.0.5,node1:7000,10.0.0.6:7946-7950?interval=30s&default_port=7946&resolver=10.0.0.2:53
//
// In YAML:
//
//	hosts: ["10.0.0.5", "node1:7000", "10.0.0.6:7946-7950"]
//	default_port: 7946
//	interval: 30s
//	resolver: ""        # DNS server for names; empty: the system's (honours /etc/hosts)
package static
