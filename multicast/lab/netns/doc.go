// Package netns builds throwaway network labs out of Linux network
// namespaces for meshd's multicast tests: namespaces, veth pairs and bridges
// that exist only inside namespaces the lab created, so nothing is ever
// attached to the host's own interfaces. Every name starts with the lab's
// prefix ("mshlab-<pid>-"), and Close removes them all; RemoveStale clears
// what a killed test run left behind.
//
// It needs root and the ip(8) tool; Available says whether both are there.
// Not safe for concurrent use.
//
// Everything but this doc is Linux-only.
package netns
