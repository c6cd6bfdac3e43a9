package rancher

import (
	"context"
	"fmt"
	"io"
	"net/http"

	"github.com/meshd/meshd/mesh"
	"github.com/meshd/meshd/mesh/strategy/poll"
)

// Strategy polls the Rancher metadata API. It implements mesh.Strategy and
// mesh.StrategyReporter; Run is called from one goroutine at a time, the
// other methods from any.
type Strategy struct {
	cfg       Config
	url       string
	transport *http.Transport
	client    *http.Client
	poller    *poll.Poller
}

var (
	_ mesh.Strategy         = (*Strategy)(nil)
	_ mesh.StrategyReporter = (*Strategy)(nil)
)

// New validates cfg and returns the strategy; errors name the bad field.
func New(cfg Config) (*Strategy, error) {
	cfg = cfg.withDefaults()
	u, err := cfg.endpoint()
	if err != nil {
		return nil, err
	}
	tr := http.DefaultTransport.(*http.Transport).Clone()
	tr.Proxy = nil // the metadata service is local; never send it through a proxy
	s := &Strategy{
		cfg:       cfg,
		url:       u,
		transport: tr,
		client: &http.Client{
			Transport: tr,
			Timeout:   cfg.Timeout,
			// The metadata service does not redirect; a redirect is a
			// misconfigured BaseURL and would hide it.
			CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
		},
	}
	s.poller = poll.New(poll.Options{Name: Kind, Interval: cfg.Interval, Timeout: cfg.Timeout, Logger: cfg.Logger}, s.poll)
	return s, nil
}

// Name returns "rancher".
func (s *Strategy) Name() string { return Kind }

// Run polls at once and every Interval until ctx ends; failures keep the
// last good list.
func (s *Strategy) Run(ctx context.Context, found func([]string)) error {
	// Idle keep-alive connections die with the strategy, not after
	// IdleConnTimeout.
	defer s.transport.CloseIdleConnections()
	return s.poller.Run(ctx, found)
}

// Stats returns the poll counters (mesh.StrategyReporter).
func (s *Strategy) Stats() mesh.StrategyStats { return s.poller.Stats() }

// Wait blocks until the first good list was handed over or ctx ends.
func (s *Strategy) Wait(ctx context.Context) error { return s.poller.Wait(ctx) }

func (s *Strategy) poll(ctx context.Context) ([]string, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, s.url, nil)
	if err != nil {
		return nil, err
	}
	req.Header.Set("Accept", "application/json")
	resp, err := s.client.Do(req)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, MaxBody+1))
	if err != nil {
		return nil, fmt.Errorf("GET %s: reading the body: %w", s.url, err)
	}
	if resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("GET %s: %s", s.url, resp.Status)
	}
	if len(body) > MaxBody {
		return nil, fmt.Errorf("GET %s: answer larger than %d bytes", s.url, MaxBody)
	}
	list, err := Parse(body, uint16(s.cfg.Port))
	if len(list) > 0 {
		return list, poll.Partial(err)
	}
	return list, err
}
