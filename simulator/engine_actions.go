package simulator

import "fmt"

// runtimeAction is a timeline action as queued: one from the scenario (src),
// or one the engine derived (the steps of a rolling restart, the end of a
// slow period), which carries its nodes already resolved.
type runtimeAction struct {
	src       *Action
	kind      actionKind
	label     string
	nodes     []int32 // derived actions only
	keepState bool
	delay     int64
}

func (e *engine) addAction(a *runtimeAction, at int64) {
	e.actions = append(e.actions, a)
	e.q.push(event{at: at, kind: evAction, to: int32(len(e.actions) - 1)})
}

// eligibility of nodes for each action, applied before random picks.
func (e *engine) eligible(k actionKind) func(int32) bool {
	switch k {
	case actRestart:
		return func(i int32) bool { s := e.nodes[i].status; return s == statusCrashed || s == statusLeft }
	case actJoin:
		return func(i int32) bool { return e.nodes[i].status == statusPending }
	}
	return func(i int32) bool { return e.nodes[i].status == statusLive }
}

// targets resolves an action's nodes now. Nodes the selector names that
// are not eligible (restarting a live node, say) are skipped with a warning.
func (e *engine) targets(a *runtimeAction) []int32 {
	if a.src == nil {
		return a.nodes
	}
	status := make([]nodeStatus, len(e.nodes))
	for i := range e.nodes {
		status[i] = e.nodes[i].status
	}
	el := e.eligible(a.kind)
	got := a.src.Nodes.resolve(len(e.nodes), status, el, e.pick)
	if a.src.Nodes.static() {
		all := a.src.Nodes.resolve(len(e.nodes), status, func(int32) bool { return true }, e.pick)
		if skipped := len(all) - len(got); skipped > 0 {
			e.warnf("%s (line %d): %d of %d named nodes are not in a state it applies to; skipped", a.label, a.src.Line, skipped, len(all))
		}
	}
	return got
}

func (e *engine) apply(a *runtimeAction) {
	e.tr.add(4, uint64(e.now), uint64(a.kind), 0, 0, 0)
	// The windows of earlier actions close before this one changes the
	// cluster: a restart or crash makes views wrong at once, and the
	// earlier action's figure must not see that.
	if a.src != nil {
		e.m.settle(e.now)
	}
	affected := 0
	switch a.kind {
	case actCrash:
		for _, x := range e.targets(a) {
			if e.crash(x) {
				affected++
			}
		}
	case actLeave:
		for _, x := range e.targets(a) {
			if e.leave(x) {
				affected++
			}
		}
	case actRestart:
		keep, newAddr := a.keepState, false
		if a.src != nil {
			keep, newAddr = a.src.KeepState, a.src.NewAddress
		}
		for _, x := range e.targets(a) {
			if e.restart(x, keep, newAddr) {
				affected++
			}
			if e.err != nil {
				return
			}
		}
	case actSlow:
		delay := a.delay
		if a.src != nil {
			delay = int64(a.src.Delay)
		}
		nodes := e.targets(a)
		for _, x := range nodes {
			e.nodes[x].slow = delay
			affected++
		}
		if a.src != nil && a.src.For > 0 && delay > 0 {
			e.addAction(&runtimeAction{kind: actSlow, label: "fast " + a.src.Nodes.Text, nodes: nodes}, e.now+int64(a.src.For))
		}
	case actJoin:
		nodes := e.targets(a)
		e.staggerStarts(nodes, int64(a.src.Over), 0)
		affected = len(nodes)
	case actRollingRestart:
		nodes := e.targets(a)
		every, down := int64(a.src.Every), int64(a.src.Down)
		for k, x := range nodes {
			at := e.now + int64(k)*every
			name := e.names[x]
			e.addAction(&runtimeAction{kind: actCrash, label: "stop " + name, nodes: []int32{x}}, at)
			e.addAction(&runtimeAction{kind: actRestart, label: "start " + name, nodes: []int32{x}, keepState: a.src.KeepState}, at+down)
		}
		affected = len(nodes)
	case actPartition:
		sides := make([]bitset, len(a.src.Groups))
		for i, g := range a.src.Groups {
			sides[i] = g.staticSet(len(e.nodes))
		}
		e.nw.partition(sides)
	case actCut:
		e.nw.cut(a.src.From.staticSet(len(e.nodes)), a.src.To.staticSet(len(e.nodes)))
	case actHeal:
		e.nw.heal()
	case actNetwork:
		e.nw.change(a.src.Net)
	}
	if a.src != nil {
		label := a.label
		if affected > 0 && a.kind != actPartition && a.kind != actCut {
			label = fmt.Sprintf("%s (%d nodes)", a.label, affected)
		}
		e.m.action(e.now, label, a.src.Line)
	}
}
