package lab

import (
	"crypto/rand"
	"encoding/hex"
	"testing"
	"time"

	"go.uber.org/goleak"

	"github.com/meshd/meshd/mesh"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

// uniqueCluster keeps this test's heartbeats apart from any other program
// using the same group on this host: theirs are dropped as foreign-cluster.
func uniqueCluster() string {
	var b [6]byte
	rand.Read(b[:])
	return "mctest-" + hex.EncodeToString(b[:])
}

func newKey() []byte {
	k := make([]byte, 32)
	rand.Read(k)
	return k
}

// states counts m's members by state, names listed for messages.
func states(m *mesh.Mesh) map[mesh.State][]string {
	out := map[mesh.State][]string{}
	for _, mem := range m.Members() {
		out[mem.State] = append(out[mem.State], mem.Name)
	}
	return out
}

// waitFor polls cond every 20ms until it holds or timeout passes, and
// returns how long it took.
func waitFor(timeout time.Duration, cond func() bool) (time.Duration, bool) {
	start := time.Now()
	for {
		if cond() {
			return time.Since(start), true
		}
		if time.Since(start) > timeout {
			return time.Since(start), false
		}
		time.Sleep(20 * time.Millisecond)
	}
}
