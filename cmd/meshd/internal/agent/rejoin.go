package agent

import (
	"context"
	"time"

	"github.com/meshd/meshd/cmd/meshd/internal/config"
	"github.com/meshd/meshd/cmd/meshd/internal/snapshot"
	"github.com/meshd/meshd/mesh"
)

// Rejoin attempts: 1s doubling to 30s, about ten minutes in all. By then
// either the cluster is back (and its members, which keep this one in their
// tables as dead, reconnect to it) or the snapshot is stale.
const (
	rejoinFirstWait = time.Second
	rejoinMaxWait   = 30 * time.Second
	rejoinAttempts  = 25
	rejoinTimeout   = 5 * time.Second // Join waits for every seed that answers until then
)

// snapshotSeeds reads the snapshot. Every problem is a warning: the agent
// then starts from its seeds and strategies alone.
func (a *Agent) snapshotSeeds(s *config.Settings) []string {
	snap, dropped, err := snapshot.Load(s.Snapshot)
	switch {
	case snapshot.IsNotExist(err):
		a.log.Info("no snapshot yet; it will be written as members are found", "path", s.Snapshot)
		return nil
	case err != nil:
		a.log.Warn("ignoring the snapshot", "err", err)
		return nil
	}
	if dropped > 0 {
		a.log.Warn("snapshot has bad entries; they are skipped", "path", s.Snapshot, "dropped", dropped)
	}
	if snap.Cluster != s.Cluster {
		a.log.Warn("ignoring the snapshot of another cluster", "path", s.Snapshot, "snapshot_cluster", snap.Cluster, "cluster", s.Cluster)
		return nil
	}
	seeds := snap.Seeds(s.Name)
	a.log.Info("rejoining from the snapshot", "path", s.Snapshot, "seeds", len(seeds), "saved_at", snap.SavedAt)
	return seeds
}

// rejoin joins the snapshot's members until one answers or another member
// is alive anyway (found by a strategy), with capped exponential backoff.
func (a *Agent) rejoin(ctx context.Context, seeds []string) {
	wait := rejoinFirstWait
	for attempt := 1; attempt <= rejoinAttempts; attempt++ {
		if othersAlive(a.mesh) {
			return
		}
		jctx, cancel := context.WithTimeout(ctx, rejoinTimeout)
		n, err := a.mesh.Join(jctx, seeds...)
		cancel()
		if n > 0 {
			a.log.Info("rejoined from the snapshot", "contacted", n, "of", len(seeds))
			return
		}
		if ctx.Err() != nil {
			return
		}
		a.log.Warn("no member of the snapshot answers yet", "seeds", len(seeds), "attempt", attempt, "err", err)
		select {
		case <-ctx.Done():
			return
		case <-time.After(wait):
		}
		wait = min(2*wait, rejoinMaxWait)
	}
	a.log.Warn("gave up rejoining from the snapshot", "seeds", len(seeds))
}

func othersAlive(m *mesh.Mesh) bool {
	self := m.Local().Name
	for _, mb := range m.Members() {
		if mb.Name != self && mb.State == mesh.StateAlive {
			return true
		}
	}
	return false
}
