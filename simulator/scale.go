package simulator

import (
	"fmt"
	"math"
	"time"
)

// Scaled returns a short form of the scenario: nodes and timeline shrunk in
// proportion (0 keeps either as it is). Node ranges, seeds and random counts
// scale with the node count; event times, join spreads, rolling-restart
// spacing and slow periods with the duration. Protocol timing, latencies and
// slow-node delays do not scale: they are what the run is about. A quick
// preview of a big scenario, and how the tests run every example.
func (s *Scenario) Scaled(nodes int, d time.Duration) (*Scenario, error) {
	if nodes == 0 {
		nodes = s.Nodes
	}
	if d == 0 {
		d = s.Duration
	}
	if nodes < 1 || nodes > s.Nodes {
		return nil, fmt.Errorf("short form: --nodes %d, want 1 to the scenario's %d (it only shrinks)", nodes, s.Nodes)
	}
	if d < time.Millisecond || d > s.Duration {
		return nil, fmt.Errorf("short form: --duration %v, want 1ms to the scenario's %v (it only shrinks)", d, s.Duration)
	}
	f := float64(nodes) / float64(s.Nodes)
	g := float64(d) / float64(s.Duration)
	tm := func(t time.Duration) time.Duration { return time.Duration(float64(t) * g) }
	sel := func(x *Selector) *Selector {
		if x == nil {
			return nil
		}
		y := *x
		y.ranges = make([]nodeRange, len(x.ranges))
		for i, r := range x.ranges {
			// Scale the half-open [lo, hi+1) and round both ends the same
			// way, so ranges that touched still touch and do not overlap;
			// a range that shrinks to nothing keeps one node.
			lo := int(math.Round(float64(r.lo) * f))
			end := int(math.Round(float64(r.hi+1) * f))
			lo = min(lo, nodes-1)
			hi := min(max(lo, end-1), nodes-1)
			y.ranges[i] = nodeRange{lo: lo, hi: hi}
		}
		if x.randCount > 0 {
			y.randCount = max(1, int(math.Round(float64(x.randCount)*f)))
		}
		return &y
	}

	c := *s
	c.Nodes, c.Duration = nodes, d
	c.Sample = max(tm(s.Sample), time.Millisecond)
	c.StartOver = tm(s.StartOver)
	c.Start = sel(s.Start)
	c.Seeds = nil
	seen := map[int32]bool{}
	for _, x := range s.Seeds {
		y := int32(math.Floor(float64(x) * f))
		if !seen[y] {
			seen[y] = true
			c.Seeds = append(c.Seeds, y)
		}
	}
	c.Segments = make([]*Selector, len(s.Segments))
	for i, x := range s.Segments {
		c.Segments[i] = sel(x)
	}
	if err := disjoint(c.Segments, nodes); err != nil {
		return nil, fmt.Errorf("short form: segments: %v", err)
	}
	c.Network.Links = scaleLinks(s.Network.Links, sel)
	c.Events = make([]*Action, len(s.Events))
	for i, a := range s.Events {
		b := *a
		b.At = min(tm(a.At), d-1)
		b.Nodes, b.From, b.To = sel(a.Nodes), sel(a.From), sel(a.To)
		b.Over, b.For, b.Every, b.Down = tm(a.Over), tm(a.For), max(tm(a.Every), 1), tm(a.Down)
		if a.Groups != nil {
			b.Groups = make([]*Selector, len(a.Groups))
			for j, x := range a.Groups {
				b.Groups[j] = sel(x)
			}
			if err := disjoint(b.Groups, nodes); err != nil {
				return nil, fmt.Errorf("short form: event at line %d: partition sides %v", a.Line, err)
			}
		}
		if a.Net != nil && a.Net.setLinks {
			n := *a.Net
			n.links = scaleLinks(a.Net.links, sel)
			b.Net = &n
		}
		c.Events[i] = &b
	}
	return &c, nil
}

func scaleLinks(rs []LinkRule, sel func(*Selector) *Selector) []LinkRule {
	out := make([]LinkRule, len(rs))
	for i, r := range rs {
		r.From, r.To = sel(r.From), sel(r.To)
		out[i] = r
	}
	return out
}

// disjoint checks that scaling did not fold two sets onto one node.
func disjoint(sets []*Selector, nodes int) error {
	seen := newBitset(nodes)
	for _, s := range sets {
		b := s.staticSet(nodes)
		if b.intersects(seen) {
			return fmt.Errorf("overlap at %d nodes; choose a larger --nodes", nodes)
		}
		for w := range seen {
			seen[w] |= b[w]
		}
	}
	return nil
}
