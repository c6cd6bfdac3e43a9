package mesh

import "github.com/meshd/meshd/internal/clock"

// SetClock makes a Mesh built from c read the time and set its timers on
// clk, for tests that advance a fake clock instead of sleeping.
func SetClock(c *Config, clk clock.Clock) { c.clock = clk }
