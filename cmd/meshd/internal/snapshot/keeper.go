package snapshot

import (
	"context"
	"log/slog"
	"time"

	"github.com/meshd/meshd/mesh"
)

// Keeper writes the snapshot when membership changes, at most once per
// Interval so that a burst of joins costs one write, and once more on Flush.
type Keeper struct {
	Path     string
	Cluster  string
	Node     string
	Interval time.Duration // minimum time between two writes; default 1s
	Members  func() []mesh.Member
	Logger   *slog.Logger

	dirty chan struct{}
}

// NewKeeper returns a Keeper for path; members is called at each write.
func NewKeeper(path, cluster, node string, members func() []mesh.Member, log *slog.Logger) *Keeper {
	return &Keeper{Path: path, Cluster: cluster, Node: node, Interval: time.Second, Members: members, Logger: log, dirty: make(chan struct{}, 1)}
}

// Changed marks the snapshot stale. It never blocks.
func (k *Keeper) Changed() {
	select {
	case k.dirty <- struct{}{}:
	default:
	}
}

// Run writes after each change until ctx ends. Write errors are logged (the
// logger rate-limits repeats) and retried at the next change.
func (k *Keeper) Run(ctx context.Context) {
	t := time.NewTimer(0)
	<-t.C
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-k.dirty:
		}
		if err := k.Flush(); err != nil {
			k.Logger.Warn("cannot write snapshot", "path", k.Path, "err", err)
		}
		t.Reset(k.Interval)
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}

// Flush writes the snapshot now.
func (k *Keeper) Flush() error {
	return Save(k.Path, FromMembers(k.Cluster, k.Node, k.Members(), time.Now()))
}
