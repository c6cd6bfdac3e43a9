package hostsfile

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"sync"

	"github.com/meshd/meshd/mesh"
	"github.com/meshd/meshd/mesh/strategy/internal/dnsclient"
	"github.com/meshd/meshd/mesh/strategy/internal/hostport"
	"github.com/meshd/meshd/mesh/strategy/poll"
)

// Strategy reads seeds from a hosts file. It implements mesh.Strategy and
// mesh.StrategyReporter; Run is called from one goroutine at a time, the
// other methods from any.
type Strategy struct {
	cfg    Config
	expand *hostport.Expander
	poller *poll.Poller

	mu       sync.Mutex // guards the parsed file, used by the poll goroutine
	content  []byte     // last content parsed
	entries  []hostport.Entry
	parseErr error
}

var (
	_ mesh.Strategy         = (*Strategy)(nil)
	_ mesh.StrategyReporter = (*Strategy)(nil)
)

// New validates cfg and returns the strategy; errors name the bad field.
func New(cfg Config) (*Strategy, error) {
	cfg = cfg.withDefaults()
	if err := cfg.validate(); err != nil {
		return nil, err
	}
	r, err := dnsclient.HostResolver(cfg.Resolver)
	if err != nil {
		return nil, err
	}
	s := &Strategy{cfg: cfg, expand: &hostport.Expander{Resolver: r}}
	s.poller = poll.New(poll.Options{Name: Kind, Interval: cfg.Interval, Logger: cfg.Logger}, s.poll)
	return s, nil
}

// Name returns "hostsfile".
func (s *Strategy) Name() string { return Kind }

// Run reads the file at once and again every Interval until ctx ends.
func (s *Strategy) Run(ctx context.Context, found func([]string)) error {
	return s.poller.Run(ctx, found)
}

// Stats returns the poll counters (mesh.StrategyReporter).
func (s *Strategy) Stats() mesh.StrategyStats { return s.poller.Stats() }

// Wait blocks until the first list was handed over or ctx ends.
func (s *Strategy) Wait(ctx context.Context) error { return s.poller.Wait(ctx) }

func (s *Strategy) poll(ctx context.Context) ([]string, error) {
	f, err := s.load()
	if err != nil {
		return nil, err
	}
	list, resolveErr := s.expand.Expand(ctx, f.entries)
	return list, poll.Partial(errors.Join(f.err, resolveErr))
}

// parsed is the file's entries and the error about its bad lines.
type parsed struct {
	entries []hostport.Entry
	err     error
}

// load reads the file and parses it again if its content changed.
func (s *Strategy) load() (parsed, error) {
	data, err := readBounded(s.cfg.Path)
	if err != nil {
		return parsed{}, err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.content == nil || !bytes.Equal(data, s.content) {
		entries, perr := Parse(data, uint16(s.cfg.DefaultPort))
		if perr != nil {
			perr = fmt.Errorf("%s: %w", s.cfg.Path, perr)
		}
		s.content, s.entries, s.parseErr = data, entries, perr
		s.expand.Forget(entries)
	}
	return parsed{s.entries, s.parseErr}, nil
}

// readBounded reads at most MaxFileSize bytes; a bigger file is an error,
// not a silently cut list.
func readBounded(path string) ([]byte, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	data, err := io.ReadAll(io.LimitReader(f, MaxFileSize+1))
	if err != nil {
		return nil, fmt.Errorf("read %s: %w", path, err)
	}
	if len(data) > MaxFileSize {
		return nil, fmt.Errorf("%s is larger than %d bytes", path, MaxFileSize)
	}
	if data == nil {
		data = []byte{}
	}
	return data, nil
}
