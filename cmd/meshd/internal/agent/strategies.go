package agent

import (
	"log/slog"
	"strings"

	"github.com/meshd/meshd/cmd/meshd/internal/config"
	"github.com/meshd/meshd/mesh"
	"github.com/meshd/meshd/mesh/strategy/all"
	"github.com/meshd/meshd/mesh/strategy/dns"
	"github.com/meshd/meshd/mesh/strategy/dnssrv"
	"github.com/meshd/meshd/mesh/strategy/static"
)

// BuildStrategies turns the settings' seeds into strategies: --join is a
// static strategy (joined at start and re-joined whenever not alive), --dns
// a dns strategy, then every --strategy / file 'strategies' entry. The
// --dns-server resolver applies to every one-line strategy that resolves
// names and names none itself. Errors are *config.Error naming the source.
func BuildStrategies(s *config.Settings, log *slog.Logger) ([]mesh.Strategy, error) {
	var out []mesh.Strategy
	if len(s.Join) > 0 {
		st, err := oneLine(s, "static", strings.Join(s.Join, ","), log)
		if err != nil {
			return nil, &config.Error{Origin: s.Origin("join"), Msg: err.Error()}
		}
		// Named apart from static strategies in logs and metrics.
		out = append(out, named{st, "join"})
	}
	if s.DNS != "" {
		st, err := oneLine(s, "dns", s.DNS, log)
		if err != nil {
			return nil, &config.Error{Origin: s.Origin("dns"), Msg: err.Error()}
		}
		out = append(out, st)
	}
	for _, sp := range s.Strategies {
		var st mesh.Strategy
		var err error
		if sp.Node != nil {
			st, err = all.FromYAML(sp.Kind, sp.Node, all.WithLogger(log))
		} else {
			st, err = oneLine(s, sp.Kind, sp.Value, log)
		}
		if err != nil {
			return nil, &config.Error{Origin: sp.Origin, Msg: err.Error()}
		}
		out = append(out, st)
	}
	return out, nil
}

// oneLine builds a strategy from its one-line spec, adding --dns-server to
// the kinds that resolve names when the spec names no resolver.
func oneLine(s *config.Settings, kind, spec string, log *slog.Logger) (mesh.Strategy, error) {
	switch strings.ToLower(kind) {
	case "static":
		c, err := static.ParseSpec(spec)
		if err != nil {
			return nil, err
		}
		c.Resolver, c.Logger = orDefault(c.Resolver, s.DNSServer), log
		return static.New(c)
	case "dns":
		c, err := dns.ParseSpec(spec)
		if err != nil {
			return nil, err
		}
		c.Resolver, c.Logger = orDefault(c.Resolver, s.DNSServer), log
		return dns.New(c)
	case "dnssrv":
		c, err := dnssrv.ParseSpec(spec)
		if err != nil {
			return nil, err
		}
		c.Resolver, c.Logger = orDefault(c.Resolver, s.DNSServer), log
		return dnssrv.New(c)
	}
	return all.FromString(kind, spec, all.WithLogger(log))
}

func orDefault(v, def string) string {
	if v != "" {
		return v
	}
	return def
}
