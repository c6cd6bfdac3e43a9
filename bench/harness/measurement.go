package harness

import "time"

// Scenario names, in the order a run measures them on one cluster.
const (
	ScenarioJoin   = "join"
	ScenarioSteady = "steady"
	ScenarioLoss   = "loss"
	ScenarioChurn  = "churn"
	ScenarioDetect = "detect"
)

// ScenarioOrder is the order scenarios run in on one cluster: detect kills
// nodes, so it comes last; churn replaces nodes but keeps the size.
var ScenarioOrder = []string{ScenarioJoin, ScenarioSteady, ScenarioLoss, ScenarioChurn, ScenarioDetect}

// Metric names. Every measurement sets MetricSeconds and MetricBytes;
// the rest depend on the scenario.
const (
	// MetricSeconds is the scenario's headline time: join convergence,
	// detection by every survivor, the longest false-positive episode (loss),
	// the median convergence lag (churn), the window length (steady).
	MetricSeconds = "seconds"
	// MetricBytes is payload bytes sent per node per second over the
	// scenario's window.
	MetricBytes = "bytes_per_node_per_s"
	// MetricFalsePositives is the number of false-failure episodes: live
	// nodes declared failed, one per node and stretch of time however many
	// observers believed it.
	MetricFalsePositives = "false_positives"

	MetricJoinAfterLast  = "join_after_last_s" // convergence after the last Join returned
	MetricJoin99         = "join_99_s"         // until 99% of node pairs see each other alive
	MetricFirstSuspect   = "first_suspect_s"   // first suspicion or failure of a victim
	MetricFirstFail      = "first_fail_s"      // first failure declaration of a victim
	MetricFPDeclarations = "fp_declarations"   // (observer, subject) false declarations
	MetricFPObserverSecs = "fp_observer_s"     // observer-seconds spent wrong
	MetricFPUnrecovered  = "fp_unrecovered"    // false declarations never retracted
	MetricSuspicions     = "suspicions"        // loss: distinct (observer, member) suspicions
	MetricRecover        = "recover_s"         // loss end until convergence
	MetricLagP90         = "lag_p90_s"         // churn: 90th percentile lag
	MetricLagMax         = "lag_max_s"         // churn: largest lag
	MetricChanges        = "changes"           // churn: joins plus leaves
	MetricUnconverged    = "unconverged"       // churn: changes never converged
	MetricSettle         = "settle_s"          // churn: end until convergence
	MetricBytesPacket    = "bytes_packet_per_node_per_s"
	MetricBytesStream    = "bytes_stream_per_node_per_s"
)

// Measurement is one scenario measured once on one system at one size.
type Measurement struct {
	System   string `json:"system"`
	Scenario string `json:"scenario"`
	Nodes    int    `json:"nodes"`
	Run      int    `json:"run"`
	// OK is false when the scenario could not complete (a join that never
	// converged, a cluster not converged before the scenario): Metrics then
	// hold what was measured up to the deadline, and Error says why.
	OK      bool               `json:"ok"`
	Error   string             `json:"error,omitempty"`
	Metrics map[string]float64 `json:"metrics"`
	// Series is the join convergence curve: seconds since the first Join,
	// fraction of node pairs that believe each other alive.
	Series []Point `json:"series,omitempty"`
	// Timeline is the steady window: seconds since its start, bytes per
	// node per second over the preceding second.
	Timeline []Point   `json:"timeline,omitempty"`
	Started  time.Time `json:"started"`
}
