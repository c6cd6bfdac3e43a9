// Package multicast is the socket layer of meshd's LAN discovery: a UDP
// socket that joins a multicast group (IPv4 on golang.org/x/net/ipv4, IPv6 on
// golang.org/x/net/ipv6) on the interfaces it is given, sends datagrams to
// the group on each of them, and receives what the group carries. What the
// datagrams say is package heartbeat's business.
//
// It fixes what hurt users of Elixir libcluster's Gossip strategy:
//
//   - Any number of nodes on one host share the port (libcluster#94, #206:
//     eaddrinuse): the socket sets SO_REUSEADDR before binding (and
//     SO_REUSEPORT on the BSDs, which need it; on Linux it would misroute
//     group datagrams, see control in sockopt_linux.go). Unicast datagrams
//     to the port are dropped by Receive, which checks the destination.
//   - A bad interface is an error that names it and the group, returned by
//     Listen, never a crash (libcluster#189):
//     multicast: join 230.1.1.251 on interface "eth9": no such interface
//   - Nothing goes out on an interface the caller did not name: Interfaces
//     is required, there is no "all interfaces" default, each datagram is
//     sent once per named interface with IP_MULTICAST_IF set to it, and on
//     Linux IP_MULTICAST_ALL is turned off so the socket hears only the
//     groups and interfaces it joined itself. Datagrams that arrive on any
//     other interface are dropped and counted.
//
// # Choosing the interface on a real LAN
//
// Name the interface that faces the LAN the cluster lives on, by name
// (Interfaces: []string{"eth1"}) or by one of its addresses
// (Interfaces: []string{"10.20.0.5"}); `ip -br addr` lists both. Never name a
// public-facing interface: heartbeats would be multicast there (with TTL 1 they
// do not cross a router, but everyone on that segment hears them; set a key).
// In containers the LAN-facing interface is usually eth0 of the container's
// own network namespace. TTL 1 reaches the local segment and no further; TTL
// 0 keeps datagrams on this host, which is what tests and single-host demos
// want, together with the loopback interface ("lo" or "127.0.0.1"). Loopback
// must be true for nodes on the same host to hear each other.
//
// # Networks without multicast
//
// Some networks (many cloud VPCs, some Wi-Fi) drop multicast. Broadcast mode
// sends to the directed broadcast address of each named interface's IPv4
// subnet (for example 10.77.0.255) instead and never to 255.255.255.255,
// which would leave by whatever interface the default route names. Only the
// port of Group is used then. Broadcast mode is IPv4 only.
//
// # IPv6
//
// Give an IPv6 group, for example DefaultGroup6 ("[ff12::230:1:1:251]:45892",
// a transient link-local group), and the socket uses IPv6 with the hop limit
// as TTL. Linux does not carry IPv6 multicast over its loopback interface
// (which lacks the MULTICAST flag): without a multicast route the send fails
// with "network is unreachable", and with one the datagram never reaches a
// socket. Listen therefore rejects an IPv6 group on such an interface with an
// error saying so; use a real or veth interface.
//
// # Concurrency
//
// One goroutine may call Receive while others call Send; Close may be called
// from any goroutine and makes a blocked Receive return net.ErrClosed.
//
// It is a part of meshd's engine with no compatibility promise: its API may
// change in any release. Programs build on package mesh.
package multicast
