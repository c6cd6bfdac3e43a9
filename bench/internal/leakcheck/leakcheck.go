// Package leakcheck is goleak with patience, for the benchmark's tests:
// memberlist's probe goroutine outlives Shutdown until its ack timer fires,
// one probe interval stretched by Lifeguard's local health up to 8x, which
// is longer than goleak's own ~1 s of retries. Such goroutines must still
// end by themselves within the wait, or the test binary fails.
package leakcheck

import (
	"fmt"
	"os"
	"testing"
	"time"

	"go.uber.org/goleak"
)

// Wait is how long Main waits for goroutines to end after the tests.
const Wait = 10 * time.Second

// Main runs the tests, then fails the binary if goroutines are still
// running after Wait.
func Main(m *testing.M) {
	code := m.Run()
	if code == 0 {
		if err := Settled(Wait); err != nil {
			fmt.Fprintln(os.Stderr, "goleak:", err)
			code = 1
		}
	}
	os.Exit(code)
}

// Settled polls goleak.Find until it reports nothing or wait passes.
func Settled(wait time.Duration) error {
	deadline := time.Now().Add(wait)
	for {
		err := goleak.Find()
		if err == nil || time.Now().After(deadline) {
			return err
		}
		time.Sleep(100 * time.Millisecond)
	}
}
