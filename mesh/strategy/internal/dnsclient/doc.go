// Package dnsclient is the DNS client of the dns, dnssrv and static
// strategies, built on github.com/miekg/dns rather than the Go resolver so
// that it can
//
//   - query an explicit server (tests, in-cluster resolvers) or the servers
//     and search list of /etc/resolv.conf;
//   - see the TC bit and retry over TCP, and never mistake a truncated UDP
//     answer for the whole list (libcluster#190);
//   - tell NXDOMAIN (the name does not exist) from SERVFAIL, REFUSED and
//     timeouts (the server could not say), which callers treat alike as
//     "keep the last good list" but log and count (Failures) differently;
//   - answer per address family (LookupFamilies), so that a server that
//     refuses AAAA but answers A costs the AAAA records only.
//
// The functions that read answers (Addrs, SRVs) take parsed messages and
// bound what they keep; they are fuzzed.
package dnsclient
