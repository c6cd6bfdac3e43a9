package simulator

import (
	"slices"
	"sort"
	"strconv"
	"strings"
	"time"

	"gopkg.in/yaml.v3"
)

// actionKeys name an event's action; networkShorthands are network changes
// written directly in the event ("loss: 5%").
var (
	actionKeys        = []string{"crash", "restart", "leave", "slow", "join", "rolling_restart", "partition", "cut", "heal", "network"}
	networkShorthands = linkKeys
	modifierKeys      = map[actionKind][]string{
		actRestart:        {"keep_state", "new_address"},
		actSlow:           {"delay", "for"},
		actJoin:           {"over"},
		actRollingRestart: {"every", "down", "keep_state"},
	}
)

// eventKeys are every key an event may have, whatever its action.
func eventKeys() []string {
	keys := append([]string{"at", "label"}, actionKeys...)
	keys = append(keys, networkShorthands...)
	for _, k := range []actionKind{actRestart, actSlow, actJoin, actRollingRestart} {
		for _, m := range modifierKeys[k] {
			if !slices.Contains(keys, m) {
				keys = append(keys, m)
			}
		}
	}
	return keys
}

func (sp *selectorParser) events(s *Scenario, n *yaml.Node) error {
	if n.Kind != yaml.SequenceNode {
		return sp.errf(n, "events", "want a list of events, got %s", kindName(n))
	}
	if len(n.Content) > maxEvents {
		return sp.errf(n, "events", "%d events, at most %d", len(n.Content), maxEvents)
	}
	started := s.Start.staticSet(s.Nodes)
	for i, c := range n.Content {
		a, err := sp.event(s, c, "events["+strconv.Itoa(i)+"]", started)
		if err != nil {
			return err
		}
		s.Events = append(s.Events, a)
	}
	sort.SliceStable(s.Events, func(i, j int) bool { return s.Events[i].At < s.Events[j].At })
	return nil
}

func (sp *selectorParser) event(s *Scenario, n *yaml.Node, path string, started bitset) (*Action, error) {
	f, err := sp.mapping(n, path)
	if err != nil {
		return nil, err
	}
	if err := f.onlyKnown(eventKeys()...); err != nil {
		return nil, err
	}
	a := &Action{Line: n.Line}
	atNode := f.take("at")
	if atNode == nil {
		return nil, sp.errf(n, path+".at", "required: when the event happens, such as at: 30s")
	}
	at, err := sp.duration(atNode, path+".at")
	if err != nil {
		return nil, err
	}
	if time.Duration(at) >= s.Duration {
		return nil, sp.errf(atNode, path+".at", "%v is not before the end of the run (duration %v)", time.Duration(at), s.Duration)
	}
	a.At = time.Duration(at)

	// Exactly one action: a named one, or network changes.
	var actKey string
	for _, k := range actionKeys {
		if f.has(k) {
			if actKey != "" {
				return nil, sp.errf(f.vals[k], path+"."+k, "one action per event; %s is already given", actKey)
			}
			actKey = k
		}
	}
	var shorthand []string
	for _, k := range networkShorthands {
		if f.has(k) {
			shorthand = append(shorthand, k)
		}
	}
	switch {
	case actKey == "" && len(shorthand) == 0:
		return nil, sp.errf(n, path, "no action: give one of %s, or a network change (%s)", strings.Join(actionKeys, ", "), strings.Join(networkShorthands, ", "))
	case actKey != "" && actKey != "network" && len(shorthand) > 0:
		return nil, sp.errf(f.vals[shorthand[0]], path+"."+shorthand[0], "one action per event; %s is already given", actKey)
	case actKey == "network" && len(shorthand) > 0:
		return nil, sp.errf(f.vals[shorthand[0]], path+"."+shorthand[0], "put it inside network: or give it without network:")
	}
	if actKey == "" {
		actKey = "network"
	}
	for k, name := range actionNames {
		if name == actKey {
			a.Kind = actionKind(k)
		}
	}
	if err := sp.action(s, a, f, path, started); err != nil {
		return nil, err
	}
	if ln := f.take("label"); ln != nil {
		if a.Label, err = sp.scalar(ln, path+".label"); err != nil {
			return nil, err
		}
	}
	known := append([]string{"at", "label", actKey}, modifierKeys[a.Kind]...)
	if a.Kind == actNetwork && len(shorthand) > 0 {
		known = append([]string{"at", "label"}, networkShorthands...)
	}
	if err := f.unknown(known...); err != nil {
		return nil, err
	}
	if a.Label == "" {
		a.Label = defaultLabel(a)
	}
	return a, nil
}

// action reads the action's value and its modifiers.
func (sp *selectorParser) action(s *Scenario, a *Action, f *fields, path string, started bitset) error {
	key := a.Kind.String()
	vpath := path + "." + key
	var err error
	switch a.Kind {
	case actCrash, actLeave, actRestart, actSlow, actJoin, actRollingRestart:
		if a.Nodes, err = sp.parse(f.take(key), vpath, false); err != nil {
			return err
		}
	case actPartition:
		return sp.partition(s, a, f.take(key), vpath)
	case actCut:
		cf, err := sp.mapping(f.take(key), vpath)
		if err != nil {
			return err
		}
		fn, tn := cf.take("from"), cf.take("to")
		if fn == nil || tn == nil {
			return sp.errf(cf.node, vpath, "a cut needs from: and to: (datagrams from -> to are dropped)")
		}
		if a.From, err = sp.parse(fn, cf.sub("from"), true); err != nil {
			return err
		}
		if a.To, err = sp.parse(tn, cf.sub("to"), true); err != nil {
			return err
		}
		return cf.unknown("from", "to")
	case actHeal:
		v := f.take(key)
		if !(v.Kind == yaml.ScalarNode && (v.Tag == "!!null" || v.Value == "true" || v.Value == "all")) {
			return sp.errf(v, vpath, "heal removes every partition and cut; write heal: (nothing), heal: true or heal: all")
		}
		return nil
	case actNetwork:
		a.Net = &netPatch{}
		if nn := f.take("network"); nn != nil {
			a.Net.link, a.Net.links, a.Net.setLinks, err = sp.network(nn, vpath)
			return err
		}
		a.Net.link, err = sp.linkFields(f)
		return err
	}
	return sp.modifiers(a, f, path, started)
}

func (sp *selectorParser) modifiers(a *Action, f *fields, path string, started bitset) error {
	durOf := func(key string, dst *time.Duration) error {
		n := f.take(key)
		if n == nil {
			return nil
		}
		d, err := sp.duration(n, path+"."+key)
		*dst = time.Duration(d)
		return err
	}
	boolOf := func(key string, dst *bool) error {
		n := f.take(key)
		if n == nil {
			return nil
		}
		v, err := sp.boolean(n, path+"."+key)
		*dst = v
		return err
	}
	switch a.Kind {
	case actRestart:
		if err := boolOf("keep_state", &a.KeepState); err != nil {
			return err
		}
		if err := boolOf("new_address", &a.NewAddress); err != nil {
			return err
		}
		if a.KeepState && a.NewAddress {
			return sp.errf(f.vals["new_address"], path+".new_address", "a node that keeps its state keeps its address; use one of keep_state and new_address")
		}
	case actSlow:
		if !f.has("delay") {
			return sp.errf(f.node, path+".delay", "required: how late the slow node processes each datagram (0s makes it fast again)")
		}
		if err := durOf("delay", &a.Delay); err != nil {
			return err
		}
		if a.Delay > maxLatency {
			return sp.errf(f.vals["delay"], path+".delay", "at most %v", maxLatency)
		}
		if err := durOf("for", &a.For); err != nil {
			return err
		}
	case actJoin:
		if err := durOf("over", &a.Over); err != nil {
			return err
		}
		if a.Nodes.static() && a.Nodes.staticSet(sp.nodes).intersects(started) {
			return sp.errf(f.vals["join"], path+".join", "names nodes that already start at 0s (see start:); join only nodes that have not started")
		}
	case actRollingRestart:
		if !f.has("every") {
			return sp.errf(f.node, path+".every", "required: the time between two nodes' restarts")
		}
		if err := durOf("every", &a.Every); err != nil {
			return err
		}
		if a.Every <= 0 {
			return sp.errf(f.vals["every"], path+".every", "must be positive")
		}
		if err := durOf("down", &a.Down); err != nil {
			return err
		}
		if err := boolOf("keep_state", &a.KeepState); err != nil {
			return err
		}
	}
	return nil
}

func (sp *selectorParser) partition(s *Scenario, a *Action, n *yaml.Node, path string) error {
	if n.Kind != yaml.SequenceNode || len(n.Content) < 2 {
		return sp.errf(n, path, "want two or more node sets: [[0-99], [100-199]]")
	}
	seen := newBitset(s.Nodes)
	for i, c := range n.Content {
		gp := path + "[" + strconv.Itoa(i) + "]"
		sel, err := sp.parse(c, gp, true)
		if err != nil {
			return err
		}
		set := sel.staticSet(s.Nodes)
		if set.intersects(seen) {
			return sp.errf(c, gp, "overlaps an earlier side of the partition")
		}
		for w := range seen {
			seen[w] |= set[w]
		}
		a.Groups = append(a.Groups, sel)
	}
	return nil
}

func defaultLabel(a *Action) string {
	switch a.Kind {
	case actPartition:
		parts := make([]string, len(a.Groups))
		for i, g := range a.Groups {
			parts[i] = g.Text
		}
		return "partition " + strings.Join(parts, " | ")
	case actCut:
		return "cut " + a.From.Text + " -> " + a.To.Text
	case actHeal:
		return "heal"
	case actNetwork:
		if l := linkLabel(a.Net.link); l != "" {
			return l
		}
		return "network"
	case actSlow:
		if a.Delay == 0 {
			return "fast " + a.Nodes.Text
		}
		return "slow " + a.Nodes.Text + " +" + a.Delay.String()
	}
	return a.Kind.String() + " " + a.Nodes.Text
}
