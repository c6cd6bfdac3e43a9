package simulator

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"time"

	"gopkg.in/yaml.v3"
)

// maxScenarioBytes bounds the file read: real scenarios are a few KiB.
const maxScenarioBytes = 1 << 20

// Load reads and parses a scenario file.
func Load(path string) (*Scenario, error) {
	fh, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer fh.Close()
	data, err := io.ReadAll(io.LimitReader(fh, maxScenarioBytes+1))
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return Parse(data, path)
}

var yamlLine = regexp.MustCompile(`line (\d+)`)

// Parse parses and validates a scenario. Errors are *ScenarioError values
// naming the file, line and field.
func Parse(data []byte, file string) (*Scenario, error) {
	p := &parser{file: file}
	if len(data) > maxScenarioBytes {
		return nil, p.errf(nil, "", "file is larger than %d bytes", maxScenarioBytes)
	}
	dec := yaml.NewDecoder(bytes.NewReader(data))
	var doc yaml.Node
	if err := dec.Decode(&doc); err != nil {
		if errors.Is(err, io.EOF) {
			return nil, p.errf(nil, "", "the file is empty")
		}
		line := 0
		if m := yamlLine.FindStringSubmatch(err.Error()); m != nil {
			line, _ = strconv.Atoi(m[1])
		}
		msg := strings.TrimPrefix(err.Error(), "yaml: ")
		msg = yamlLine.ReplaceAllString(msg, "")
		msg = strings.TrimLeft(msg, ": ")
		return nil, &ScenarioError{File: file, Line: line, Msg: "not valid YAML: " + msg}
	}
	var extra yaml.Node
	if err := dec.Decode(&extra); !errors.Is(err, io.EOF) {
		return nil, p.errf(&extra, "", "a scenario file holds one YAML document")
	}
	if len(doc.Content) != 1 {
		return nil, p.errf(&doc, "", "the file is empty")
	}
	root := doc.Content[0]
	if err := p.noAliases(root, 0); err != nil {
		return nil, err
	}
	return p.scenario(root)
}

func (p *parser) scenario(root *yaml.Node) (*Scenario, error) {
	f, err := p.mapping(root, "")
	if err != nil {
		return nil, err
	}
	if err := f.onlyKnown(topLevelKeys...); err != nil {
		return nil, err
	}
	s := &Scenario{
		File:    p.file,
		Name:    strings.TrimSuffix(filepath.Base(p.file), filepath.Ext(p.file)),
		Seed:    1,
		Profile: "lan",
		Cluster: "sim",
		Network: NetConfig{Default: defaultLink()},
		groups:  map[string]*Selector{},
	}
	if err := p.header(s, f); err != nil {
		return nil, err
	}
	sp := &selectorParser{parser: p, nodes: s.Nodes, groups: s.groups}
	if err := sp.groupsField(s, f.take("groups")); err != nil {
		return nil, err
	}
	if err := sp.topology(s, f); err != nil {
		return nil, err
	}
	if n := f.take("network"); n != nil {
		patch, links, set, err := sp.network(n, "network")
		if err != nil {
			return nil, err
		}
		s.Network.Default = patch.apply(s.Network.Default)
		if set {
			s.Network.Links = links
		}
	}
	if n := f.take("events"); n != nil {
		if err := sp.events(s, n); err != nil {
			return nil, err
		}
	}
	if err := f.unknown(topLevelKeys...); err != nil {
		return nil, err
	}
	return s, nil
}

var topLevelKeys = []string{"name", "description", "nodes", "seed", "duration", "sample", "profile", "timing",
	"cluster", "encrypt", "meta", "groups", "start", "start_over", "formed", "seeds", "segments", "network", "events"}

// header reads the scalar fields and the timing.
func (p *parser) header(s *Scenario, f *fields) error {
	var err error
	if n := f.take("name"); n != nil {
		if s.Name, err = p.scalar(n, "name"); err != nil {
			return err
		}
	}
	if n := f.take("description"); n != nil {
		if s.Description, err = p.scalar(n, "description"); err != nil {
			return err
		}
	}
	n := f.take("nodes")
	if n == nil {
		return p.errf(f.node, "nodes", "required: how many nodes the scenario has")
	}
	if s.Nodes, err = p.count(n, "nodes", maxNodes); err != nil {
		return err
	}
	if s.Nodes < 1 {
		return p.errf(n, "nodes", "must be at least 1")
	}
	if n := f.take("seed"); n != nil {
		txt, err := p.scalar(n, "seed")
		if err != nil {
			return err
		}
		if s.Seed, err = strconv.ParseInt(txt, 10, 64); err != nil {
			return p.errf(n, "seed", "%q is not a 64-bit integer", txt)
		}
	}
	n = f.take("duration")
	if n == nil {
		return p.errf(f.node, "duration", "required: how long to simulate, such as 120s")
	}
	d, err := p.duration(n, "duration")
	if err != nil {
		return err
	}
	if d <= 0 {
		return p.errf(n, "duration", "must be positive")
	}
	s.Duration = time.Duration(d)
	s.Sample = min(max(s.Duration/1000, 10*time.Millisecond), time.Second)
	if n := f.take("sample"); n != nil {
		d, err := p.duration(n, "sample")
		if err != nil {
			return err
		}
		if time.Duration(d) < time.Millisecond || time.Duration(d) > s.Duration {
			return p.errf(n, "sample", "must be between 1ms and the duration (%v)", s.Duration)
		}
		s.Sample = time.Duration(d)
	}
	profNode := f.take("profile")
	if profNode != nil {
		if s.Profile, err = p.scalar(profNode, "profile"); err != nil {
			return err
		}
		if profiles[s.Profile] == nil {
			return p.errf(profNode, "profile", "%q is not a profile (known: %s)", s.Profile, strings.Join(profileNames(), ", "))
		}
	}
	if err := p.timing(s, f.take("timing"), profNode, f.node); err != nil {
		return err
	}
	if n := f.take("cluster"); n != nil {
		if s.Cluster, err = p.scalar(n, "cluster"); err != nil {
			return err
		}
		if len(s.Cluster) > 128 {
			return p.errf(n, "cluster", "at most 128 bytes")
		}
	}
	if n := f.take("encrypt"); n != nil {
		if s.Encrypt, err = p.boolean(n, "encrypt"); err != nil {
			return err
		}
	}
	if n := f.take("meta"); n != nil {
		if s.Meta, err = p.meta(n); err != nil {
			return err
		}
	}
	return nil
}

func (p *parser) timing(s *Scenario, n, profNode, root *yaml.Node) error {
	c := profiles[s.Profile]()
	var heartbeat time.Duration
	given := map[string]*yaml.Node{}
	if n != nil {
		f, err := p.mapping(n, "timing")
		if err != nil {
			return err
		}
		for _, k := range timingKeys {
			v := f.take(k.key)
			if v == nil {
				continue
			}
			given[k.key] = v
			if k.dur != nil {
				d, err := p.duration(v, f.sub(k.key))
				if err != nil {
					return err
				}
				*k.dur(&c) = time.Duration(d)
			} else {
				x, err := p.count(v, f.sub(k.key), 1<<20)
				if err != nil {
					return err
				}
				*k.num(&c) = x
			}
		}
		if v := f.take(heartbeatKey); v != nil {
			d, err := p.duration(v, f.sub(heartbeatKey))
			if err != nil {
				return err
			}
			heartbeat = time.Duration(d)
		}
		if err := f.unknown(timingKeyNames()...); err != nil {
			return err
		}
	}
	if key, err := validateTiming(c); err != nil {
		if v := given[key]; v != nil {
			return p.errf(v, "timing."+key, "%v", err)
		}
		at := profNode
		if at == nil {
			at = root
		}
		return p.errf(at, "profile", "%s with these overrides: %s: %v", s.Profile, key, err)
	}
	s.Params = paramsOf(c, heartbeat)
	s.LeavePropagateDelay = c.LeavePropagateDelay
	return nil
}

func (p *parser) meta(n *yaml.Node) (map[string]string, error) {
	f, err := p.mapping(n, "meta")
	if err != nil {
		return nil, err
	}
	if len(f.vals) > maxMetaLen {
		return nil, p.errf(n, "meta", "%d entries, at most %d", len(f.vals), maxMetaLen)
	}
	m := map[string]string{}
	for i := 0; i+1 < len(n.Content); i += 2 {
		k := n.Content[i].Value
		v, err := p.scalar(f.take(k), f.sub(k))
		if err != nil {
			return nil, err
		}
		if len(k) > 128 || len(v) > 256 {
			return nil, p.errf(n.Content[i], f.sub(k), "keys are at most 128 bytes and values 256")
		}
		m[k] = v
	}
	return m, nil
}

var groupName = regexp.MustCompile(`^[A-Za-z][A-Za-z0-9_.-]{0,63}$`)

// groupsField reads named node sets, in document order so a group may use
// the groups above it.
func (sp *selectorParser) groupsField(s *Scenario, n *yaml.Node) error {
	if n == nil {
		return nil
	}
	f, err := sp.mapping(n, "groups")
	if err != nil {
		return err
	}
	if len(f.vals) > maxGroups {
		return sp.errf(n, "groups", "%d groups, at most %d", len(f.vals), maxGroups)
	}
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, v := n.Content[i], n.Content[i+1]
		name := k.Value
		f.take(name)
		if !groupName.MatchString(name) {
			return sp.errf(k, f.sub(name), "a group name starts with a letter and holds letters, digits, _ . - (at most 64)")
		}
		if _, kw := selectorKeywords[name]; kw || name == "all" {
			return sp.errf(k, f.sub(name), "%q is a reserved word", name)
		}
		sel, err := sp.parse(v, f.sub(name), true)
		if err != nil {
			return err
		}
		s.groups[name] = sel
	}
	return nil
}

// topology reads which nodes start, which are seeds and the LAN segments.
func (sp *selectorParser) topology(s *Scenario, f *fields) error {
	s.Start = &Selector{Text: "all", all: true}
	if n := f.take("start"); n != nil {
		sel, err := sp.parse(n, "start", true)
		if err != nil {
			return err
		}
		s.Start = sel
	}
	if n := f.take("start_over"); n != nil {
		d, err := sp.duration(n, "start_over")
		if err != nil {
			return err
		}
		if time.Duration(d) >= s.Duration {
			return sp.errf(n, "start_over", "%v is not shorter than the duration (%v)", time.Duration(d), s.Duration)
		}
		s.StartOver = time.Duration(d)
	}
	if n := f.take("formed"); n != nil {
		v, err := sp.boolean(n, "formed")
		if err != nil {
			return err
		}
		if v && s.StartOver > 0 {
			return sp.errf(n, "formed", "a formed cluster starts at once; drop start_over")
		}
		s.Formed = v
	}
	s.Seeds = []int32{0}
	if n := f.take("seeds"); n != nil {
		s.Seeds = nil
		if !(n.Kind == yaml.SequenceNode && len(n.Content) == 0) {
			sel, err := sp.parse(n, "seeds", true)
			if err != nil {
				return err
			}
			set := sel.staticSet(s.Nodes)
			if set.count() > maxSeeds {
				return sp.errf(n, "seeds", "%d seeds, at most %d", set.count(), maxSeeds)
			}
			for i := int32(0); int(i) < s.Nodes; i++ {
				if set.has(i) {
					s.Seeds = append(s.Seeds, i)
				}
			}
		}
	}
	if n := f.take("segments"); n != nil {
		if n.Kind != yaml.SequenceNode {
			return sp.errf(n, "segments", "want a list of node sets, got %s", kindName(n))
		}
		seen := newBitset(s.Nodes)
		for i, c := range n.Content {
			path := "segments[" + strconv.Itoa(i) + "]"
			sel, err := sp.parse(c, path, true)
			if err != nil {
				return err
			}
			set := sel.staticSet(s.Nodes)
			if set.intersects(seen) {
				return sp.errf(c, path, "overlaps an earlier segment: a node sits on one LAN segment")
			}
			for w := range seen {
				seen[w] |= set[w]
			}
			s.Segments = append(s.Segments, sel)
		}
	}
	if s.Params.HeartbeatInterval > 0 && len(s.Segments) == 0 {
		return sp.errf(f.node, "segments", "timing.heartbeat_interval is set but no segments are: the heartbeats would reach no node")
	}
	if s.Params.HeartbeatInterval == 0 && len(s.Segments) > 0 {
		return sp.errf(f.vals["segments"], "segments", "given, but timing.heartbeat_interval is 0: no node multicasts heartbeats")
	}
	return nil
}
