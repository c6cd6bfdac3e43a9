package simulator

import (
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
	"strconv"
	"strings"

	"gopkg.in/yaml.v3"
)

// nodeStatus is a simulated node's lifecycle state.
type nodeStatus uint8

const (
	statusPending nodeStatus = iota // not started yet
	statusLive                      // running (possibly slow)
	statusLeaving                   // announced a graceful leave, still gossiping it
	statusLeft                      // left gracefully and stopped
	statusCrashed                   // stopped abruptly
)

// statusMask is a set of nodeStatus values, for the selector keywords.
type statusMask uint8

func (m statusMask) has(s nodeStatus) bool { return m&(1<<s) != 0 }

// keywords usable in any selector, and the statuses they select.
var selectorKeywords = map[string]statusMask{
	"live":    1 << statusLive,
	"crashed": 1 << statusCrashed,
	"left":    1 << statusLeft,
	"pending": 1 << statusPending,
}

type nodeRange struct{ lo, hi int } // inclusive

// Selector picks nodes by index. Written forms (see docs/simulator.md):
// an index (7), a range ("0-999"), a group name, "all", a keyword for the
// nodes' state at that moment (live, crashed, left, pending), a list of
// those, "5%" (a random 5% of the eligible nodes), or a mapping
// {random: 10 | 5%, of: SELECTOR}.
type Selector struct {
	Text   string // as written, for labels
	ranges []nodeRange
	all    bool
	states statusMask
	// random picks randCount nodes, or randFrac of the eligible base set
	// (rounded, at least one when the fraction is positive).
	random    bool
	randCount int
	randFrac  float64
}

// static reports whether the selector names the same nodes whenever it is
// resolved: no state keyword, no random pick.
func (s *Selector) static() bool { return !s.random && s.states == 0 }

// selectorParser resolves group names against the groups defined so far.
type selectorParser struct {
	*parser
	nodes  int
	groups map[string]*Selector
}

// parse reads a selector. staticOnly refuses random picks and state
// keywords (partitions, groups, segments and links must be fixed sets).
func (sp *selectorParser) parse(n *yaml.Node, path string, staticOnly bool) (*Selector, error) {
	s := &Selector{}
	if err := sp.parseInto(s, n, path, staticOnly, 0); err != nil {
		return nil, err
	}
	s.Text = selectorText(n)
	return s, nil
}

func (sp *selectorParser) parseInto(s *Selector, n *yaml.Node, path string, staticOnly bool, depth int) error {
	switch n.Kind {
	case yaml.SequenceNode:
		if depth > 0 {
			return sp.errf(n, path, "lists of nodes cannot be nested; write one flat list")
		}
		if len(n.Content) == 0 {
			return sp.errf(n, path, "empty list selects no node")
		}
		for i, c := range n.Content {
			if err := sp.parseInto(s, c, path+"["+strconv.Itoa(i)+"]", staticOnly, depth+1); err != nil {
				return err
			}
		}
		if s.random {
			return sp.errf(n, path, "a random pick must stand alone; write {random: 5%%, of: [...]}")
		}
		return nil
	case yaml.MappingNode:
		if depth > 0 {
			return sp.errf(n, path, "a {random: ..., of: ...} pick must stand alone, not inside a list")
		}
		if staticOnly {
			return sp.errf(n, path, "must be a fixed set of nodes here, not a random pick")
		}
		return sp.parseRandom(s, n, path)
	case yaml.ScalarNode:
		return sp.parseItem(s, n, path, staticOnly, depth)
	}
	return sp.errf(n, path, "want nodes (an index, a range such as 0-99, a group or a list), got %s", kindName(n))
}

func (sp *selectorParser) parseRandom(s *Selector, n *yaml.Node, path string) error {
	f, err := sp.mapping(n, path)
	if err != nil {
		return err
	}
	rn := f.take("random")
	if rn == nil {
		return sp.errf(n, path, "a mapping selector needs random: N or random: P%%")
	}
	txt, err := sp.scalar(rn, f.sub("random"))
	if err != nil {
		return err
	}
	s.random = true
	if strings.HasSuffix(strings.TrimSpace(txt), "%") {
		if s.randFrac, err = parsePercent(txt); err != nil {
			return sp.errf(rn, f.sub("random"), "%v", err)
		}
	} else if s.randCount, err = parseCount(txt, sp.nodes); err != nil {
		return sp.errf(rn, f.sub("random"), "%v (at most the %d nodes of the scenario)", err, sp.nodes)
	}
	if of := f.take("of"); of != nil {
		inner := &Selector{}
		if err := sp.parseInto(inner, of, f.sub("of"), false, 0); err != nil {
			return err
		}
		if inner.random {
			return sp.errf(of, f.sub("of"), "must be a set of nodes, not another random pick")
		}
		s.ranges, s.all, s.states = inner.ranges, inner.all, inner.states
	} else {
		s.all = true
	}
	return f.unknown("random", "of")
}

func (sp *selectorParser) parseItem(s *Selector, n *yaml.Node, path string, staticOnly bool, depth int) error {
	if n.Tag == "!!null" {
		return sp.errf(n, path, "selects no node; write an index, a range, a group or all")
	}
	txt := strings.TrimSpace(n.Value)
	switch {
	case txt == "all":
		s.all = true
		return nil
	case strings.HasSuffix(txt, "%"):
		if staticOnly {
			return sp.errf(n, path, "must be a fixed set of nodes here, not a random %s", txt)
		}
		if depth > 0 {
			return sp.errf(n, path, "a random pick must stand alone; write {random: %s, of: [...]}", txt)
		}
		f, err := parsePercent(txt)
		if err != nil {
			return sp.errf(n, path, "%v", err)
		}
		s.random, s.randFrac, s.all = true, f, true
		return nil
	}
	if m, ok := selectorKeywords[txt]; ok {
		if staticOnly {
			return sp.errf(n, path, "must be a fixed set of nodes here; %q changes during the run", txt)
		}
		s.states |= m
		return nil
	}
	if g, ok := sp.groups[txt]; ok {
		s.ranges = append(s.ranges, g.ranges...)
		s.all = s.all || g.all
		return nil
	}
	lo, hi, isRange, err := parseRange(txt)
	if err != nil {
		return sp.errf(n, path, "%v", err)
	}
	if !isRange {
		return sp.errf(n, path, "%q is not a node index, range (0-99), group or keyword (all, live, crashed, left, pending)", txt)
	}
	if hi >= sp.nodes {
		if lo == hi {
			return sp.errf(n, path, "node %d does not exist (nodes: %d, indices 0-%d)", hi, sp.nodes, sp.nodes-1)
		}
		return sp.errf(n, path, "range %d-%d names nodes that do not exist (nodes: %d, indices 0-%d)", lo, hi, sp.nodes, sp.nodes-1)
	}
	s.ranges = append(s.ranges, nodeRange{lo, hi})
	return nil
}

// parseRange reads "7" or "0-999". isRange is false when txt is neither
// (a misspelt group name, say), so the caller can word the error.
func parseRange(txt string) (lo, hi int, isRange bool, err error) {
	a, b, dash := strings.Cut(txt, "-")
	if a == "" && dash { // "-5"
		return 0, 0, true, fmt.Errorf("%q: node indices are not negative", txt)
	}
	lo64, errA := strconv.ParseInt(strings.TrimSpace(a), 10, 64)
	if errA != nil {
		return 0, 0, false, nil
	}
	hi64 := lo64
	if dash {
		if hi64, errA = strconv.ParseInt(strings.TrimSpace(b), 10, 64); errA != nil {
			return 0, 0, false, nil
		}
	}
	if lo64 < 0 || hi64 < 0 {
		return 0, 0, true, fmt.Errorf("%q: node indices are not negative", txt)
	}
	if lo64 > hi64 {
		return 0, 0, true, fmt.Errorf("%q: a range goes from the lower index to the higher", txt)
	}
	if hi64 > maxNodes {
		hi64 = maxNodes // the caller reports it as not existing
	}
	return int(lo64), int(hi64), true, nil
}

// selectorText renders a selector as written, compactly, for labels.
func selectorText(n *yaml.Node) string {
	switch n.Kind {
	case yaml.ScalarNode:
		return n.Value
	case yaml.SequenceNode:
		parts := make([]string, 0, len(n.Content))
		for i, c := range n.Content {
			if i == 8 {
				parts = append(parts, "...")
				break
			}
			parts = append(parts, selectorText(c))
		}
		return "[" + strings.Join(parts, ",") + "]"
	case yaml.MappingNode:
		parts := []string{}
		for i := 0; i+1 < len(n.Content); i += 2 {
			parts = append(parts, n.Content[i].Value+": "+selectorText(n.Content[i+1]))
		}
		return "{" + strings.Join(parts, ", ") + "}"
	}
	return "?"
}

// staticSet returns the nodes of a static selector.
func (s *Selector) staticSet(nodes int) bitset {
	b := newBitset(nodes)
	if s.all {
		b.setRange(0, nodes-1)
		return b
	}
	for _, r := range s.ranges {
		b.setRange(r.lo, r.hi)
	}
	return b
}

// resolve returns, in increasing order, the nodes the selector names now:
// the base set (ranges, all, state keywords) filtered by eligible, then the
// random pick drawn from rng. The order of draws is fixed, so a run is
// reproducible from its seed.
func (s *Selector) resolve(nodes int, status []nodeStatus, eligible func(int32) bool, rng *rand.Rand) []int32 {
	base := s.staticSet(nodes)
	var out []int32
	for i := int32(0); int(i) < nodes; i++ {
		in := base.has(i) || s.states.has(status[i])
		if in && eligible(i) {
			out = append(out, i)
		}
	}
	if !s.random {
		return out
	}
	k := s.randCount
	if s.randCount == 0 && s.randFrac > 0 {
		k = int(math.Round(s.randFrac * float64(len(out))))
		if k == 0 {
			k = 1
		}
	}
	if k >= len(out) {
		return out
	}
	// Partial Fisher-Yates: the first k entries become the pick.
	for i := 0; i < k; i++ {
		j := i + rng.IntN(len(out)-i)
		out[i], out[j] = out[j], out[i]
	}
	out = out[:k]
	slices.Sort(out)
	return out
}
