package mesh_test

import (
	"context"
	"fmt"
	"log"
	"sort"
	"time"

	"github.com/meshd/meshd/mesh"
)

// A view of the cluster that misses nothing, whenever it starts: the
// snapshot and the channel come from one step of the engine, so applying
// the events to the snapshot keeps the view exact. Suspicion is visible as
// EventSuspect and EventAlive; Seq numbers the events.
func ExampleMesh_SubscribeWithMembers() {
	a := exampleMember("node-1")
	defer a.Close()
	b := exampleMember("node-2")
	defer b.Close()
	ctx, stop := context.WithTimeout(context.Background(), 30*time.Second)
	defer stop()
	if _, err := b.Join(ctx, a.Addr().String()); err != nil {
		log.Fatal(err)
	}

	members, events, cancel := a.SubscribeWithMembers()
	defer cancel()
	view := map[string]mesh.State{}
	for _, m := range members {
		view[m.Name] = m.State
	}
	if _, known := view["node-2"]; !known {
		// node-2 answered Join, but node-1 may not have applied it yet:
		// then its join is the channel's first event about it.
		ev := exampleEvent(events, mesh.EventJoin, "node-2")
		view[ev.Member.Name] = ev.Member.State
	}
	names := make([]string, 0, len(view))
	for name := range view {
		names = append(names, name)
	}
	sort.Strings(names)
	for _, name := range names {
		fmt.Println(name, view[name])
	}
	// Output:
	// node-1 alive
	// node-2 alive
}
