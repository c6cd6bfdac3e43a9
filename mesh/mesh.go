// Package mesh is meshd's embeddable API: a gossip membership engine (SWIM
// failure detection with Lifeguard, delta dissemination, digest anti-entropy)
// with pluggable seed strategies. Create one with New, join seeds, and
// subscribe to membership events:
//
//	cfg := mesh.DefaultLocalConfig()
//	cfg.Name = "node-1"
//	cfg.BindAddr = "127.0.0.1:7946"
//	m, err := mesh.New(cfg)
//	if err != nil { log.Fatal(err) }
//	defer m.Close()
//	m.Join(ctx, "127.0.0.1:7947")
//	events, cancel := m.Subscribe()
//	defer cancel()
//	for ev := range events { fmt.Println(ev.Type, ev.Member.Name) }
package mesh
