package simulator

import (
	"slices"
	"strconv"
	"strings"
	"time"

	"gopkg.in/yaml.v3"
)

var linkKeys = []string{"latency", "loss", "duplicate", "reorder", "reorder_delay", "mtu"}

// network reads a network mapping (top level or in an event): link fields
// for the default link and, optionally, link rules that replace the old ones.
func (sp *selectorParser) network(n *yaml.Node, path string) (patch linkPatch, links []LinkRule, setLinks bool, err error) {
	f, err := sp.mapping(n, path)
	if err != nil {
		return patch, nil, false, err
	}
	if patch, err = sp.linkFields(f); err != nil {
		return patch, nil, false, err
	}
	if ln := f.take("links"); ln != nil {
		setLinks = true
		if links, err = sp.links(ln, f.sub("links")); err != nil {
			return patch, nil, false, err
		}
	}
	return patch, links, setLinks, f.unknown(append(linkKeys, "links")...)
}

// linkFields takes the link keys present in f.
func (sp *selectorParser) linkFields(f *fields) (linkPatch, error) {
	var lp linkPatch
	if n := f.take("latency"); n != nil {
		l, err := sp.latency(n, f.sub("latency"))
		if err != nil {
			return lp, err
		}
		lp.latency = &l
	}
	for _, k := range []struct {
		key string
		dst **float64
	}{{"loss", &lp.loss}, {"duplicate", &lp.duplicate}, {"reorder", &lp.reorder}} {
		if n := f.take(k.key); n != nil {
			v, err := sp.percent(n, f.sub(k.key))
			if err != nil {
				return lp, err
			}
			*k.dst = &v
		}
	}
	if n := f.take("reorder_delay"); n != nil {
		d, err := sp.duration(n, f.sub("reorder_delay"))
		if err != nil {
			return lp, err
		}
		if time.Duration(d) > maxLatency {
			return lp, sp.errf(n, f.sub("reorder_delay"), "at most %v", maxLatency)
		}
		rd := time.Duration(d)
		lp.reorderDelay = &rd
	}
	if n := f.take("mtu"); n != nil {
		v, err := sp.count(n, f.sub("mtu"), 65535)
		if err != nil {
			return lp, err
		}
		if v < 576 {
			return lp, sp.errf(n, f.sub("mtu"), "%d is below 576, the smallest MTU IPv4 allows", v)
		}
		lp.mtu = &v
	}
	return lp, nil
}

// latency reads "2ms" (fixed) or a mapping {distribution, base, jitter,
// mean, stddev}.
func (sp *selectorParser) latency(n *yaml.Node, path string) (Latency, error) {
	if n.Kind == yaml.ScalarNode {
		d, err := sp.duration(n, path)
		if err != nil {
			return Latency{}, err
		}
		if time.Duration(d) > maxLatency {
			return Latency{}, sp.errf(n, path, "at most %v", maxLatency)
		}
		return Latency{Dist: distFixed, Base: time.Duration(d)}, nil
	}
	f, err := sp.mapping(n, path)
	if err != nil {
		return Latency{}, err
	}
	l := Latency{Dist: distFixed}
	if dn := f.take("distribution"); dn != nil {
		name, err := sp.scalar(dn, f.sub("distribution"))
		if err != nil {
			return l, err
		}
		d, ok := distNames[name]
		if !ok {
			return l, sp.errf(dn, f.sub("distribution"), "%q is not a distribution (known: exponential, fixed, lognormal, normal)", name)
		}
		l.Dist = d
	}
	durs := []struct {
		key string
		dst *time.Duration
	}{{"base", &l.Base}, {"jitter", &l.Jitter}, {"mean", &l.Mean}, {"stddev", &l.Stddev}}
	allowed := map[latencyDist][]string{
		distFixed:       {"base", "jitter"},
		distNormal:      {"base", "mean", "stddev"},
		distLognormal:   {"base", "mean", "stddev"},
		distExponential: {"base", "mean"},
	}[l.Dist]
	for _, k := range durs {
		kn := f.vals[k.key]
		if kn == nil {
			continue
		}
		if !slices.Contains(allowed, k.key) {
			continue // reported by unknown below with the allowed list
		}
		f.take(k.key)
		d, err := sp.duration(kn, f.sub(k.key))
		if err != nil {
			return l, err
		}
		if time.Duration(d) > maxLatency {
			return l, sp.errf(kn, f.sub(k.key), "at most %v", maxLatency)
		}
		*k.dst = time.Duration(d)
	}
	if err := f.unknown(append([]string{"distribution"}, allowed...)...); err != nil {
		return l, err
	}
	if l.Dist != distFixed && l.Mean <= 0 {
		return l, sp.errf(n, f.sub("mean"), "required and positive for a %s distribution", distNameOf(l.Dist))
	}
	return l, nil
}

func distNameOf(d latencyDist) string {
	for k, v := range distNames {
		if v == d {
			return k
		}
	}
	return "?"
}

// links reads link rules: {between: [A, B], ...} for both directions or
// {from: A, to: B, ...} for one.
func (sp *selectorParser) links(n *yaml.Node, path string) ([]LinkRule, error) {
	if n.Kind != yaml.SequenceNode {
		return nil, sp.errf(n, path, "want a list of link rules, got %s", kindName(n))
	}
	if len(n.Content) > maxLinks {
		return nil, sp.errf(n, path, "%d rules, at most %d", len(n.Content), maxLinks)
	}
	var rules []LinkRule
	for i, c := range n.Content {
		rp := path + "[" + strconv.Itoa(i) + "]"
		f, err := sp.mapping(c, rp)
		if err != nil {
			return nil, err
		}
		r := LinkRule{Line: c.Line}
		if bn := f.take("between"); bn != nil {
			if f.has("from") || f.has("to") {
				return nil, sp.errf(bn, f.sub("between"), "give either between or from and to, not both")
			}
			if bn.Kind != yaml.SequenceNode || len(bn.Content) != 2 {
				return nil, sp.errf(bn, f.sub("between"), "want two node sets: [A, B]")
			}
			if r.From, err = sp.parse(bn.Content[0], f.sub("between")+"[0]", true); err != nil {
				return nil, err
			}
			if r.To, err = sp.parse(bn.Content[1], f.sub("between")+"[1]", true); err != nil {
				return nil, err
			}
			r.Both = true
		} else {
			fn, tn := f.take("from"), f.take("to")
			if fn == nil || tn == nil {
				return nil, sp.errf(c, rp, "a link rule needs between: [A, B], or from: and to:")
			}
			if r.From, err = sp.parse(fn, f.sub("from"), true); err != nil {
				return nil, err
			}
			if r.To, err = sp.parse(tn, f.sub("to"), true); err != nil {
				return nil, err
			}
		}
		if r.Patch, err = sp.linkFields(f); err != nil {
			return nil, err
		}
		if err := f.unknown(append([]string{"between", "from", "to"}, linkKeys...)...); err != nil {
			return nil, err
		}
		rules = append(rules, r)
	}
	return rules, nil
}

// linkLabel renders a network change for timeline labels.
func linkLabel(p linkPatch) string {
	var parts []string
	if p.loss != nil {
		parts = append(parts, "loss "+strconv.FormatFloat(*p.loss*100, 'g', 4, 64)+"%")
	}
	if p.latency != nil {
		parts = append(parts, "latency "+p.latency.Base.String())
	}
	if p.duplicate != nil {
		parts = append(parts, "dup "+strconv.FormatFloat(*p.duplicate*100, 'g', 4, 64)+"%")
	}
	if p.reorder != nil {
		parts = append(parts, "reorder "+strconv.FormatFloat(*p.reorder*100, 'g', 4, 64)+"%")
	}
	if p.mtu != nil {
		parts = append(parts, "mtu "+strconv.Itoa(*p.mtu))
	}
	return strings.Join(parts, " ")
}
