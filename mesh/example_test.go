package mesh_test

import (
	"context"
	"fmt"
	"log"
	"time"

	"github.com/meshd/meshd/mesh"
)

// exampleMember starts a member on a free loopback port (port 0), with the fast
// timings of DefaultLocalConfig.
func exampleMember(name string) *mesh.Mesh {
	cfg := mesh.DefaultLocalConfig()
	cfg.Name = name
	cfg.BindAddr = "127.0.0.1:0"
	m, err := mesh.New(cfg)
	if err != nil {
		log.Fatal(err)
	}
	return m
}

// exampleEvent returns the first event of type t about member name, or fails
// after a generous deadline (an example must end even when gossip fails).
func exampleEvent(events <-chan mesh.Event, t mesh.EventType, name string) mesh.Event {
	deadline := time.After(30 * time.Second)
	for {
		select {
		case ev := <-events:
			if ev.Type == t && ev.Member.Name == name {
				return ev
			}
		case <-deadline:
			log.Fatalf("no %s event about %s within 30s", t, name)
		}
	}
}

// Two members form a cluster: the first subscribes before the second
// joins it (events are not replayed to later subscribers), and the second
// joins the first one's gossip address, m.Addr().
func Example() {
	a := exampleMember("node-1")
	defer a.Close()
	events, cancel := a.Subscribe()
	defer cancel()

	b := exampleMember("node-2")
	defer b.Close()
	ctx, stop := context.WithTimeout(context.Background(), 30*time.Second)
	defer stop()
	n, err := b.Join(ctx, a.Addr().String())
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println("contacted", n)

	ev := exampleEvent(events, mesh.EventJoin, "node-2")
	fmt.Println(ev.Type, ev.Member.Name, ev.Member.State, ev.Member.Addr == b.Addr())
	// Output:
	// contacted 1
	// join node-2 alive true
}

// A graceful leave is not a failure: the others see EventLeave and
// StateLeft, where a crash (Close) gives EventFail and StateDead.
func ExampleMesh_Leave() {
	a := exampleMember("node-1")
	defer a.Close()
	b := exampleMember("node-2")
	defer b.Close()
	events, cancel := a.Subscribe()
	defer cancel()

	ctx, stop := context.WithTimeout(context.Background(), 30*time.Second)
	defer stop()
	if _, err := b.Join(ctx, a.Addr().String()); err != nil {
		log.Fatal(err)
	}
	exampleEvent(events, mesh.EventJoin, "node-2")
	if err := b.Leave(ctx); err != nil {
		log.Fatal(err)
	}
	ev := exampleEvent(events, mesh.EventLeave, "node-2")
	fmt.Println(ev.Type, ev.Member.Name, ev.Member.State)
	// Output:
	// leave node-2 left
}

// Members lists every member this node knows, itself included, each with
// its state; Local is this node's own entry.
func ExampleMesh_Members() {
	a := exampleMember("node-1")
	defer a.Close()
	b := exampleMember("node-2")
	defer b.Close()
	events, cancel := b.Subscribe()
	defer cancel()

	ctx, stop := context.WithTimeout(context.Background(), 30*time.Second)
	defer stop()
	if _, err := a.Join(ctx, b.Addr().String()); err != nil {
		log.Fatal(err)
	}
	exampleEvent(events, mesh.EventJoin, "node-1")
	for _, m := range b.Members() {
		fmt.Println(m.Name, m.State, m.Name == b.Local().Name)
	}
	// Unordered output:
	// node-1 alive false
	// node-2 alive true
}
