package failure

// Rand is the random source the detector draws indirect-probe helpers
// from (the probe order itself is the ring's, not random). The caller injects a seeded one (a *math/rand.Rand satisfies it), so
// the same seed and inputs give the same trace; the detector never touches a
// global source.
type Rand interface {
	Intn(n int) int
}
