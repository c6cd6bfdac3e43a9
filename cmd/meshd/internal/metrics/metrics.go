// Package metrics exposes the engine's counters to Prometheus. The
// Collector reads mesh.Stats when scraped, not on a timer, so a scrape always
// sees current values and an idle agent does no work for metrics.
//
// Metrics (all prefixed meshd_):
//
//	members{state}                          gauge   members by state, this agent included
//	probes_total, probes_failed_total       counter direct probes sent, probes without ack
//	indirect_probes_total                   counter ping-req sent to helpers
//	suspicions_total, refutations_total     counter suspicions started, refutations of our own suspicion
//	packets_total{direction}                counter datagrams in/out
//	bytes_total{direction}                  counter payload bytes in/out
//	packets_dropped_total{reason}           counter datagrams dropped, by reason (mesh.GossipDropReasons)
//	events_total{type}                      counter membership events: join, leave, fail, update, suspect, alive
//	heartbeats_total{direction}             counter multicast heartbeats sent/received
//	heartbeats_dropped_total{reason}        counter heartbeats dropped, by reason (mesh.HeartbeatDropReasons)
//	strategy_polls_total{strategy}          counter discovery polls
//	strategy_errors_total{strategy}         counter failed discovery polls
//	strategy_failures_total{strategy,cause} counter failures by cause, e.g. cause="AAAA REFUSED" (dns, dnssrv)
//	strategy_seeds{strategy}                gauge   seeds in the strategy's last good answer
//	strategy_last_success_timestamp_seconds{strategy} gauge
//	build_info{version,goversion}           gauge   always 1
//
// plus the Go runtime's and the process's standard metrics. A reason label
// is a mesh.DropReason's stable name ("bad-key", "foreign-cluster", ...);
// docs/meshd.md says what each means and what to do about it. Every state,
// event type and drop reason has its series from the first scrape, at 0 if
// nothing happened, so that a rate() or an alert never sees a missing series.
package metrics

import (
	"runtime"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"

	"github.com/meshd/meshd/mesh"
)

// Source is what the Collector reads; *mesh.Mesh implements it.
type Source interface {
	Stats() mesh.Stats
}

// Collector turns mesh.Stats into Prometheus metrics on each scrape.
type Collector struct {
	src Source

	members, probes, probesFailed, indirect, suspicions, refutations,
	packets, bytes, dropped, events, heartbeats, hbDropped,
	polls, pollErrors, failures, seeds, lastSuccess *prometheus.Desc
}

func desc(name, help string, labels ...string) *prometheus.Desc {
	return prometheus.NewDesc("meshd_"+name, help, labels, nil)
}

// NewCollector returns a Collector reading src.
func NewCollector(src Source) *Collector {
	return &Collector{
		src:          src,
		members:      desc("members", "Members known to this agent, by state, this agent included.", "state"),
		probes:       desc("probes_total", "Direct failure-detection probes sent."),
		probesFailed: desc("probes_failed_total", "Probes that got no ack, directly or indirectly."),
		indirect:     desc("indirect_probes_total", "Indirect probes (ping-req) sent to helpers."),
		suspicions:   desc("suspicions_total", "Members this agent started to suspect."),
		refutations:  desc("refutations_total", "Times this agent refuted a suspicion of itself."),
		packets:      desc("packets_total", "Gossip datagrams, by direction (in, out).", "direction"),
		bytes:        desc("bytes_total", "Gossip payload bytes, by direction (in, out).", "direction"),
		dropped:      desc("packets_dropped_total", "Gossip datagrams dropped, by reason.", "reason"),
		events:       desc("events_total", "Membership events, by type (join, leave, fail, update, suspect, alive).", "type"),
		heartbeats:   desc("heartbeats_total", "Multicast heartbeats, by direction (sent, received).", "direction"),
		hbDropped:    desc("heartbeats_dropped_total", "Multicast heartbeats dropped, by reason.", "reason"),
		polls:        desc("strategy_polls_total", "Discovery strategy polls.", "strategy"),
		pollErrors:   desc("strategy_errors_total", "Discovery strategy polls that failed.", "strategy"),
		failures:     desc("strategy_failures_total", "Discovery failures by cause (the dns strategies: query type and rcode).", "strategy", "cause"),
		seeds:        desc("strategy_seeds", "Seeds in the strategy's last good answer.", "strategy"),
		lastSuccess:  desc("strategy_last_success_timestamp_seconds", "Unix time of the strategy's last successful poll.", "strategy"),
	}
}

// Describe implements prometheus.Collector.
func (c *Collector) Describe(ch chan<- *prometheus.Desc) {
	for _, d := range []*prometheus.Desc{c.members, c.probes, c.probesFailed, c.indirect, c.suspicions, c.refutations,
		c.packets, c.bytes, c.dropped, c.events, c.heartbeats, c.hbDropped, c.polls, c.pollErrors, c.failures, c.seeds, c.lastSuccess} {
		ch <- d
	}
}

// Collect implements prometheus.Collector.
func (c *Collector) Collect(ch chan<- prometheus.Metric) {
	st := c.src.Stats()
	counter := func(d *prometheus.Desc, v uint64, labels ...string) {
		ch <- prometheus.MustNewConstMetric(d, prometheus.CounterValue, float64(v), labels...)
	}
	gauge := func(d *prometheus.Desc, v float64, labels ...string) {
		ch <- prometheus.MustNewConstMetric(d, prometheus.GaugeValue, v, labels...)
	}
	for _, s := range []mesh.State{mesh.StateAlive, mesh.StateSuspect, mesh.StateDead, mesh.StateLeft} {
		gauge(c.members, float64(st.Members[s]), s.String())
	}
	for _, t := range mesh.EventTypes() {
		counter(c.events, st.Events[t], t.String())
	}
	counter(c.probes, st.ProbesSent)
	counter(c.probesFailed, st.ProbesFailed)
	counter(c.indirect, st.IndirectProbes)
	counter(c.suspicions, st.Suspicions)
	counter(c.refutations, st.Refutations)
	counter(c.packets, st.PacketsIn, "in")
	counter(c.packets, st.PacketsOut, "out")
	counter(c.bytes, st.BytesIn, "in")
	counter(c.bytes, st.BytesOut, "out")
	for _, r := range mesh.GossipDropReasons() {
		counter(c.dropped, st.Dropped[r], r.String())
	}
	counter(c.heartbeats, st.Heartbeats.Sent, "sent")
	counter(c.heartbeats, st.Heartbeats.Received, "received")
	for _, r := range mesh.HeartbeatDropReasons() {
		counter(c.hbDropped, st.Heartbeats.Dropped[r], r.String())
	}
	for name, s := range st.Strategies {
		counter(c.polls, s.Polls, name)
		counter(c.pollErrors, s.Errors, name)
		for cause, n := range s.Failures {
			counter(c.failures, n, name, cause)
		}
		gauge(c.seeds, float64(s.Seeds), name)
		if !s.LastSuccess.IsZero() {
			gauge(c.lastSuccess, float64(s.LastSuccess.UnixNano())/1e9, name)
		}
	}
}

// NewRegistry returns a registry with the Collector for src, the Go runtime
// and process collectors, and meshd_build_info.
func NewRegistry(src Source, version string) *prometheus.Registry {
	r := prometheus.NewRegistry()
	r.MustRegister(
		NewCollector(src),
		collectors.NewGoCollector(),
		collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}),
		prometheus.NewGaugeFunc(prometheus.GaugeOpts{
			Name:        "meshd_build_info",
			Help:        "Always 1; the labels say which meshd runs.",
			ConstLabels: prometheus.Labels{"version": version, "goversion": runtime.Version()},
		}, func() float64 { return 1 }),
	)
	return r
}
