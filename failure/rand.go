package failure

// Rand is the random source the detector draws probe order and helpers
// from. The caller injects a seeded one (a *math/rand.Rand satisfies it), so
// the same seed and inputs give the same trace; the detector never touches a
// global source.
type Rand interface {
	Intn(n int) int
	Shuffle(n int, swap func(i, j int))
}
