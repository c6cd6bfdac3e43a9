// Package poll is the loop shared by every discovery strategy that asks a
// source of seeds again and again (static names, a hosts file, DNS, the
// Rancher metadata API, the Kubernetes API).
//
// It carries the lessons of libcluster's issue tracker so that each strategy
// does not have to relearn them:
//
//   - The first poll runs at once and on the strategy's own goroutine, so a
//     slow or dead source never blocks start-up. A caller that wants to wait
//     for seeds, as libcluster#40 asked, says so with Poller.Wait.
//   - A failed poll keeps the last good list: found is not called, so nothing
//     is forgotten because DNS hiccuped (libcluster#190). Discovery only feeds
//     seeds; gossip alone decides who is dead.
//   - A successful poll calls found with the complete list every time, even
//     when it did not change, so the mesh re-joins whatever is not alive and
//     partitions heal (libcluster#148).
//   - Failures are retried with capped exponential backoff and jitter, and
//     logged once, then at most once a minute while they repeat (with the
//     number suppressed), then once on recovery: a dead DNS server costs a
//     log line a minute, not one per poll per node.
//   - Polls, errors, the last success and the seed count are kept for
//     metrics (mesh.StrategyReporter).
//
// A strategy is a Func plus a Poller:
//
//	p := poll.New(poll.Options{Name: "dns", Interval: 5 * time.Second}, lookup)
//	err := p.Run(ctx, found) // until ctx ends
//
// Strategies that are told about changes instead of asking (watches, push)
// report through Poller.Record and use FailureLog for their logging.
package poll
