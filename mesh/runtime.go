package mesh

import (
	"context"
	"errors"
	"net/netip"
)

// Mesh is a running member of a cluster. Its methods are safe for concurrent use.
type Mesh struct{}

var errTODO = errors.New("mesh: not implemented yet")

// New validates cfg, binds the sockets and starts the engine.
func New(cfg Config) (*Mesh, error) {
	cfg = cfg.withDefaults()
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	return nil, errTODO
}

// Addr is the address other members reach this one at.
func (m *Mesh) Addr() netip.AddrPort { return netip.AddrPort{} }

// Join contacts each address (host:port; names are resolved) and returns how
// many answered before ctx ended. It returns an error only if none did.
func (m *Mesh) Join(ctx context.Context, addrs ...string) (int, error) { return 0, errTODO }

// Members returns every known member, this one included, dead and left
// tombstones included until they are reaped.
func (m *Mesh) Members() []Member { return nil }

// Local returns this member.
func (m *Mesh) Local() Member { return Member{} }

// SetMeta replaces this member's metadata and gossips it.
func (m *Mesh) SetMeta(meta map[string]string) error { return errTODO }

// SetKeys replaces the keyring (first key encrypts, all decrypt) without a restart.
func (m *Mesh) SetKeys(keys [][]byte) error { return errTODO }

// SetStrategies stops the running strategies and starts these instead.
func (m *Mesh) SetStrategies(s []Strategy) error { return errTODO }

// Subscribe returns a channel of membership events and a function that ends
// the subscription and closes the channel. A slow reader never blocks the
// mesh: when it falls behind, it gets the latest event of each member instead
// of every intermediate one, so the final state of a member is never lost.
func (m *Mesh) Subscribe() (<-chan Event, func()) {
	ch := make(chan Event)
	return ch, func() {}
}

// Stats returns the engine's counters.
func (m *Mesh) Stats() Stats { return Stats{} }

// Leave announces a graceful leave, gossips it for LeavePropagateDelay (or
// until ctx ends) and stops the mesh. Others see StateLeft and EventLeave.
func (m *Mesh) Leave(ctx context.Context) error { return errTODO }

// Close stops the mesh abruptly without a leave message, as a crash would.
func (m *Mesh) Close() error { return nil }
