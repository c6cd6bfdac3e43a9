package simulator

import "sort"

// falsePositives follows death verdicts about live members. A verdict by
// observer o about live member m is false when the network joins o and m
// both ways at that moment; across a partition or cut it is what the
// detector should do and is only counted (partitionVerdicts).
//
// An episode is one stretch of a live member being held dead by at least
// one live node: it opens at the first false verdict and closes when every
// holder sees the member alive again (or the member crashes or leaves).
type falsePositives struct {
	holding  map[uint64]struct{} // observer<<32 | member, currently held dead
	episodes map[int32]*fpEpisode
	closed   []FalsePositive

	verdicts          int
	partitionVerdicts int
}

type fpEpisode struct {
	member   int32
	start    int64
	holders  int
	verdicts int
}

func newFalsePositives() *falsePositives {
	return &falsePositives{holding: map[uint64]struct{}{}, episodes: map[int32]*fpEpisode{}}
}

func pairKey(obs, m int32) uint64 { return uint64(uint32(obs))<<32 | uint64(uint32(m)) }

// dead records observer obs declaring live member m dead.
func (f *falsePositives) dead(now int64, obs, m int32, reachable bool) {
	if !reachable {
		f.partitionVerdicts++
		return
	}
	f.verdicts++
	k := pairKey(obs, m)
	if _, ok := f.holding[k]; ok {
		return
	}
	f.holding[k] = struct{}{}
	ep := f.episodes[m]
	if ep == nil {
		ep = &fpEpisode{member: m, start: now}
		f.episodes[m] = ep
	}
	ep.holders++
	ep.verdicts++
}

// alive records observer obs seeing m alive again.
func (f *falsePositives) alive(now int64, obs, m int32) {
	if len(f.holding) == 0 {
		return
	}
	k := pairKey(obs, m)
	if _, ok := f.holding[k]; !ok {
		return
	}
	delete(f.holding, k)
	f.release(now, m)
}

func (f *falsePositives) release(now int64, m int32) {
	ep := f.episodes[m]
	if ep == nil {
		return
	}
	ep.holders--
	if ep.holders <= 0 {
		f.close(now, ep, false)
	}
}

func (f *falsePositives) close(now int64, ep *fpEpisode, open bool) {
	delete(f.episodes, ep.member)
	f.closed = append(f.closed, FalsePositive{
		Node: int(ep.member), AtS: float64(ep.start) / 1e9, Seconds: float64(now-ep.start) / 1e9,
		Verdicts: ep.verdicts, OpenAtEnd: open,
	})
}

// gone: node x crashed or left. Episodes about x end (it is no longer
// live); verdicts x held about others no longer count.
func (f *falsePositives) gone(now int64, x int32) {
	if len(f.holding) == 0 {
		return
	}
	for k := range f.holding {
		obs, m := int32(k>>32), int32(uint32(k))
		if m == x {
			delete(f.holding, k)
		} else if obs == x {
			delete(f.holding, k)
			f.release(now, m)
		}
	}
	if ep := f.episodes[x]; ep != nil {
		f.close(now, ep, false)
	}
}

// active is the number of live members currently held dead somewhere.
func (f *falsePositives) active() int { return len(f.episodes) }

// finish closes the open episodes at the end of the run, flagged: these
// are live members some node still believes dead.
func (f *falsePositives) finish(end int64) []FalsePositive {
	open := make([]*fpEpisode, 0, len(f.episodes))
	for _, ep := range f.episodes {
		open = append(open, ep)
	}
	for _, ep := range open {
		f.close(end, ep, true)
	}
	// Map iteration above varies between runs; the report must not.
	sort.Slice(f.closed, func(i, j int) bool {
		a, b := f.closed[i], f.closed[j]
		if a.AtS != b.AtS {
			return a.AtS < b.AtS
		}
		return a.Node < b.Node
	})
	return f.closed
}
