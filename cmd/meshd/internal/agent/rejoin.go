package agent

import (
	"github.com/meshd/meshd/cmd/meshd/internal/config"
	"github.com/meshd/meshd/cmd/meshd/internal/snapshot"
)

// snapshotSeeds reads the snapshot for the members to rejoin
// (mesh.Config.Rejoin: the engine rejoins them with backoff until one
// answers or another member is alive). Every problem is a warning: the
// agent then starts from its seeds and strategies alone.
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
