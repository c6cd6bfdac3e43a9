// Package lab holds meshd's end-to-end tests of LAN discovery by multicast
// heartbeats, with no seed list and no Join call:
//
//   - loopback_test.go: 20 members in one process on the loopback interface
//     (IP_MULTICAST_IF 127.0.0.1, TTL 0) sharing port 45892 find each other,
//     a member that stops is detected by SWIM, and members with another key
//     or cluster stay apart.
//   - netns_test.go: a lab of network namespaces (one bridge, six hosts,
//     10.77.0.0/24 and fd77::/64, all inside namespaces the test creates and
//     removes) running one labnode process per host: discovery by multicast
//     alone over IPv4 and IPv6, then the bridge is split in two halves and
//     joined again and the halves must merge with nobody left dead. It skips
//     where namespaces cannot be created (not root) and prints the figures:
//     time to converge in heartbeat intervals, time to merge, heartbeat
//     bytes per node per second.
//
// Run: go test ./multicast/lab/ -v (as root for the namespace lab).
// labnode is the small member program the namespace lab runs.
package lab
