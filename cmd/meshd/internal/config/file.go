package config

import (
	"errors"
	"fmt"
	"io"
	"os"
	"slices"
	"strings"

	"gopkg.in/yaml.v3"

	"github.com/meshd/meshd/cmd/meshd/internal/cli"
)

// maxFileSize bounds the config file read.
const maxFileSize = 1 << 20

// loadFile applies the YAML config file at path to s.
func loadFile(s *Settings, path string) error {
	f, err := os.Open(path)
	if err != nil {
		return errorf("config file "+path, "cannot read: %v", errors.Unwrap(err))
	}
	defer f.Close()
	data, err := io.ReadAll(io.LimitReader(f, maxFileSize+1))
	if err != nil {
		return errorf("config file "+path, "cannot read: %v", err)
	}
	if len(data) > maxFileSize {
		return errorf("config file "+path, "larger than %d bytes", maxFileSize)
	}
	return applyYAML(s, path, data)
}

// applyYAML applies a config file's content. path is only used in errors.
func applyYAML(s *Settings, path string, data []byte) error {
	var doc yaml.Node
	if err := yaml.Unmarshal(data, &doc); err != nil {
		return errorf("config file "+path, "not valid YAML: %s", strings.TrimPrefix(err.Error(), "yaml: "))
	}
	if doc.Kind == 0 || len(doc.Content) == 0 {
		return nil // an empty file sets nothing
	}
	top := resolve(doc.Content[0])
	if top.Kind == yaml.ScalarNode && top.Tag == "!!null" {
		return nil
	}
	if top.Kind != yaml.MappingNode {
		return errorf(fmt.Sprintf("config file %s, line %d", path, top.Line), "want a mapping of settings (key: value), got %s", kindName(top))
	}
	seen := map[string]int{}
	for i := 0; i+1 < len(top.Content); i += 2 {
		k, v := top.Content[i], resolve(top.Content[i+1])
		origin := fmt.Sprintf("config file %s, line %d, field %q", path, k.Line, k.Value)
		key := strings.ReplaceAll(strings.ToLower(k.Value), "_", "-")
		if prev, dup := seen[key]; dup {
			return errorf(origin, "set twice (first on line %d)", prev)
		}
		seen[key] = k.Line
		if key == "strategies" {
			if err := fileStrategies(s, path, v); err != nil {
				return err
			}
			continue
		}
		f := lookupField(key)
		if f == nil || f.name == "config" {
			return errorf(origin, "unknown field%s", suggest(key))
		}
		vals, err := values(f, v)
		if err != nil {
			return errorf(origin, "%v", err)
		}
		if f.name == "strategy" {
			// Keep the file's mappings given under 'strategies' as well.
			kept := slices.Clone(s.Strategies)
			if err := apply(s, f, vals, origin); err != nil {
				return err
			}
			s.Strategies = append(kept, s.Strategies...)
			continue
		}
		if err := apply(s, f, vals, origin); err != nil {
			return err
		}
	}
	return nil
}

// values turns a YAML value into the strings a field's set takes.
func values(f *field, v *yaml.Node) ([]string, error) {
	switch v.Kind {
	case yaml.ScalarNode:
		if v.Tag == "!!null" {
			return nil, fmt.Errorf("empty value; want %s", want(f))
		}
		if f.list {
			return splitList(f, v.Value), nil
		}
		return []string{v.Value}, nil
	case yaml.SequenceNode:
		if !f.list {
			return nil, fmt.Errorf("want one value (%s), got a list", want(f))
		}
		var out []string
		for _, it := range v.Content {
			it = resolve(it)
			if it.Kind != yaml.ScalarNode {
				return nil, fmt.Errorf("line %d: want a list of %s, got %s in it", it.Line, f.arg, kindName(it))
			}
			out = append(out, it.Value)
		}
		return out, nil
	case yaml.MappingNode:
		if f.name != "meta" {
			return nil, fmt.Errorf("want %s, got a mapping", want(f))
		}
		var out []string
		for i := 0; i+1 < len(v.Content); i += 2 {
			k, val := resolve(v.Content[i]), resolve(v.Content[i+1])
			if k.Kind != yaml.ScalarNode || val.Kind != yaml.ScalarNode {
				return nil, fmt.Errorf("line %d: want key: value pairs of strings", k.Line)
			}
			out = append(out, k.Value+"="+val.Value)
		}
		return out, nil
	}
	return nil, fmt.Errorf("want %s, got %s", want(f), kindName(v))
}

// fileStrategies reads the 'strategies' list: mappings with a 'kind'.
func fileStrategies(s *Settings, path string, v *yaml.Node) error {
	if v.Kind != yaml.SequenceNode {
		return errorf(fmt.Sprintf("config file %s, line %d, field \"strategies\"", path, v.Line),
			"want a list of mappings such as [{kind: dns, name: meshd.svc.cluster.local}], got %s", kindName(v))
	}
	for i, it := range v.Content {
		it = resolve(it)
		origin := fmt.Sprintf("config file %s, line %d, strategies[%d]", path, it.Line, i)
		if it.Kind != yaml.MappingNode {
			return errorf(origin, "want a mapping with a kind (kind: dns, ...), got %s", kindName(it))
		}
		spec := StrategySpec{Origin: origin, Node: &yaml.Node{Kind: yaml.MappingNode, Tag: "!!map", Line: it.Line, Column: it.Column}}
		for j := 0; j+1 < len(it.Content); j += 2 {
			k, val := it.Content[j], resolve(it.Content[j+1])
			if k.Value == "kind" {
				if val.Kind != yaml.ScalarNode || val.Value == "" {
					return errorf(origin, "kind: want a strategy kind such as dns")
				}
				spec.Kind = val.Value
				continue
			}
			spec.Node.Content = append(spec.Node.Content, k, val)
		}
		if spec.Kind == "" {
			return errorf(origin, "missing kind (static, hostsfile, dns, dnssrv, kubernetes or rancher)")
		}
		s.Strategies = append(s.Strategies, spec)
	}
	return nil
}

func resolve(n *yaml.Node) *yaml.Node {
	for n.Kind == yaml.AliasNode && n.Alias != nil {
		n = n.Alias
	}
	return n
}

func kindName(n *yaml.Node) string {
	switch n.Kind {
	case yaml.MappingNode:
		return "a mapping"
	case yaml.SequenceNode:
		return "a list"
	case yaml.ScalarNode:
		return fmt.Sprintf("%q", n.Value)
	}
	return "nothing"
}

func want(f *field) string {
	switch {
	case f.arg == "":
		return "true or false"
	case f.list:
		return "a list of " + f.arg
	}
	return f.arg
}

// suggest names the known key closest to an unknown one, for typos.
func suggest(key string) string {
	names := []string{"strategies"}
	for _, f := range fields {
		if f.name != "config" {
			names = append(names, f.name)
		}
	}
	best := cli.Closest(key, names)
	if best == "" {
		return " (known: " + strings.Join(names, ", ") + ")"
	}
	return fmt.Sprintf("; did you mean %q?", best)
}

// closestField is the setting whose name is closest to key, if key looks
// like a typo of it; "" if none does.
func closestField(key string) string {
	names := make([]string, len(fields))
	for i, f := range fields {
		names[i] = f.name
	}
	return cli.Closest(key, names)
}
