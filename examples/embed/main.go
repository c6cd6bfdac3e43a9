// Command embed is the README's embedding example: three members in one
// process join, one crashes, the others see it fail.
package main

import (
	"context"
	"fmt"
	"log"
	"time"

	"github.com/meshd/meshd/mesh"
)

func main() {
	var nodes []*mesh.Mesh
	for _, name := range []string{"a", "b", "c"} {
		cfg := mesh.DefaultLocalConfig()
		cfg.Name = name
		cfg.BindAddr = "127.0.0.1:0" // port 0: pick a free port
		m, err := mesh.New(cfg)
		if err != nil {
			log.Fatal(err)
		}
		defer m.Close()
		nodes = append(nodes, m)
	}
	events, cancel := nodes[0].Subscribe()
	defer cancel()

	ctx, stop := context.WithTimeout(context.Background(), 5*time.Second)
	defer stop()
	for _, m := range nodes[1:] {
		if _, err := m.Join(ctx, nodes[0].Addr().String()); err != nil {
			log.Fatal(err)
		}
	}
	for i := 0; i < 2; i++ {
		ev := <-events
		fmt.Println(ev.Type, ev.Member.Name, ev.Member.Addr)
	}
	nodes[2].Close() // a crash: the others see EventFail within a few seconds
	for ev := range events {
		if ev.Type == mesh.EventFail {
			fmt.Println("failed:", ev.Member.Name)
			return
		}
	}
}
