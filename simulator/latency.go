package simulator

import "github.com/meshd/meshd/internal/vnet"

// Latency is a one-way delay model (the shared virtual network's).
type Latency = vnet.Latency

// latencyDist is the shape of a link's one-way delay.
type latencyDist = vnet.Dist

const (
	distFixed       = vnet.DistFixed
	distNormal      = vnet.DistNormal
	distLognormal   = vnet.DistLognormal
	distExponential = vnet.DistExponential
)

// distNames are the distributions' names in scenario files.
var distNames = map[string]latencyDist{
	"fixed": distFixed, "normal": distNormal, "lognormal": distLognormal, "exponential": distExponential,
}

// maxLatency is the longest delay a scenario may give (vnet caps draws at it).
const maxLatency = vnet.MaxLatency
