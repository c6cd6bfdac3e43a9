// Package all is the registry of discovery strategies that meshd and other
// programs build from configuration: a kind ("static", "hostsfile", "dns",
// "dnssrv", "rancher", "kubernetes") and either a YAML node or a one-line
// spec string (flags, environment variables).
//
//	s, err := all.FromString("dns", "meshd.default.svc.cluster.local:7946?interval=5s", all.WithLogger(log))
//	s, err := all.FromYAML("static", node) // node: hosts: [...], interval: 30s
//
// YAML fields are the snake_case names documented by each strategy's
// package (dashes work too: default-port); an unknown field is an error naming it and its line, so a typo
// never silently falls back to a default.
package all

import (
	"errors"
	"fmt"
	"log/slog"
	"maps"
	"reflect"
	"slices"
	"strings"

	"gopkg.in/yaml.v3"

	"github.com/meshd/meshd/mesh"
	"github.com/meshd/meshd/mesh/strategy/dns"
	"github.com/meshd/meshd/mesh/strategy/dnssrv"
	"github.com/meshd/meshd/mesh/strategy/hostsfile"
	"github.com/meshd/meshd/mesh/strategy/kubernetes"
	"github.com/meshd/meshd/mesh/strategy/rancher"
	"github.com/meshd/meshd/mesh/strategy/static"
)

// Option changes how strategies are built.
type Option func(*options)

type options struct {
	logger *slog.Logger
}

// WithLogger sets the logger of the strategies built (their Config.Logger).
func WithLogger(l *slog.Logger) Option { return func(o *options) { o.logger = l } }

// builder builds one kind from a YAML node or a spec string.
type builder struct {
	fromYAML   func(*yaml.Node, options) (mesh.Strategy, error)
	fromString func(string, options) (mesh.Strategy, error)
}

var registry = map[string]builder{
	static.Kind:    register(static.ParseSpec, static.New, func(c *static.Config, l *slog.Logger) { c.Logger = l }),
	hostsfile.Kind: register(hostsfile.ParseSpec, hostsfile.New, func(c *hostsfile.Config, l *slog.Logger) { c.Logger = l }),
	dns.Kind:       register(dns.ParseSpec, dns.New, func(c *dns.Config, l *slog.Logger) { c.Logger = l }),
	dnssrv.Kind:    register(dnssrv.ParseSpec, dnssrv.New, func(c *dnssrv.Config, l *slog.Logger) { c.Logger = l }),
	rancher.Kind:   register(rancher.ParseSpec, rancher.New, func(c *rancher.Config, l *slog.Logger) { c.Logger = l }),
	"kubernetes":   register(kubernetes.ParseSpec, kubernetes.New, func(c *kubernetes.Config, l *slog.Logger) { c.Logger = l }),
}

// register adapts one package's ParseSpec/New convention to the registry.
func register[C any, S mesh.Strategy](
	parse func(string) (C, error),
	build func(C) (S, error),
	setLogger func(*C, *slog.Logger),
) builder {
	finish := func(c C, o options) (mesh.Strategy, error) {
		if o.logger != nil {
			setLogger(&c, o.logger)
		}
		s, err := build(c)
		if err != nil {
			return nil, err // never a typed nil inside the interface
		}
		return s, nil
	}
	return builder{
		fromYAML: func(node *yaml.Node, o options) (mesh.Strategy, error) {
			var c C
			if err := decodeStrict(node, &c); err != nil {
				return nil, err
			}
			return finish(c, o)
		},
		fromString: func(s string, o options) (mesh.Strategy, error) {
			c, err := parse(s)
			if err != nil {
				return nil, err
			}
			return finish(c, o)
		},
	}
}

// Kinds returns the kinds FromYAML and FromString know, sorted.
func Kinds() []string { return slices.Sorted(maps.Keys(registry)) }

func lookup(kind string) (builder, error) {
	b, ok := registry[strings.ToLower(strings.TrimSpace(kind))]
	if !ok {
		return builder{}, fmt.Errorf("unknown strategy kind %q (known: %s)", kind, strings.Join(Kinds(), ", "))
	}
	return b, nil
}

func collect(opts []Option) options {
	var o options
	for _, f := range opts {
		if f != nil {
			f(&o)
		}
	}
	return o
}

// FromYAML builds a strategy of kind from node, a mapping of the kind's
// Config fields (a null or missing node means all defaults).
func FromYAML(kind string, node *yaml.Node, opts ...Option) (mesh.Strategy, error) {
	b, err := lookup(kind)
	if err != nil {
		return nil, err
	}
	s, err := b.fromYAML(node, collect(opts))
	if err != nil {
		return nil, fmt.Errorf("strategy %s: %w", kind, err)
	}
	return s, nil
}

// FromString builds a strategy of kind from its one-line spec, as each
// kind's ParseSpec documents ("dns": "NAME[:PORT][?options]", ...).
func FromString(kind, value string, opts ...Option) (mesh.Strategy, error) {
	b, err := lookup(kind)
	if err != nil {
		return nil, err
	}
	s, err := b.fromString(value, collect(opts))
	if err != nil {
		return nil, fmt.Errorf("strategy %s: %w", kind, err)
	}
	return s, nil
}

// decodeStrict decodes a mapping node into dst, a pointer to a flat
// Config struct, field by field, so that every error names its field and
// line: unknown keys (yaml.v3 checks those only in its Decoder, not in
// Node.Decode), duplicate keys and values of the wrong type.
func decodeStrict(node *yaml.Node, dst any) error {
	if node != nil && node.Kind == yaml.DocumentNode && len(node.Content) == 1 {
		node = node.Content[0]
	}
	if node == nil || node.Kind == 0 || node.Tag == "!!null" {
		return nil
	}
	if node.Kind != yaml.MappingNode {
		return fmt.Errorf("line %d: want a mapping of fields, got a %s", node.Line, kindName(node))
	}
	v := reflect.ValueOf(dst).Elem()
	fields := yamlFields(v.Type())
	seen := map[string]bool{}
	for i := 0; i+1 < len(node.Content); i += 2 {
		k, val := node.Content[i], node.Content[i+1]
		// meshd's own config keys are flag names with dashes; accept
		// "default-port" for "default_port" so one file reads the same.
		name := strings.ReplaceAll(k.Value, "-", "_")
		idx, ok := fields[name]
		if !ok {
			return fmt.Errorf("line %d: unknown field %q (known: %s)", k.Line, k.Value, strings.Join(slices.Sorted(maps.Keys(fields)), ", "))
		}
		if seen[name] {
			return fmt.Errorf("line %d: field %q given twice", k.Line, k.Value)
		}
		seen[name] = true
		if err := val.Decode(v.Field(idx).Addr().Interface()); err != nil {
			msg := err.Error()
			var te *yaml.TypeError
			if errors.As(err, &te) {
				msg = strings.Join(te.Errors, "; ")
			}
			return fmt.Errorf("field %q: %s", k.Value, msg)
		}
	}
	return nil
}

// yamlFields maps the YAML names of t's fields (not "-") to their index.
func yamlFields(t reflect.Type) map[string]int {
	out := map[string]int{}
	for i := range t.NumField() {
		f := t.Field(i)
		if !f.IsExported() {
			continue
		}
		name, _, _ := strings.Cut(f.Tag.Get("yaml"), ",")
		if name == "-" {
			continue
		}
		if name == "" {
			name = strings.ToLower(f.Name) // yaml.v3's default
		}
		out[name] = i
	}
	return out
}

func kindName(n *yaml.Node) string {
	switch n.Kind {
	case yaml.SequenceNode:
		return "list"
	case yaml.ScalarNode:
		return "scalar " + fmt.Sprintf("%q", n.Value)
	case yaml.AliasNode:
		return "alias"
	default:
		return "node"
	}
}
