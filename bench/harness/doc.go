// Package harness runs membership scenarios (join, detect, loss, steady,
// churn) against any gossip system that implements System, so every scenario
// is written once and measures meshd, hashicorp/memberlist and hashicorp/serf
// the same way: same loopback, same profile timings, same clocks.
//
// A scenario never reads a system's internals. It learns what each node
// believes from the events the node reports (join, leave, fail) and, for
// suspicion, which no system announces as an event, from polling each node's
// member view. The Tracker turns those reports into a per-observer view of
// every subject and answers the questions scenarios ask: has every live node
// seen every live node alive, when did the last survivor mark the victims
// failed, which live nodes were wrongly declared failed and for how long.
//
// The Runner drives the matrix nodes x runs x systems: for each cluster size
// and run it builds one cluster per system in turn (never two at once, so
// they do not compete for the CPU), measures the selected scenarios on it in
// a fixed order (join, steady, loss, churn, detect; detect is last because it
// kills nodes) and hands each measurement to the caller.
package harness
