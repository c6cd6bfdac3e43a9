package simulator

import (
	"fmt"
	"io"
	"os"
	"strings"
	"time"
)

// progressBar draws simulated time and wall rate. On a terminal it redraws
// one line a few times a second; elsewhere (CI logs) it prints a line per
// tenth of the run, or every 30 seconds of a slow one, so logs stay short.
type progressBar struct {
	w        io.Writer
	clock    func() time.Time
	tty      bool
	started  time.Time
	lastDraw time.Time
	lastStep int
	drawn    bool
}

func newProgressBar(w io.Writer, clock func() time.Time) *progressBar {
	tty := false
	if f, ok := w.(*os.File); ok {
		if fi, err := f.Stat(); err == nil && fi.Mode()&os.ModeCharDevice != 0 {
			tty = true
		}
	}
	now := clock()
	return &progressBar{w: w, clock: clock, tty: tty, started: now, lastDraw: now, lastStep: -1}
}

func (b *progressBar) update(simNow, end time.Duration, events uint64) {
	now := b.clock()
	frac := 1.0
	if end > 0 {
		frac = float64(simNow) / float64(end)
	}
	if b.tty {
		if now.Sub(b.lastDraw) < 200*time.Millisecond && frac < 1 {
			return
		}
		b.lastDraw = now
		fmt.Fprintf(b.w, "\r%s", b.line(simNow, end, events, frac, now))
		b.drawn = true
		return
	}
	step := int(frac * 10)
	if step == b.lastStep && now.Sub(b.lastDraw) < 30*time.Second {
		return
	}
	b.lastStep, b.lastDraw = step, now
	fmt.Fprintln(b.w, b.line(simNow, end, events, frac, now))
}

func (b *progressBar) line(simNow, end time.Duration, events uint64, frac float64, now time.Time) string {
	const width = 30
	filled := int(frac * width)
	filled = min(max(filled, 0), width)
	wall := now.Sub(b.started).Seconds()
	rate, evRate := 0.0, 0.0
	if wall > 0 {
		rate = simNow.Seconds() / wall
		evRate = float64(events) / wall
	}
	return fmt.Sprintf("[%s%s] %7.1fs / %.0fs simulated  %6.2fx real time  %s events/s ",
		strings.Repeat("=", filled), strings.Repeat(" ", width-filled),
		simNow.Seconds(), end.Seconds(), rate, humanCount(evRate))
}

func (b *progressBar) finish() {
	if b.tty && b.drawn {
		fmt.Fprintln(b.w)
	}
}

// humanCount renders 1234567 as 1.23M.
func humanCount(v float64) string {
	switch {
	case v >= 1e9:
		return fmt.Sprintf("%.2fG", v/1e9)
	case v >= 1e6:
		return fmt.Sprintf("%.2fM", v/1e6)
	case v >= 1e3:
		return fmt.Sprintf("%.1fk", v/1e3)
	}
	return fmt.Sprintf("%.0f", v)
}

// humanBytes renders a byte count with a binary unit.
func humanBytes(v float64) string {
	switch {
	case v >= 1<<30:
		return fmt.Sprintf("%.2f GiB", v/(1<<30))
	case v >= 1<<20:
		return fmt.Sprintf("%.2f MiB", v/(1<<20))
	case v >= 1<<10:
		return fmt.Sprintf("%.1f KiB", v/(1<<10))
	}
	return fmt.Sprintf("%.0f B", v)
}
