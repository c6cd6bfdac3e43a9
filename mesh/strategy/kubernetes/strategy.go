package kubernetes

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"net/url"
	"os"
	"slices"
	"strconv"
	"strings"
	"sync/atomic"

	"github.com/meshd/meshd/mesh"
	"github.com/meshd/meshd/mesh/strategy/poll"
)

// Strategy discovers seeds through the Kubernetes API. Create it with New.
// Run is called once, from one goroutine; Name and Stats from any.
type Strategy struct {
	cfg    Config
	res    resource
	client *client
	poller *poll.Poller

	// state is the last successful list, owned by the goroutine in Run; the
	// watch continues from it.
	state *listing

	watchOff atomic.Bool // the server refused watches: poll from now on
}

// Compile-time checks of the contracts with package mesh.
var (
	_ mesh.Strategy         = (*Strategy)(nil)
	_ mesh.StrategyReporter = (*Strategy)(nil)
)

// New checks cfg and returns a Strategy. It reads no file and sends no
// request: the first list happens in Run, on the strategy's own goroutine, so
// a slow or unreachable API server never delays start-up.
func New(cfg Config) (*Strategy, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	cfg = cfg.withDefaults()
	server := cfg.APIServer
	if server == "" {
		var err error
		if server, err = inClusterServer(); err != nil {
			return nil, err
		}
	}
	base, err := parseServerURL(server)
	if err != nil {
		return nil, err
	}
	s := &Strategy{
		cfg:    cfg,
		res:    resourceFor(cfg.Mode),
		client: newClient(base, cfg.TokenFile, cfg.CAFile),
	}
	s.poller = poll.New(poll.Options{
		Name:     "kubernetes",
		Interval: cfg.PollInterval,
		// After a failure retries start at once and back off up to the
		// poll interval, never longer: the API server is usually back
		// within seconds, and a poll interval is what users agreed to wait.
		MaxBackoff: cfg.PollInterval,
		Timeout:    cfg.Timeout,
		Logger:     cfg.Logger,
	}, s.list)
	return s, nil
}

// Name returns "kubernetes".
func (s *Strategy) Name() string { return "kubernetes" }

// Stats reports lists, watch updates and failures for metrics.
func (s *Strategy) Stats() mesh.StrategyStats { return s.poller.Stats() }

// Run lists the seeds, calls found with every new complete list, and follows
// changes with a watch (or polls every PollInterval) until ctx ends. A failed
// list or watch, including a 401 or 403, keeps the last list: found is not
// called, and one line says what went wrong. Run returns nil when ctx ends.
func (s *Strategy) Run(ctx context.Context, found func([]string)) error {
	if found == nil {
		return errors.New("kubernetes: Run needs a found function")
	}
	defer s.client.close()
	if !*s.cfg.Watch {
		return s.poller.Run(ctx, found)
	}
	return s.runWatch(ctx, found)
}

// namespace is the configured namespace, or the pod's own, read from the
// namespace file.
func (s *Strategy) namespace() (string, error) {
	if s.cfg.Namespace != "" {
		return s.cfg.Namespace, nil
	}
	f, err := os.Open(s.cfg.NamespaceFile)
	if err != nil {
		if errors.Is(err, fs.ErrNotExist) {
			return "", fmt.Errorf("kubernetes: namespace not set and namespace_file %s does not exist (not in a pod? set namespace)", s.cfg.NamespaceFile)
		}
		return "", fmt.Errorf("kubernetes: namespace_file: %w", err)
	}
	defer f.Close()
	b, err := io.ReadAll(io.LimitReader(f, 254))
	if err != nil {
		return "", fmt.Errorf("kubernetes: namespace_file: %w", err)
	}
	ns := strings.TrimSpace(string(b))
	if !isDNSLabel(ns) {
		return "", fmt.Errorf("kubernetes: namespace_file %s holds %q, not a namespace name", s.cfg.NamespaceFile, truncate(ns, 64))
	}
	return ns, nil
}

// selectors returns the label and field selectors of the configured lookup.
func (s *Strategy) selectors() (label, field string) {
	label = s.cfg.Selector
	switch s.cfg.Mode {
	case ModeEndpointSlices:
		if s.cfg.Service != "" {
			svc := "kubernetes.io/service-name=" + s.cfg.Service
			if label == "" {
				label = svc
			} else {
				label = svc + "," + label
			}
		}
	case ModeEndpoints:
		field = "metadata.name=" + s.cfg.Service
	}
	return label, field
}

// listing is the result of a complete list: every matching object's seeds,
// the resource version to watch from, and the namespace it was made in.
type listing struct {
	ns      string
	x       extractor
	rv      string
	objects map[string]object
}

// seeds returns the sorted, de-duplicated seeds of every object and an error
// describing eligible endpoints that yielded no seed, if any.
func (l *listing) seeds(cfg Config) ([]string, error) {
	var out []string
	noPort, badAddr := 0, 0
	for _, o := range l.objects {
		out = append(out, o.seeds...)
		noPort += o.noPort
		badAddr += o.badAddr
	}
	slices.Sort(out)
	out = slices.Compact(out)
	var errs []error
	if noPort > 0 {
		errs = append(errs, fmt.Errorf("%d endpoints have no port named %q", noPort, cfg.Port))
	}
	if badAddr > 0 {
		what := "a usable IP address"
		if cfg.AddressType == AddressHostname {
			what = "a hostname (address_type hostname needs a StatefulSet with serviceName, or pods with spec.hostname)"
		}
		errs = append(errs, fmt.Errorf("%d endpoints lack %s", badAddr, what))
	}
	if len(errs) > 0 {
		return out, fmt.Errorf("kubernetes: skipped: %w", errors.Join(errs...))
	}
	return out, nil
}

// list is the poll function: one complete, paged list. It also keeps the
// result for the watch that follows.
func (s *Strategy) list(ctx context.Context) ([]string, error) {
	ns, err := s.namespace()
	if err != nil {
		return nil, err
	}
	label, field := s.selectors()
	l := &listing{ns: ns, x: newExtractor(s.cfg, ns), objects: map[string]object{}}
	cont := ""
	for {
		q := url.Values{"limit": {strconv.Itoa(listPageSize)}}
		if label != "" {
			q.Set("labelSelector", label)
		}
		if field != "" {
			q.Set("fieldSelector", field)
		}
		if cont != "" {
			q.Set("continue", cont)
		}
		resp, err := s.client.get(ctx, s.res.path(ns), q, "list", s.res, ns)
		if err != nil {
			return nil, err
		}
		p, err := l.x.parseList(resp.Body)
		resp.Body.Close()
		if err != nil {
			return nil, err
		}
		for _, o := range p.objects {
			l.objects[o.key] = o
		}
		if len(l.objects) > maxObjects {
			return nil, fmt.Errorf("kubernetes: more than %d %s match; narrow the selector", maxObjects, s.res)
		}
		l.rv = p.rv
		if p.cont == "" {
			break
		}
		if p.cont == cont {
			return nil, errors.New("kubernetes: the API server repeated a continue token")
		}
		cont = p.cont
	}
	s.state = l
	seeds, err := l.seeds(s.cfg)
	return seeds, poll.Partial(err)
}
