package main

import (
	"fmt"
	"io"
	"os"
	"sync"
	"time"

	"github.com/meshd/meshd/bench/harness"
)

// progress prints one status line per phase: rewritten in place on a
// terminal, one line each otherwise (a log file of a background run).
type progress struct {
	mu   sync.Mutex
	w    io.Writer
	tty  bool
	last string
}

func newProgress(w io.Writer) *progress {
	p := &progress{w: w}
	if f, ok := w.(*os.File); ok {
		if st, err := f.Stat(); err == nil && st.Mode()&os.ModeCharDevice != 0 {
			p.tty = true
		}
	}
	return p
}

func (p *progress) update(pr harness.Progress) {
	p.mu.Lock()
	defer p.mu.Unlock()
	pct := 0
	if pr.Steps > 0 {
		pct = 100 * pr.Step / pr.Steps
	}
	eta := "?"
	if pr.Step > 0 {
		left := time.Duration(float64(pr.Elapsed) / float64(pr.Step) * float64(pr.Steps-pr.Step))
		eta = "~" + left.Round(time.Second).String()
	}
	var line string
	if pr.Phase == "done" {
		line = fmt.Sprintf("[%d/%d 100%% %s] done", pr.Steps, pr.Steps, pr.Elapsed.Round(time.Second))
	} else {
		line = fmt.Sprintf("[%d/%d %3d%% %s elapsed, %s left] N=%d run %d/%d %s: %s",
			pr.Step, pr.Steps, pct, pr.Elapsed.Round(time.Second), eta, pr.Nodes, pr.Run, pr.Runs, pr.System, pr.Phase)
	}
	p.print(line)
}

// note prints a message on its own line, keeping the status line.
func (p *progress) note(msg string) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.tty {
		fmt.Fprintf(p.w, "\r\033[K%s\n%s", msg, p.last)
		return
	}
	fmt.Fprintln(p.w, msg)
}

func (p *progress) print(line string) {
	p.last = line
	if p.tty {
		fmt.Fprintf(p.w, "\r\033[K%s", line)
		return
	}
	fmt.Fprintln(p.w, line)
}

func (p *progress) done() {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.tty && p.last != "" {
		fmt.Fprintln(p.w)
	}
}
