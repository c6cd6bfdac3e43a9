package main

import (
	"os"
	"runtime"
	"runtime/pprof"
	"strconv"
	"testing"
	"time"

	"github.com/meshd/meshd/simulator"
)

func TestProf(t *testing.T) {
	sc, err := simulator.Load(os.Getenv("SIM"))
	if err != nil {
		t.Fatal(err)
	}
	if n, _ := strconv.Atoi(os.Getenv("NODES")); n > 0 {
		d, _ := time.ParseDuration(os.Getenv("DUR"))
		if sc, err = sc.Scaled(n, d); err != nil {
			t.Fatal(err)
		}
	}
	opt := simulator.Options{}
	if hp := os.Getenv("HEAPAT"); hp != "" {
		at, _ := time.ParseDuration(hp)
		done := false
		opt.Progress = func(now, end time.Duration, ev uint64) {
			if !done && now >= at {
				done = true
				runtime.GC()
				f, _ := os.Create("/tmp/simt/heap.out")
				pprof.WriteHeapProfile(f)
				f.Close()
			}
		}
		opt.ProgressEvery = 4096
		opt.Abort = func() error {
			if done {
				return os.ErrDeadlineExceeded
			}
			return nil
		}
	}
	r, err := simulator.Run(sc, opt)
	if err != nil {
		t.Fatal(err)
	}
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	t.Logf("events %d wall %.1f ev/s %.0f converged %v heapsys %d MiB", r.Events, r.WallSeconds, r.EventsPerWallSecond, r.ConvergedAtS, ms.HeapSys>>20)
}
