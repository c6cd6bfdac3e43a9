// Package strategy is the home of meshd's discovery strategies: where a
// node finds seed addresses to join. Each lives in its own package with the
// same shape (a Config with YAML tags, ParseSpec for a one-line flag or
// environment value, New validating the fields) and implements
// mesh.Strategy and mesh.StrategyReporter:
//
//	static      a list of host[:port] and host:lo-hi port ranges; names re-resolved
//	hostsfile   a .hosts.erlang-style file, re-read when it changes
//	dns         A and AAAA records of a name (a Kubernetes headless service)
//	dnssrv      SRV records: target and port per seed
//	rancher     the Rancher metadata API's containers of this service
//	kubernetes  the Kubernetes API (EndpointSlices, Endpoints or Pods)
//	all         the registry: build any of them from YAML or a spec string
//	poll        the shared poll loop, for your own strategies too
//
// Multicast heartbeats (LAN discovery without any list) are configured in
// mesh.Config.Multicast, not here.
//
// Every strategy follows the same rules, each learned from an issue in
// libcluster's tracker:
//
//   - Discovery only feeds seeds. A member missing from a list is never
//     declared dead for it; only failure detection does that (libcluster#190,
//     where a truncated DNS answer disconnected half a cluster).
//   - A failed poll keeps the last good list: NXDOMAIN, SERVFAIL, timeouts,
//     truncated answers, HTTP errors, unreadable files and empty answers are
//     counted and retried with capped, jittered exponential backoff, and
//     logged once, then at most once a minute, then once on recovery.
//   - Every successful poll hands over the complete list again, and the mesh
//     joins whatever in it is not alive, so partitions heal on their own
//     (libcluster#148).
//   - The first poll runs on the strategy's goroutine: a dead DNS server does
//     not block start-up. Every strategy here has a Wait method for
//     programs that want seeds before going on, as libcluster#40 asked.
//   - IPv6 everywhere: "[2001:db8::1]:7946" in and out, AAAA with A.
//   - Several strategies can run at once (mesh.Config.Strategies is a
//     list); the mesh joins the union of their latest lists.
//
// Writing your own is one method (see the examples): Run calls found with
// the complete current list whenever it has one and returns when its
// context ends. Wrap a poll function in poll.New to get the rules above for
// free.
//
// docs/strategies.md in the repository has the user guide: every option,
// the spec syntax, and how to pick a strategy.
package strategy
