package snapshot

import (
	"context"
	"log/slog"
	"net/netip"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/meshd/meshd/mesh"
	"go.uber.org/goleak"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

func members() []mesh.Member {
	return []mesh.Member{
		{Name: "b", Addr: netip.MustParseAddrPort("127.0.0.3:7946"), State: mesh.StateDead, Incarnation: 4},
		{Name: "a", Addr: netip.MustParseAddrPort("127.0.0.2:7946"), State: mesh.StateAlive, Incarnation: 1},
		{Name: "c", Addr: netip.MustParseAddrPort("[::1]:7946"), State: mesh.StateLeft},
		{Name: "self", Addr: netip.MustParseAddrPort("127.0.0.9:7946"), State: mesh.StateAlive},
	}
}

func TestSaveLoadSeeds(t *testing.T) {
	p := filepath.Join(t.TempDir(), "snap.json")
	if err := Save(p, FromMembers("prod", "self", members(), time.Now())); err != nil {
		t.Fatal(err)
	}
	s, dropped, err := Load(p)
	if err != nil || dropped != 0 {
		t.Fatalf("Load: %v, dropped %d", err, dropped)
	}
	if s.Cluster != "prod" || s.Node != "self" || len(s.Members) != 4 || s.Members[0].Name != "a" {
		t.Fatalf("loaded %+v", s)
	}
	// Left members are not rejoined, nor is the agent itself.
	if got, want := s.Seeds("self"), []string{"127.0.0.2:7946", "127.0.0.3:7946"}; !slices.Equal(got, want) {
		t.Fatalf("Seeds = %v, want %v", got, want)
	}
}

func TestLoadBadFiles(t *testing.T) {
	dir := t.TempDir()
	if _, _, err := Load(filepath.Join(dir, "none")); !IsNotExist(err) {
		t.Fatalf("missing file: %v, want not-exist", err)
	}
	cases := map[string]string{
		"torn":    `{"version":1,"members":[{"name":"a"`,
		"version": `{"version":9,"members":[]}`,
		"shape":   `{"version":1,"members":{"a":1}}`,
		"empty":   ``,
	}
	for name, content := range cases {
		p := filepath.Join(dir, name)
		os.WriteFile(p, []byte(content), 0o600)
		if _, _, err := Load(p); err == nil || !strings.Contains(err.Error(), p) {
			t.Errorf("%s: Load = %v, want an error naming the file", name, err)
		}
	}
}

func TestDecodeDropsBadEntries(t *testing.T) {
	in := `{"version":1,"cluster":"c","members":[
		{"name":"ok","addr":"127.0.0.2:7946","state":"alive"},
		{"name":"","addr":"127.0.0.2:7946","state":"alive"},
		{"name":"x","addr":"nowhere","state":"alive"},
		{"name":"y","addr":"127.0.0.3:7946","state":"zombie"},
		{"name":7}]}`
	s, dropped, err := Decode([]byte(in))
	if err != nil {
		t.Fatal(err)
	}
	if dropped != 4 || len(s.Members) != 1 || s.Members[0].Name != "ok" {
		t.Fatalf("kept %+v, dropped %d; want 1 kept, 4 dropped", s.Members, dropped)
	}
}

func TestKeeperWritesOnChangeAndCoalesces(t *testing.T) {
	p := filepath.Join(t.TempDir(), "snap.json")
	var mu sync.Mutex
	calls := 0
	list := members()
	k := NewKeeper(p, "c", "self", func() []mesh.Member {
		mu.Lock()
		defer mu.Unlock()
		calls++
		return list
	}, slog.New(slog.DiscardHandler))
	k.Interval = 200 * time.Millisecond
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { k.Run(ctx); close(done) }()
	defer func() { cancel(); <-done }()

	for range 50 {
		k.Changed()
	}
	deadline := time.Now().Add(10 * time.Second)
	for {
		if s, _, err := Load(p); err == nil && len(s.Members) == 4 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("snapshot not written after Changed")
		}
		time.Sleep(20 * time.Millisecond)
	}
	mu.Lock()
	n := calls
	mu.Unlock()
	// 50 changes in a burst: the first write plus at most one for the rest.
	if n > 2 {
		t.Fatalf("%d writes for one burst, want at most 2", n)
	}
}
