package harness

import (
	"fmt"
	"time"
)

// Params are the scenario knobs; zero durations mean "derive from the
// profile and the cluster size", as Resolve does.
type Params struct {
	Kill         int           // detect: nodes stopped abruptly (k)
	Loss         float64       // loss: end-to-end datagram loss (X, 0..1)
	LossDuration time.Duration // loss: how long the loss lasts (T)
	Settle       time.Duration // steady: quiet time before the window
	Window       time.Duration // steady: window (T); 0: one push-pull period, at least 30 s
	ChurnTime    time.Duration // churn: how long nodes keep leaving and joining (T)
	ChurnEvery   time.Duration // churn: one leave and one join this often
	Poll         time.Duration // suspicion polling interval
	// Timeout bounds every wait for convergence; 0 derives it from the
	// profile (several push-pull periods and suspicion timeouts).
	Timeout time.Duration
}

// DefaultParams are the defaults of the command's flags.
func DefaultParams() Params {
	return Params{
		Kill: 3, Loss: 0.10, LossDuration: 30 * time.Second,
		Settle: 15 * time.Second, ChurnTime: 30 * time.Second, ChurnEvery: 2 * time.Second,
		Poll: 25 * time.Millisecond,
	}
}

// Validate names the first bad knob.
func (p Params) Validate() error {
	switch {
	case p.Kill < 1:
		return fmt.Errorf("kill: %d, want at least 1", p.Kill)
	case p.Loss < 0 || p.Loss >= 1:
		return fmt.Errorf("loss: %v, want a fraction in [0, 1)", p.Loss)
	case p.LossDuration <= 0:
		return fmt.Errorf("loss duration: %v, want positive", p.LossDuration)
	case p.Settle < 0 || p.Window < 0 || p.Timeout < 0:
		return fmt.Errorf("settle, window and timeout must not be negative")
	case p.ChurnTime <= 0 || p.ChurnEvery <= 0 || p.ChurnEvery > p.ChurnTime:
		return fmt.Errorf("churn: every %v for %v, want 0 < every <= time", p.ChurnEvery, p.ChurnTime)
	case p.Poll <= 0:
		return fmt.Errorf("poll: %v, want positive", p.Poll)
	}
	return nil
}

// window is the steady window at n nodes: one full push-pull period of the
// largest stretch memberlist applies, so memberlist's TCP state exchange is
// inside it, and never under 30 s.
func (p Params) window(prof Profile, n int) time.Duration {
	if p.Window > 0 {
		return p.Window
	}
	return max(30*time.Second, prof.PushPullPeriod(n))
}

// timeout bounds convergence waits at n nodes: three push-pull periods (the
// slowest repair path any system has) plus two maximal suspicion timeouts,
// plus time to start n nodes on a busy machine.
func (p Params) timeout(prof Profile, n int) time.Duration {
	if p.Timeout > 0 {
		return p.Timeout
	}
	return 3*prof.PushPullPeriod(n) + 2*prof.SuspicionMax(n) + time.Duration(n)*100*time.Millisecond + 10*time.Second
}
