// Package mesh is meshd's embeddable API: a gossip membership engine (SWIM
// failure detection with Lifeguard, delta dissemination, digest anti-entropy)
// with pluggable seed strategies. Create one with New, subscribe to
// membership events, then join a seed's gossip address (port 7946 by
// default; 7947 is meshd's HTTP API, not gossip):
//
//	cfg := mesh.DefaultLANConfig()
//	cfg.Name = "node-2"
//	cfg.BindAddr = "0.0.0.0:7946"
//	m, err := mesh.New(cfg)
//	if err != nil {
//		log.Fatal(err)
//	}
//	defer m.Close()
//	events, cancel := m.Subscribe() // before Join: events are not replayed
//	defer cancel()
//	if _, err := m.Join(ctx, "10.0.0.1:7946"); err != nil {
//		log.Fatal(err)
//	}
//	for ev := range events {
//		fmt.Println(ev.Type, ev.Member.Name, ev.Member.Addr)
//	}
//
// The package's examples run two members on loopback (BindAddr
// "127.0.0.1:0" picks a free port; Addr returns it) and are checked by go
// test.
package mesh
