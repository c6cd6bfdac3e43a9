package mesh_test

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/meshd/meshd/mesh"
	"github.com/meshd/meshd/mesh/tuning"
)

// Metadata over MaxMetaSize is refused where it is set, by Validate (and
// so New) and by SetMeta, with an error naming Meta and both sizes.
func TestMetaOverTheLimitIsRefused(t *testing.T) {
	big := map[string]string{"big": strings.Repeat("x", 600)}
	cfg := localConfig("x")
	cfg.Meta = big
	err := cfg.Validate()
	var fe *mesh.FieldError
	if !errors.As(err, &fe) || fe.Field != "Meta" || !strings.Contains(err.Error(), "608 bytes") ||
		!strings.Contains(err.Error(), "MaxMetaSize (512 bytes") {
		t.Fatalf("Validate: %v, want a Meta error giving 608 and 512 bytes", err)
	}
	if m, err := mesh.New(cfg); err == nil {
		m.Close()
		t.Fatal("New accepted it")
	}
	m := newNode(t, "y", nil)
	if err := m.SetMeta(big); !errors.As(err, &fe) || fe.Field != "Meta" {
		t.Fatalf("SetMeta: %v, want a Meta error", err)
	}
	cfg.MaxMetaSize = tuning.MaxMetaSizeFor(cfg.MaxPacketSize) + 1
	if err := cfg.Validate(); !errors.As(err, &fe) || fe.Field != "MaxMetaSize" {
		t.Fatalf("MaxMetaSize above what a packet carries: %v", err)
	}
}

// A raised MaxMetaSize lets metadata bigger than 512 bytes reach every
// member, at join and when it changes.
func TestRaisedMaxMetaSizeCarriesBigMetadata(t *testing.T) {
	raise := func(c *mesh.Config) { c.MaxMetaSize = tuning.MaxMetaSizeFor(c.MaxPacketSize) }
	big := strings.Repeat("x", 1000)
	a := newNode(t, "a", raise)
	b := newNode(t, "b", func(c *mesh.Config) { raise(c); c.Meta = map[string]string{"big": big} })
	if err := tryJoin(b, a); err != nil {
		t.Fatal(err)
	}
	metaOf := func(m *mesh.Mesh, name string) string {
		for _, mem := range m.Members() {
			if mem.Name == name {
				return mem.Meta["big"]
			}
		}
		return ""
	}
	waitFor(t, 10*time.Second, "a sees b's 1000-byte value", func() bool { return metaOf(a, "b") == big }, a)
	if err := a.SetMeta(map[string]string{"big": big + "y"}); err != nil {
		t.Fatal(err)
	}
	waitFor(t, 10*time.Second, "b sees a's new value", func() bool { return metaOf(b, "a") == big+"y" }, b)
}

// The library checks a name as meshd's --name does.
func TestNameWithSpacesIsRefused(t *testing.T) {
	for _, name := range []string{"node 1", "node\t1", "node\x001", strings.Repeat("n", 129)} {
		cfg := localConfig(name)
		var fe *mesh.FieldError
		if err := cfg.Validate(); !errors.As(err, &fe) || fe.Field != "Name" {
			t.Errorf("%q: %v, want a Name error", name, err)
		}
	}
}

// A Config built without a preset gets the defaults its docs promise.
func TestZeroConfigGetsTheDocumentedDefaults(t *testing.T) {
	m, err := mesh.New(mesh.Config{Name: "bare", BindAddr: "127.0.0.1:0"})
	if err != nil {
		t.Fatal(err)
	}
	defer m.Close()
	peer := newNode(t, "peer", func(c *mesh.Config) { c.Cluster = mesh.DefaultCluster })
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if _, err := m.Join(ctx, peer.Addr().String()); err != nil {
		t.Fatalf("a bare Config did not join a member of cluster %q: %v", mesh.DefaultCluster, err)
	}
	if err := m.SetMeta(map[string]string{"k": "v"}); err != nil {
		t.Fatal(err)
	}
	// Validate judges a Config as New would run it: defaults filled in.
	if err := (&mesh.Config{}).Validate(); err != nil {
		t.Fatalf("Validate of the zero Config: %v", err)
	}
}
