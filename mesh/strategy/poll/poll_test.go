package poll

import (
	"context"
	"errors"
	"log/slog"
	"slices"
	"sync"
	"testing"
	"time"

	"go.uber.org/goleak"

	"github.com/meshd/meshd/internal/clock"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

// script is a Func whose answers the test sets between polls.
type script struct {
	mu    sync.Mutex
	list  []string
	err   error
	calls int
	panic bool
}

func (s *script) set(list []string, err error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.list, s.err = list, err
}

func (s *script) poll(ctx context.Context) ([]string, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.calls++
	if s.panic {
		panic("boom")
	}
	return slices.Clone(s.list), s.err
}

// recorder collects found calls.
type recorder struct {
	mu    sync.Mutex
	lists [][]string
	ch    chan []string
}

func newRecorder() *recorder { return &recorder{ch: make(chan []string, 1024)} }

func (r *recorder) found(l []string) {
	r.mu.Lock()
	r.lists = append(r.lists, l)
	r.mu.Unlock()
	r.ch <- l
}

func (r *recorder) next(t *testing.T) []string {
	t.Helper()
	select {
	case l := <-r.ch:
		return l
	case <-time.After(10 * time.Second):
		t.Fatal("found was not called within 10s")
		return nil
	}
}

func quiet() *slog.Logger { return slog.New(slog.DiscardHandler) }

var epoch = time.Date(2000, 1, 1, 0, 0, 0, 0, time.UTC)

// start runs p on the fake clock fc until the returned stop is called.
func start(t *testing.T, p *Poller, fc *clock.Fake, found func([]string)) (stop func()) {
	t.Helper()
	ctx, cancel := context.WithCancel(clock.NewContext(context.Background(), fc))
	done := make(chan error, 1)
	go func() { done <- p.Run(ctx, found) }()
	return func() {
		cancel()
		select {
		case err := <-done:
			if err != nil {
				t.Errorf("Run returned %v after cancel, want nil", err)
			}
		case <-time.After(10 * time.Second):
			t.Fatal("Run did not return within 10s of cancel")
		}
	}
}

// parked waits until the poller finished its poll and waits on its timer.
func parked(t *testing.T, fc *clock.Fake) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := fc.BlockUntil(ctx, 1); err != nil {
		t.Fatalf("the poller did not wait on its timer: %v", err)
	}
}

// waits waits until the poller waits on its timer, advances fc to that
// timer's deadline and returns how long the poller chose to wait.
func waits(t *testing.T, fc *clock.Fake) time.Duration {
	t.Helper()
	parked(t, fc)
	d, _ := fc.Next()
	fc.Advance(d)
	return d
}

func (s *script) callCount() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.calls
}

func TestFirstPollAtOnceNormalizedAndRepeated(t *testing.T) {
	s := &script{}
	s.set([]string{" b:1 ", "a:1", "", "b:1"}, nil)
	fc := clock.NewFake(epoch)
	// A long interval: the first poll must not wait for it.
	p := New(Options{Name: "t", Interval: time.Hour, Logger: quiet(), Seed: 1}, s.poll)
	r := newRecorder()
	stop := start(t, p, fc, r.found)
	got := r.next(t)
	stop()
	if want := []string{"a:1", "b:1"}; !slices.Equal(got, want) {
		t.Fatalf("found %q, want %q (sorted, trimmed, de-duplicated)", got, want)
	}
	st := p.Stats()
	if st.Polls != 1 || st.Errors != 0 || st.Seeds != 2 || !st.LastSuccess.Equal(epoch) || st.LastError != "" {
		t.Fatalf("stats %+v, want 1 poll, 0 errors, 2 seeds, a success at %v", st, epoch)
	}

	// Every successful poll delivers the list, changed or not, so the mesh
	// re-joins it (partition healing); never before 90% of the interval.
	s2 := &script{}
	s2.set([]string{"a:1", "b:1"}, nil)
	p2 := New(Options{Name: "t", Interval: time.Second, Logger: quiet()}, s2.poll)
	r2 := newRecorder()
	stop2 := start(t, p2, fc, r2.found)
	defer stop2()
	r2.next(t)
	for range 3 {
		if d := waits(t, fc); d < 900*time.Millisecond || d > 1100*time.Millisecond {
			t.Fatalf("next poll in %v, want the interval of 1s ± 10%%", d)
		}
		if got := r2.next(t); !slices.Equal(got, []string{"a:1", "b:1"}) {
			t.Fatalf("repeat found %q", got)
		}
	}
}

func TestFailureKeepsLastListAndRecovers(t *testing.T) {
	s := &script{}
	s.set([]string{"a:1"}, nil)
	fc := clock.NewFake(epoch)
	p := New(Options{Name: "t", Interval: 10 * time.Millisecond, MaxBackoff: 40 * time.Millisecond, Logger: quiet()}, s.poll)
	r := newRecorder()
	stop := start(t, p, fc, r.found)
	defer stop()
	r.next(t)
	s.set([]string{"should-not-appear:1"}, errors.New("servfail"))
	for range 3 {
		waits(t, fc)
	}
	parked(t, fc)
	if st := p.Stats(); st.Errors != 3 || st.LastError != "servfail" || st.Seeds != 1 {
		t.Fatalf("stats during failure %+v, want 3 errors, LastError servfail and the last good 1 seed", st)
	}
	r.mu.Lock()
	delivered := len(r.lists)
	r.mu.Unlock()
	if delivered != 1 {
		t.Fatalf("%d lists delivered, want only the first: a failed poll's list was delivered", delivered)
	}
	if got := p.Last(); !slices.Equal(got, []string{"a:1"}) {
		t.Fatalf("Last() = %q during failure, want the last good list", got)
	}

	s.set([]string{"c:1"}, nil)
	waits(t, fc)
	if got := r.next(t); !slices.Equal(got, []string{"c:1"}) {
		t.Fatalf("recovered with %q, want [c:1]", got)
	}
	if p.Stats().LastError != "" {
		t.Fatalf("LastError %q after recovery, want empty", p.Stats().LastError)
	}
}

// After a failure the retries back off: the first within a second (the
// interval is an hour), each later one up to twice as late, none beyond
// MaxBackoff, and never sooner than half its ceiling (equal jitter).
func TestFailuresBackOffOnTheClock(t *testing.T) {
	s := &script{}
	s.set(nil, errors.New("down"))
	fc := clock.NewFake(epoch)
	p := New(Options{Name: "t", Interval: time.Hour, MaxBackoff: 8 * time.Second, Logger: quiet(), Seed: 1}, s.poll)
	stop := start(t, p, fc, func([]string) {})
	defer stop()
	for n := 1; n <= 6; n++ {
		ceil := min(time.Second<<(n-1), 8*time.Second)
		if d := waits(t, fc); d < ceil/2 || d > ceil {
			t.Fatalf("retry %d after %v, want within [%v, %v]", n, d, ceil/2, ceil)
		}
	}
	parked(t, fc)
	if got := s.callCount(); got != 7 {
		t.Fatalf("%d polls, want the first and 6 retries", got)
	}
}

func TestEmptyAnswerKeepsLastList(t *testing.T) {
	s := &script{}
	s.set([]string{"a:1"}, nil)
	fc := clock.NewFake(epoch)
	p := New(Options{Name: "t", Interval: 10 * time.Millisecond, MaxBackoff: 20 * time.Millisecond, Logger: quiet()}, s.poll)
	r := newRecorder()
	stop := start(t, p, fc, r.found)
	defer stop()
	r.next(t)
	s.set(nil, nil)
	waits(t, fc)
	waits(t, fc)
	parked(t, fc)
	if st := p.Stats(); st.Errors != 2 || st.LastError != ErrNoAddresses.Error() || st.Seeds != 1 {
		t.Fatalf("stats %+v, want 2 errors, LastError %q and 1 seed kept", st, ErrNoAddresses)
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	for _, l := range r.lists {
		if len(l) == 0 {
			t.Fatal("an empty list was delivered")
		}
	}
}

func TestPartialIsDeliveredAndCounted(t *testing.T) {
	s := &script{}
	s.set([]string{"a:1"}, Partial(errors.New("name b did not resolve")))
	p := New(Options{Name: "t", Interval: time.Hour, Logger: quiet()}, s.poll)
	r := newRecorder()
	stop := start(t, p, clock.NewFake(epoch), r.found)
	got := r.next(t)
	stop()
	if !slices.Equal(got, []string{"a:1"}) {
		t.Fatalf("found %q", got)
	}
	st := p.Stats()
	if st.Errors != 1 || st.LastSuccess.IsZero() || st.Seeds != 1 {
		t.Fatalf("stats %+v, want 1 error, a success and 1 seed", st)
	}
	var pe *PartialError
	if !errors.As(Partial(errors.New("x")), &pe) || Partial(nil) != nil {
		t.Fatal("Partial does not wrap as documented")
	}
}

func TestPanicIsAFailure(t *testing.T) {
	s := &script{panic: true}
	fc := clock.NewFake(epoch)
	p := New(Options{Name: "t", Interval: time.Hour, MaxBackoff: time.Hour, Logger: quiet()}, s.poll)
	stop := start(t, p, fc, func([]string) { t.Error("found called after a panic") })
	parked(t, fc)
	if st := p.Stats(); st.Errors != 1 {
		t.Fatalf("%d errors after a panicking poll, want 1", st.Errors)
	}
	stop()
}

func TestConcurrentRunRefused(t *testing.T) {
	s := &script{}
	s.set([]string{"a:1"}, nil)
	fc := clock.NewFake(epoch)
	p := New(Options{Name: "t", Interval: time.Hour, Logger: quiet()}, s.poll)
	r := newRecorder()
	stop := start(t, p, fc, r.found)
	r.next(t)
	if err := p.Run(context.Background(), r.found); err == nil {
		t.Fatal("second concurrent Run returned nil, want an error")
	}
	stop()
	// Sequential reuse works (mesh.SetStrategies restarts strategies).
	stop = start(t, p, fc, r.found)
	r.next(t)
	stop()
	if err := p.Run(context.Background(), nil); err == nil {
		t.Fatal("Run with nil found returned nil")
	}
}

func TestWait(t *testing.T) {
	s := &script{}
	s.set(nil, errors.New("down"))
	fc := clock.NewFake(epoch)
	p := New(Options{Name: "t", Interval: 10 * time.Millisecond, MaxBackoff: 20 * time.Millisecond, Logger: quiet()}, s.poll)
	stop := start(t, p, fc, func([]string) {})
	defer stop()
	parked(t, fc) // the first poll failed
	ended, cancel := context.WithCancel(context.Background())
	cancel()
	if err := p.Wait(ended); err == nil {
		t.Fatal("Wait returned nil while every poll fails")
	}
	s.set([]string{"a:1"}, nil)
	waits(t, fc)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := p.Wait(ctx); err != nil {
		t.Fatalf("Wait after a success: %v", err)
	}
}

func TestCancelMidPollIsNotAFailure(t *testing.T) {
	entered := make(chan struct{})
	f := func(ctx context.Context) ([]string, error) {
		close(entered)
		<-ctx.Done()
		return nil, ctx.Err()
	}
	p := New(Options{Name: "t", Logger: quiet()}, f)
	stop := start(t, p, clock.NewFake(epoch), func([]string) {})
	<-entered
	stop()
	if st := p.Stats(); st.Errors != 0 {
		t.Fatalf("cancel mid-poll counted as %d errors", st.Errors)
	}
}

func TestTimeoutBoundsAPoll(t *testing.T) {
	entered := make(chan struct{}, 1)
	f := func(ctx context.Context) ([]string, error) {
		entered <- struct{}{}
		<-ctx.Done()
		return nil, ctx.Err()
	}
	fc := clock.NewFake(epoch)
	p := New(Options{Name: "t", Timeout: 20 * time.Millisecond, MaxBackoff: time.Hour, Logger: quiet()}, f)
	stop := start(t, p, fc, func([]string) {})
	defer stop()
	<-entered
	fc.Advance(19 * time.Millisecond)
	if p.Stats().Polls != 0 {
		t.Fatal("the poll ended before its timeout")
	}
	fc.Advance(time.Millisecond)
	parked(t, fc)
	if st := p.Stats(); st.Errors != 1 || st.LastError != context.DeadlineExceeded.Error() {
		t.Fatalf("stats %+v, want 1 error, %q", st, context.DeadlineExceeded)
	}
}

func TestRecord(t *testing.T) {
	p := New(Options{Name: "watch", Logger: quiet()}, nil)
	p.Record(0, errors.New("watch broke"))
	p.Record(3, nil)
	st := p.Stats()
	if st.Polls != 2 || st.Errors != 1 || st.Seeds != 3 || st.LastError != "" || st.LastSuccess.IsZero() {
		t.Fatalf("stats %+v", st)
	}
	if err := p.Wait(context.Background()); err != nil {
		t.Fatalf("Wait after Record success: %v", err)
	}
	if err := p.Run(context.Background(), func([]string) {}); err == nil {
		t.Fatal("Run without a Func returned nil")
	}
}
