package keyfile

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func mustKey(t *testing.T) []byte {
	t.Helper()
	k, err := Generate()
	if err != nil {
		t.Fatal(err)
	}
	return k
}

func TestFormatParseRoundTrip(t *testing.T) {
	a, b := mustKey(t), mustKey(t)
	got, err := Parse(Format([][]byte{a, b}))
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 2 || !bytes.Equal(got[0], a) || !bytes.Equal(got[1], b) {
		t.Fatalf("round trip changed the ring: %x", got)
	}
}

func TestParseErrorsNameTheLine(t *testing.T) {
	k := Encode(make([]byte, 32))
	cases := map[string]string{
		"# c\n\nnot base64!\n":                     "line 3: not a base64 key",
		k + "\n" + Encode(make([]byte, 16)) + "\n": "line 2: 16 bytes, want 32",
		k + "\n  \n" + k + "\n":                    "line 3: the same key as line 1",
	}
	for in, want := range cases {
		_, err := Parse([]byte(in))
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("Parse(%q) = %v, want an error containing %q", in, err, want)
		}
	}
	var many strings.Builder
	for range MaxKeys + 1 {
		many.WriteString(Encode(mustKey(t)) + "\n")
	}
	if _, err := Parse([]byte(many.String())); err == nil || !strings.Contains(err.Error(), "more than") {
		t.Errorf("Parse of %d keys = %v, want a limit error", MaxKeys+1, err)
	}
}

func TestLoadErrorsNameTheFile(t *testing.T) {
	dir := t.TempDir()
	missing := filepath.Join(dir, "missing")
	if _, err := Load(missing); err == nil || !strings.Contains(err.Error(), missing) {
		t.Errorf("Load(missing) = %v, want the path named", err)
	}
	if _, err := Load(dir); err == nil || !strings.Contains(err.Error(), dir) {
		t.Errorf("Load(directory) = %v, want the path named", err)
	}
	empty := filepath.Join(dir, "empty")
	os.WriteFile(empty, []byte("# nothing\n"), 0o600)
	if _, err := Load(empty); err == nil || !strings.Contains(err.Error(), "no keys") {
		t.Errorf("Load(empty) = %v, want 'no keys'", err)
	}
	if keys, err := LoadOrEmpty(missing); err != nil || keys != nil {
		t.Errorf("LoadOrEmpty(missing) = %v, %v, want an empty ring", keys, err)
	}
	big := filepath.Join(dir, "big")
	os.WriteFile(big, bytes.Repeat([]byte("#"), maxFileSize+10), 0o600)
	if _, err := Load(big); err == nil {
		t.Error("Load accepted an oversized file")
	}
}

func TestRotation(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "keys")
	old, next := mustKey(t), mustKey(t)
	if err := Save(path, [][]byte{old}); err != nil {
		t.Fatal(err)
	}
	st, _ := os.Stat(path)
	if st.Mode().Perm() != 0o600 {
		t.Fatalf("key file mode %v, want 0600", st.Mode().Perm())
	}
	ring, _ := Load(path)

	ring, changed, err := Install(ring, next)
	if err != nil || !changed || len(ring) != 2 || !bytes.Equal(ring[0], old) {
		t.Fatalf("install: %v %v %d", err, changed, len(ring))
	}
	if _, changed, _ := Install(ring, next); changed {
		t.Fatal("installing an installed key changed the ring")
	}
	if _, _, err := Remove(ring, old); err == nil {
		t.Fatal("removed the primary key")
	}
	if _, _, err := Use(ring, mustKey(t)); err == nil {
		t.Fatal("used a key that is not installed")
	}
	ring, changed, err = Use(ring, next)
	if err != nil || !changed || !bytes.Equal(ring[0], next) || !bytes.Equal(ring[1], old) {
		t.Fatalf("use: %v %v", err, changed)
	}
	ring, changed, err = Remove(ring, old)
	if err != nil || !changed || len(ring) != 1 || !bytes.Equal(ring[0], next) {
		t.Fatalf("remove: %v %v %d", err, changed, len(ring))
	}
	if _, changed, err := Remove(ring, old); err != nil || changed {
		t.Fatalf("removing an absent key: %v %v, want a no-op", err, changed)
	}
	if err := Save(path, ring); err != nil {
		t.Fatal(err)
	}
	got, err := Load(path)
	if err != nil || len(got) != 1 || !bytes.Equal(got[0], next) {
		t.Fatalf("after rotation the file holds %x, %v", got, err)
	}
}

func TestInstallDoesNotAlias(t *testing.T) {
	a, b, c := mustKey(t), mustKey(t), mustKey(t)
	ring := make([][]byte, 1, 4)
	ring[0] = a
	r1, _, _ := Install(ring, b)
	r2, _, _ := Install(ring, c)
	if !bytes.Equal(r1[1], b) || !bytes.Equal(r2[1], c) {
		t.Fatal("Install shares the backing array between results")
	}
}
