// Package snapshot persists the members an agent knows, so that an agent
// restarted without seeds (a reboot, a rescheduled pod with the same volume)
// finds its cluster again, as serf's snapshot does. The file is JSON, written
// atomically (temporary file, fsync, rename); a missing, torn or foreign
// snapshot is reported to the caller, who treats it as a warning: the agent
// then starts from its seeds alone.
package snapshot

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/netip"
	"os"
	"slices"
	"strings"
	"time"

	"github.com/meshd/meshd/cmd/meshd/internal/atomicfile"
	"github.com/meshd/meshd/mesh"
)

// Version is the format version written; others are refused.
const Version = 1

// Limits on what Load accepts, so a corrupt or hostile file cannot make the
// agent allocate without bound.
const (
	MaxMembers  = 1 << 16
	maxFileSize = 32 << 20
	maxName     = 128
)

// Member is one known member, as much as is needed to find it again.
type Member struct {
	Name        string `json:"name"`
	Addr        string `json:"addr"`
	State       string `json:"state"`
	Incarnation uint64 `json:"incarnation"`
}

// Snapshot is the file's content.
type Snapshot struct {
	Version int       `json:"version"`
	Cluster string    `json:"cluster"`
	Node    string    `json:"node"` // the agent that wrote it
	SavedAt time.Time `json:"saved_at"`
	Members []Member  `json:"members"`
}

// FromMembers builds the snapshot of a member list.
func FromMembers(cluster, node string, ms []mesh.Member, now time.Time) *Snapshot {
	s := &Snapshot{Version: Version, Cluster: cluster, Node: node, SavedAt: now.UTC()}
	for _, m := range ms {
		s.Members = append(s.Members, Member{Name: m.Name, Addr: m.Addr.String(), State: m.State.String(), Incarnation: m.Incarnation})
	}
	slices.SortFunc(s.Members, func(a, b Member) int { return strings.Compare(a.Name, b.Name) })
	return s
}

// Encode renders s as indented JSON.
func Encode(s *Snapshot) []byte {
	b, err := json.MarshalIndent(s, "", "  ")
	if err != nil { // only plain strings and numbers: cannot happen
		panic(err)
	}
	return append(b, '\n')
}

// Decode parses a snapshot. Entries with a bad name, address or state are
// dropped and counted in dropped; a file that is not a snapshot of this
// version is an error.
func Decode(data []byte) (s *Snapshot, dropped int, err error) {
	if len(data) > maxFileSize {
		return nil, 0, fmt.Errorf("%d bytes, at most %d", len(data), maxFileSize)
	}
	var raw struct {
		Version int             `json:"version"`
		Cluster string          `json:"cluster"`
		Node    string          `json:"node"`
		SavedAt time.Time       `json:"saved_at"`
		Members json.RawMessage `json:"members"`
	}
	if err := json.Unmarshal(data, &raw); err != nil {
		return nil, 0, fmt.Errorf("not a snapshot: %v", err)
	}
	if raw.Version != Version {
		return nil, 0, fmt.Errorf("format version %d, want %d", raw.Version, Version)
	}
	// Members are decoded one by one so that one bad entry costs that
	// entry, not the whole file.
	var items []json.RawMessage
	if len(raw.Members) > 0 && string(raw.Members) != "null" {
		if err := json.Unmarshal(raw.Members, &items); err != nil {
			return nil, 0, fmt.Errorf("members: %v", err)
		}
	}
	if len(items) > MaxMembers {
		return nil, 0, fmt.Errorf("%d members, at most %d", len(items), MaxMembers)
	}
	s = &Snapshot{Version: raw.Version, Cluster: raw.Cluster, Node: raw.Node, SavedAt: raw.SavedAt}
	for _, it := range items {
		var m Member
		if json.Unmarshal(it, &m) != nil || !valid(m) {
			dropped++
			continue
		}
		s.Members = append(s.Members, m)
	}
	return s, dropped, nil
}

func valid(m Member) bool {
	if m.Name == "" || len(m.Name) > maxName {
		return false
	}
	if _, err := netip.ParseAddrPort(m.Addr); err != nil {
		return false
	}
	switch m.State {
	case "alive", "suspect", "dead", "left":
		return true
	}
	return false
}

// Save writes s to path atomically.
func Save(path string, s *Snapshot) error {
	return atomicfile.Write(path, Encode(s), 0o600)
}

// ErrNotExist is returned (wrapped) by Load when there is no snapshot yet.
var ErrNotExist = os.ErrNotExist

// Load reads the snapshot at path.
func Load(path string) (*Snapshot, int, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, 0, fmt.Errorf("snapshot: %w", err)
	}
	defer f.Close()
	data, err := io.ReadAll(io.LimitReader(f, maxFileSize+1))
	if err != nil {
		return nil, 0, fmt.Errorf("snapshot %s: %w", path, err)
	}
	s, dropped, err := Decode(data)
	if err != nil {
		return nil, 0, fmt.Errorf("snapshot %s: %w", path, err)
	}
	return s, dropped, nil
}

// IsNotExist reports whether err says there is no snapshot file yet.
func IsNotExist(err error) bool { return errors.Is(err, os.ErrNotExist) }

// Seeds returns the addresses worth contacting on restart: every member but
// self and those that left on purpose, without duplicates.
func (s *Snapshot) Seeds(self string) []string {
	var out []string
	seen := make(map[string]bool, len(s.Members))
	for _, m := range s.Members {
		if m.Name == self || m.State == "left" || seen[m.Addr] {
			continue
		}
		seen[m.Addr] = true
		out = append(out, m.Addr)
	}
	return out
}
