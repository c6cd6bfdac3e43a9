// Command labnode is the member program of meshd's namespace lab
// (multicast/lab): a mesh that discovers its peers by multicast heartbeats
// only, with no seed list and no Join call, and reports what it sees as JSON
// lines on stdout so the test can time convergence from the members' own
// clocks:
//
//	{"ev":"ready","t":1700000000000000000,"name":"h1","addr":"10.77.0.1:7946","hb_bytes":97}
//	{"ev":"view","t":...,"alive":["h1","h2"],"suspect":[],"dead":[],"left":[]}
//	{"ev":"stats","t":...,"elapsed_s":12.5,"hb_sent":13,"hb_recv":61,"hb_dropped":{"self":13}}
//
// A view line is printed whenever the member table changes (checked every
// -every); a stats line on SIGUSR1, and a last one when SIGTERM or SIGINT
// arrives, before it exits.
// hb_bytes is the UDP payload of this member's heartbeat.
package main

import (
	"encoding/hex"
	"encoding/json"
	"flag"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"net/netip"
	"os"
	"os/signal"
	"slices"
	"strings"
	"syscall"
	"time"

	"github.com/meshd/meshd/heartbeat"
	"github.com/meshd/meshd/mesh"
	"github.com/meshd/meshd/multicast"
)

func main() {
	if err := run(); err != nil {
		fmt.Fprintln(os.Stderr, "labnode:", err)
		os.Exit(1)
	}
}

func run() error {
	name := flag.String("name", "", "member name (required)")
	bind := flag.String("bind", "", "gossip host:port, also advertised (required)")
	cluster := flag.String("cluster", "lab", "cluster name")
	keyHex := flag.String("key", "", "32-byte AES key, hex; empty: heartbeats unsealed")
	ifaces := flag.String("if", "", "comma-separated interfaces for heartbeats (required)")
	group := flag.String("group", multicast.DefaultGroup, "multicast group and port")
	ttl := flag.Int("ttl", 1, "multicast TTL")
	interval := flag.Duration("interval", time.Second, "heartbeat interval")
	profile := flag.String("profile", "local", "timing profile: local or lan")
	every := flag.Duration("every", 50*time.Millisecond, "how often the table is checked for changes")
	flag.Parse()
	if *name == "" || *bind == "" || *ifaces == "" {
		return fmt.Errorf("-name, -bind and -if are required")
	}

	cfg := mesh.DefaultLocalConfig()
	if *profile == "lan" {
		cfg = mesh.DefaultLANConfig()
	} else if *profile != "local" {
		return fmt.Errorf("-profile %q: want local or lan", *profile)
	}
	cfg.Name, cfg.BindAddr, cfg.AdvertiseAddr, cfg.Cluster = *name, *bind, *bind, *cluster
	cfg.Logger = slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelWarn}))
	if *keyHex != "" {
		k, err := hex.DecodeString(*keyHex)
		if err != nil {
			return fmt.Errorf("-key: %v", err)
		}
		cfg.Keys = [][]byte{k}
	}
	cfg.Multicast = &mesh.MulticastConfig{Group: *group, Interfaces: strings.Split(*ifaces, ","),
		TTL: *ttl, Loopback: true, Interval: *interval}

	hbBytes, err := heartbeatSize(cfg)
	if err != nil {
		return err
	}
	m, err := mesh.New(cfg)
	if err != nil {
		return err
	}
	defer m.Close()
	start := time.Now()
	out := json.NewEncoder(os.Stdout)
	out.Encode(map[string]any{"ev": "ready", "t": start.UnixNano(), "name": *name, "addr": m.Addr().String(), "hb_bytes": hbBytes})

	sig := make(chan os.Signal, 1)
	signal.Notify(sig, syscall.SIGTERM, syscall.SIGINT, syscall.SIGUSR1)
	tick := time.NewTicker(*every)
	defer tick.Stop()
	var last string
	for {
		select {
		case s := <-sig:
			st := m.Stats()
			err := out.Encode(map[string]any{"ev": "stats", "t": time.Now().UnixNano(),
				"elapsed_s": time.Since(start).Seconds(), "hb_sent": st.Heartbeats.Sent,
				"hb_recv": st.Heartbeats.Received, "hb_dropped": st.Heartbeats.Dropped})
			if s != syscall.SIGUSR1 {
				return err
			}
		case now := <-tick.C:
			v := view(m)
			key := fmt.Sprint(v)
			if key == last {
				continue
			}
			last = key
			v["ev"], v["t"] = "view", now.UnixNano()
			out.Encode(v)
		}
	}
}

// view lists member names by state, sorted.
func view(m *mesh.Mesh) map[string]any {
	by := map[string][]string{"alive": {}, "suspect": {}, "dead": {}, "left": {}}
	for _, mem := range m.Members() {
		by[mem.State.String()] = append(by[mem.State.String()], mem.Name)
	}
	out := map[string]any{}
	for k, names := range by {
		slices.Sort(names)
		out[k] = names
	}
	return out
}

// heartbeatSize is the UDP payload of this member's heartbeat: the real
// encoding (and sealing) of its announce with a full-width digest.
func heartbeatSize(cfg mesh.Config) (int, error) {
	p, err := heartbeat.New(heartbeat.Config{Cluster: cfg.Cluster, Name: cfg.Name, Keys: cfg.Keys},
		rand.New(rand.NewPCG(1, 1)), nil)
	if err != nil {
		return 0, err
	}
	addr, err := netip.ParseAddrPort(cfg.AdvertiseAddr)
	if err != nil {
		return 0, fmt.Errorf("-bind: %v", err)
	}
	pkt := p.Tick(time.Now(), heartbeat.Announce{Addr: addr, Incarnation: 1, Digest: ^uint64(0) >> 1, Count: 6})
	if pkt == nil {
		return 0, fmt.Errorf("cannot encode a heartbeat for %v", addr)
	}
	return len(pkt), nil
}
