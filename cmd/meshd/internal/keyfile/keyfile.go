// Package keyfile reads, writes and edits meshd's key file: the AES-256-GCM
// keyring that encrypts gossip. The format is plain text so that it can be
// made with a shell, diffed and reviewed:
//
//	# comments and blank lines are ignored
//	<base64 of 32 random bytes>   <- primary: encrypts; every key decrypts
//	<base64 of 32 random bytes>
//
// A zero-downtime rotation is three edits, each applied to every agent
// before the next starts: install the new key (everyone can decrypt it), use
// it (everyone encrypts with it), remove the old one.
package keyfile

import (
	"bufio"
	"bytes"
	"crypto/rand"
	"crypto/subtle"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"os"

	"github.com/meshd/meshd/cmd/meshd/internal/atomicfile"
	"github.com/meshd/meshd/internal/wire"
)

// KeySize is the size of an AES-256 key in bytes.
const KeySize = wire.KeySize

// MaxKeys bounds the keyring: a rotation needs two keys, a few more cover
// overlapping rotations. More is a mistake, and every key costs a trial
// decryption of every packet that the primary does not open.
const MaxKeys = 16

// maxFileSize bounds what is read from a key file (MaxKeys lines of base64
// plus generous room for comments).
const maxFileSize = 64 << 10

// Parse reads a key file's content. Errors name the line.
func Parse(data []byte) ([][]byte, error) {
	if len(data) > maxFileSize {
		return nil, fmt.Errorf("%d bytes, at most %d", len(data), maxFileSize)
	}
	var keys [][]byte
	seen := map[string]int{}
	sc := bufio.NewScanner(bytes.NewReader(data))
	sc.Buffer(make([]byte, 0, 4096), maxFileSize)
	for n := 1; sc.Scan(); n++ {
		line := bytes.TrimSpace(sc.Bytes())
		if len(line) == 0 || line[0] == '#' {
			continue
		}
		k, err := Decode(string(line))
		if err != nil {
			return nil, fmt.Errorf("line %d: %v", n, err)
		}
		if prev, dup := seen[string(k)]; dup {
			return nil, fmt.Errorf("line %d: the same key as line %d", n, prev)
		}
		seen[string(k)] = n
		if len(keys) == MaxKeys {
			return nil, fmt.Errorf("line %d: more than %d keys", n, MaxKeys)
		}
		keys = append(keys, k)
	}
	if err := sc.Err(); err != nil {
		return nil, err
	}
	return keys, nil
}

// Format renders keys in the key file format, primary first.
func Format(keys [][]byte) []byte {
	var b bytes.Buffer
	b.WriteString("# meshd keyring: one base64 AES-256 key per line; the first encrypts, all decrypt.\n")
	b.WriteString("# Edit with 'meshd keys install|use|remove'; see 'meshd keys --help'.\n")
	for _, k := range keys {
		b.WriteString(Encode(k))
		b.WriteByte('\n')
	}
	return b.Bytes()
}

// Load reads and parses the key file at path. A file without keys is an
// error: an agent told to encrypt must not silently run in clear text.
func Load(path string) ([][]byte, error) {
	keys, err := read(path)
	if err != nil {
		return nil, err
	}
	if len(keys) == 0 {
		return nil, fmt.Errorf("key file %s: no keys (create one with 'meshd keys install --key-file %s')", path, path)
	}
	return keys, nil
}

// LoadOrEmpty is Load for editing: a missing file is an empty keyring.
func LoadOrEmpty(path string) ([][]byte, error) {
	keys, err := read(path)
	if errors.Is(err, os.ErrNotExist) {
		return nil, nil
	}
	return keys, err
}

func read(path string) ([][]byte, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("key file: %w", err)
	}
	defer f.Close()
	data, err := io.ReadAll(io.LimitReader(f, maxFileSize+1))
	if err != nil {
		return nil, fmt.Errorf("key file %s: %w", path, err)
	}
	keys, err := Parse(data)
	if err != nil {
		return nil, fmt.Errorf("key file %s: %w", path, err)
	}
	return keys, nil
}

// Save writes keys to path atomically; a new file is readable by its owner only.
func Save(path string, keys [][]byte) error {
	return atomicfile.Write(path, Format(keys), 0o600)
}

// Generate returns a new random key.
func Generate() ([]byte, error) {
	k := make([]byte, KeySize)
	if _, err := rand.Read(k); err != nil {
		return nil, fmt.Errorf("generate key: %w", err)
	}
	return k, nil
}

// Encode is a key's text form (standard base64).
func Encode(k []byte) string { return base64.StdEncoding.EncodeToString(k) }

// Decode parses a key's text form and checks its size.
func Decode(s string) ([]byte, error) {
	if len(s) > 2*base64.StdEncoding.EncodedLen(KeySize) {
		return nil, fmt.Errorf("%d characters, a key is %d", len(s), base64.StdEncoding.EncodedLen(KeySize))
	}
	k, err := base64.StdEncoding.DecodeString(s)
	if err != nil {
		return nil, errors.New("not a base64 key")
	}
	if len(k) != KeySize {
		return nil, fmt.Errorf("%d bytes, want %d (AES-256)", len(k), KeySize)
	}
	return k, nil
}

func index(keys [][]byte, k []byte) int {
	for i, x := range keys {
		if subtle.ConstantTimeCompare(x, k) == 1 {
			return i
		}
	}
	return -1
}

// Install adds k at the end of the ring (it decrypts but does not encrypt
// yet). Installing a key that is there already changes nothing.
func Install(keys [][]byte, k []byte) ([][]byte, bool, error) {
	if index(keys, k) >= 0 {
		return keys, false, nil
	}
	if len(keys) >= MaxKeys {
		return nil, false, fmt.Errorf("the keyring has %d keys already; remove one first", len(keys))
	}
	return append(keys[:len(keys):len(keys)], k), true, nil
}

// Use makes an installed key the primary.
func Use(keys [][]byte, k []byte) ([][]byte, bool, error) {
	i := index(keys, k)
	if i < 0 {
		return nil, false, errors.New("key is not installed; install it on every agent first")
	}
	if i == 0 {
		return keys, false, nil
	}
	out := make([][]byte, 0, len(keys))
	out = append(out, keys[i])
	out = append(out, keys[:i]...)
	return append(out, keys[i+1:]...), true, nil
}

// Remove takes a key out of the ring. The primary cannot be removed: make
// another key primary first, so that the cluster never loses its key.
func Remove(keys [][]byte, k []byte) ([][]byte, bool, error) {
	i := index(keys, k)
	if i < 0 {
		return keys, false, nil
	}
	if i == 0 {
		return nil, false, errors.New("the key is the primary; 'meshd keys use' another key first")
	}
	out := make([][]byte, 0, len(keys)-1)
	out = append(out, keys[:i]...)
	return append(out, keys[i+1:]...), true, nil
}
