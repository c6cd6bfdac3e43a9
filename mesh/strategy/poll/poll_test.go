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

func start(t *testing.T, p *Poller, found func([]string)) (stop func()) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
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

func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

func TestFirstPollAtOnceNormalizedAndRepeated(t *testing.T) {
	s := &script{}
	s.set([]string{" b:1 ", "a:1", "", "b:1"}, nil)
	// A long interval: the first poll must not wait for it.
	p := New(Options{Name: "t", Interval: time.Hour, Logger: quiet(), Seed: 1}, s.poll)
	r := newRecorder()
	stop := start(t, p, r.found)
	got := r.next(t)
	stop()
	if want := []string{"a:1", "b:1"}; !slices.Equal(got, want) {
		t.Fatalf("found %q, want %q (sorted, trimmed, de-duplicated)", got, want)
	}
	st := p.Stats()
	if st.Polls != 1 || st.Errors != 0 || st.Seeds != 2 || st.LastSuccess.IsZero() || st.LastError != "" {
		t.Fatalf("stats %+v, want 1 poll, 0 errors, 2 seeds, a success time", st)
	}

	// Every successful poll delivers the list, changed or not, so the mesh
	// re-joins it (partition healing).
	p2 := New(Options{Name: "t", Interval: 10 * time.Millisecond, Logger: quiet()}, s.poll)
	r2 := newRecorder()
	stop2 := start(t, p2, r2.found)
	for range 3 {
		if got := r2.next(t); !slices.Equal(got, []string{"a:1", "b:1"}) {
			t.Fatalf("repeat found %q", got)
		}
	}
	stop2()
}

func TestFailureKeepsLastListAndRecovers(t *testing.T) {
	s := &script{}
	s.set([]string{"a:1"}, nil)
	p := New(Options{Name: "t", Interval: 10 * time.Millisecond, MaxBackoff: 40 * time.Millisecond, Logger: quiet()}, s.poll)
	r := newRecorder()
	stop := start(t, p, r.found)
	defer stop()
	r.next(t)

	s.set([]string{"should-not-appear:1"}, errors.New("servfail"))
	waitFor(t, "three errors", func() bool { return p.Stats().Errors >= 3 })
	r.mu.Lock()
	for _, l := range r.lists {
		if slices.Contains(l, "should-not-appear:1") {
			r.mu.Unlock()
			t.Fatalf("a failed poll's list was delivered: %q", l)
		}
	}
	r.mu.Unlock()
	st := p.Stats()
	if st.LastError != "servfail" || st.Seeds != 1 {
		t.Fatalf("stats during failure %+v, want LastError servfail and the last good 1 seed", st)
	}
	if got := p.Last(); !slices.Equal(got, []string{"a:1"}) {
		t.Fatalf("Last() = %q during failure, want the last good list", got)
	}

	s.set([]string{"c:1"}, nil)
	waitFor(t, "recovery", func() bool { return slices.Equal(p.Last(), []string{"c:1"}) })
	if p.Stats().LastError != "" {
		t.Fatalf("LastError %q after recovery, want empty", p.Stats().LastError)
	}
}

func TestEmptyAnswerKeepsLastList(t *testing.T) {
	s := &script{}
	s.set([]string{"a:1"}, nil)
	p := New(Options{Name: "t", Interval: 10 * time.Millisecond, MaxBackoff: 20 * time.Millisecond, Logger: quiet()}, s.poll)
	r := newRecorder()
	stop := start(t, p, r.found)
	defer stop()
	r.next(t)
	s.set(nil, nil)
	waitFor(t, "an empty poll counted as an error", func() bool { return p.Stats().Errors >= 2 })
	if st := p.Stats(); st.LastError != ErrNoAddresses.Error() || st.Seeds != 1 {
		t.Fatalf("stats %+v, want LastError %q and 1 seed kept", st, ErrNoAddresses)
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
	stop := start(t, p, r.found)
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
	p := New(Options{Name: "t", Interval: time.Hour, MaxBackoff: time.Hour, Logger: quiet()}, s.poll)
	stop := start(t, p, func([]string) { t.Error("found called after a panic") })
	waitFor(t, "the panic counted", func() bool { return p.Stats().Errors == 1 })
	stop()
}

func TestConcurrentRunRefused(t *testing.T) {
	s := &script{}
	s.set([]string{"a:1"}, nil)
	p := New(Options{Name: "t", Interval: time.Hour, Logger: quiet()}, s.poll)
	r := newRecorder()
	stop := start(t, p, r.found)
	r.next(t)
	if err := p.Run(context.Background(), r.found); err == nil {
		t.Fatal("second concurrent Run returned nil, want an error")
	}
	stop()
	// Sequential reuse works (mesh.SetStrategies restarts strategies).
	stop = start(t, p, r.found)
	r.next(t)
	stop()
	if err := p.Run(context.Background(), nil); err == nil {
		t.Fatal("Run with nil found returned nil")
	}
}

func TestWait(t *testing.T) {
	s := &script{}
	s.set(nil, errors.New("down"))
	p := New(Options{Name: "t", Interval: 10 * time.Millisecond, MaxBackoff: 20 * time.Millisecond, Logger: quiet()}, s.poll)
	stop := start(t, p, func([]string) {})
	defer stop()
	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	err := p.Wait(ctx)
	cancel()
	if err == nil {
		t.Fatal("Wait returned nil while every poll fails")
	}
	s.set([]string{"a:1"}, nil)
	ctx, cancel = context.WithTimeout(context.Background(), 10*time.Second)
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
	stop := start(t, p, func([]string) {})
	<-entered
	stop()
	if st := p.Stats(); st.Errors != 0 {
		t.Fatalf("cancel mid-poll counted as %d errors", st.Errors)
	}
}

func TestTimeoutBoundsAPoll(t *testing.T) {
	f := func(ctx context.Context) ([]string, error) {
		<-ctx.Done()
		return nil, ctx.Err()
	}
	p := New(Options{Name: "t", Timeout: 20 * time.Millisecond, MaxBackoff: time.Hour, Logger: quiet()}, f)
	stop := start(t, p, func([]string) {})
	waitFor(t, "a timed-out poll", func() bool { return p.Stats().Errors >= 1 })
	stop()
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
