package simulator

import (
	"fmt"
	"slices"
	"strings"

	"gopkg.in/yaml.v3"
)

// ScenarioError is a scenario rejected at a line of its file: the field is a
// path such as "events[3].partition[1]".
type ScenarioError struct {
	File  string
	Line  int
	Field string
	Msg   string
}

func (e *ScenarioError) Error() string {
	var b strings.Builder
	if e.File != "" {
		b.WriteString(e.File)
		b.WriteByte(':')
	}
	if e.Line > 0 {
		fmt.Fprintf(&b, "%d:", e.Line)
	}
	if b.Len() > 0 {
		b.WriteByte(' ')
	}
	if e.Field != "" {
		b.WriteString(e.Field)
		b.WriteString(": ")
	}
	b.WriteString(e.Msg)
	return b.String()
}

// parser carries what every error needs: the file name.
type parser struct {
	file string
}

func (p *parser) errf(n *yaml.Node, field, format string, args ...any) error {
	line := 0
	if n != nil {
		line = n.Line
	}
	return &ScenarioError{File: p.file, Line: line, Field: field, Msg: fmt.Sprintf(format, args...)}
}

// fields walks one YAML mapping, hands out its values by key and, at the
// end, reports the first key nobody asked for: unknown fields are errors,
// because a misspelt "duraton: 60s" must not silently run for the default.
type fields struct {
	p    *parser
	path string
	node *yaml.Node
	vals map[string]*yaml.Node
	used map[string]bool
}

func (p *parser) mapping(n *yaml.Node, path string) (*fields, error) {
	if n.Kind != yaml.MappingNode {
		return nil, p.errf(n, path, "want a mapping of fields, got %s", kindName(n))
	}
	f := &fields{p: p, path: path, node: n, vals: map[string]*yaml.Node{}, used: map[string]bool{}}
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, v := n.Content[i], n.Content[i+1]
		if k.Kind != yaml.ScalarNode {
			return nil, p.errf(k, path, "a key must be a plain name, got %s", kindName(k))
		}
		if _, dup := f.vals[k.Value]; dup {
			return nil, p.errf(k, f.sub(k.Value), "given twice")
		}
		f.vals[k.Value] = v
	}
	return f, nil
}

// sub is the path of a field below this mapping.
func (f *fields) sub(key string) string {
	if f.path == "" {
		return key
	}
	return f.path + "." + key
}

// take returns the value of key, or nil when absent, and marks it known.
func (f *fields) take(key string) *yaml.Node {
	f.used[key] = true
	return f.vals[key]
}

// onlyKnown reports the first key in document order that is not in known,
// before anything else is read: a misspelt field is the likelier cause of
// a "required" error that would otherwise come first.
func (f *fields) onlyKnown(known ...string) error {
	for i := 0; i+1 < len(f.node.Content); i += 2 {
		k := f.node.Content[i]
		if !slices.Contains(known, k.Value) {
			return f.p.errf(k, f.sub(k.Value), "unknown field (known: %s)", strings.Join(known, ", "))
		}
	}
	return nil
}

// has reports whether key is present without marking it known.
func (f *fields) has(key string) bool {
	_, ok := f.vals[key]
	return ok
}

// unknown returns an error naming the first key in document order that no
// take asked for, listing the ones that were expected.
func (f *fields) unknown(known ...string) error {
	for i := 0; i+1 < len(f.node.Content); i += 2 {
		k := f.node.Content[i]
		if !f.used[k.Value] {
			msg := "unknown field"
			if len(known) > 0 {
				msg += " (known: " + strings.Join(known, ", ") + ")"
			}
			return f.p.errf(k, f.sub(k.Value), "%s", msg)
		}
	}
	return nil
}

func kindName(n *yaml.Node) string {
	switch n.Kind {
	case yaml.MappingNode:
		return "a mapping"
	case yaml.SequenceNode:
		return "a list"
	case yaml.ScalarNode:
		if n.Tag == "!!null" {
			return "nothing"
		}
		return fmt.Sprintf("%q", n.Value)
	case yaml.AliasNode:
		return "an alias"
	case yaml.DocumentNode:
		return "a document"
	}
	return "an unknown node"
}

// scalar checks that n is a scalar and returns its text.
func (p *parser) scalar(n *yaml.Node, path string) (string, error) {
	if n.Kind != yaml.ScalarNode || n.Tag == "!!null" {
		return "", p.errf(n, path, "want a value, got %s", kindName(n))
	}
	return n.Value, nil
}

func (p *parser) duration(n *yaml.Node, path string) (int64, error) {
	s, err := p.scalar(n, path)
	if err != nil {
		return 0, err
	}
	d, err := parseDuration(s)
	if err != nil {
		return 0, p.errf(n, path, "%v", err)
	}
	return int64(d), nil
}

func (p *parser) percent(n *yaml.Node, path string) (float64, error) {
	s, err := p.scalar(n, path)
	if err != nil {
		return 0, err
	}
	v, err := parsePercent(s)
	if err != nil {
		return 0, p.errf(n, path, "%v", err)
	}
	return v, nil
}

func (p *parser) count(n *yaml.Node, path string, max int) (int, error) {
	s, err := p.scalar(n, path)
	if err != nil {
		return 0, err
	}
	v, err := parseCount(s, max)
	if err != nil {
		return 0, p.errf(n, path, "%v", err)
	}
	return v, nil
}

func (p *parser) boolean(n *yaml.Node, path string) (bool, error) {
	s, err := p.scalar(n, path)
	if err != nil {
		return false, err
	}
	switch s {
	case "true", "yes", "on":
		return true, nil
	case "false", "no", "off":
		return false, nil
	}
	return false, p.errf(n, path, "%q is not true or false", s)
}

// noAliases rejects anchors and aliases anywhere in the tree: expanding them
// while walking could multiply a small file into an enormous scenario.
func (p *parser) noAliases(n *yaml.Node, depth int) error {
	if depth > 64 {
		return p.errf(n, "", "nested more than 64 levels deep")
	}
	if n.Kind == yaml.AliasNode || n.Anchor != "" {
		return p.errf(n, "", "YAML anchors and aliases are not supported in scenarios")
	}
	for _, c := range n.Content {
		if err := p.noAliases(c, depth+1); err != nil {
			return err
		}
	}
	return nil
}
