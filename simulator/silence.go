package simulator

// silence follows, per node index, when a datagram it sent last reached a
// running node and when a datagram addressed to it last reached it. A death
// verdict about a live member is only justified by a long enough silence in
// one direction; the randomized fault-schedule test checks every false
// verdict against it.
type silence struct {
	lastOut, lastIn []int64
}

func newSilence(n int) *silence {
	return &silence{lastOut: make([]int64, n), lastIn: make([]int64, n)}
}

// delivered records a datagram from sender (-1 if no node owns its source
// address) reaching receiver at now.
func (s *silence) delivered(now int64, sender, receiver int32) {
	s.lastIn[receiver] = now
	if sender >= 0 {
		s.lastOut[sender] = now
	}
}

// FalseVerdict is one death verdict about a live member held by an observer
// the network joins to it both ways, with how long the member had been
// silent: no datagram to it delivered for SilentIn, none from it for
// SilentOut (nanoseconds of virtual time).
type FalseVerdict struct {
	At                  int64
	Observer, Member    int32
	SilentIn, SilentOut int64
}
