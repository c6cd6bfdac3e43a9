package kubernetes

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"net"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"time"

	"github.com/meshd/meshd/internal/clock"
	"github.com/meshd/meshd/mesh/strategy/poll"
)

// Watch tuning. The server ends a watch after timeoutSeconds; a random value
// spreads the re-watches of many pods, as client-go's reflector does.
const (
	minWatchTimeout = 5 * time.Minute
	// watchIdleSlack is how long past timeoutSeconds a silent stream is
	// trusted before it is presumed dead (a NAT or load balancer dropped
	// it); bookmarks arrive about once a minute on a healthy stream.
	watchIdleSlack = 30 * time.Second
	// quickEnds is how many streams in a row may end without a single
	// event, within quickEndTime of being opened, before the strategy
	// decides that something in the path does not support watches.
	quickEnds    = 3
	quickEndTime = time.Second
)

var (
	// errGone: the resource version is too old; list again.
	errGone = errors.New("kubernetes: watch resource version expired (410 Gone); listing again")
	// errNoWatch: the server or a proxy does not serve watches.
	errNoWatch = errors.New("kubernetes: the API server does not support watch")
)

// runWatch alternates complete lists (through the Poller, which retries
// failures with backoff and logs them) and watches that apply changes to the
// last list, until ctx ends. When watching proves unsupported it polls.
func (s *Strategy) runWatch(ctx context.Context, found func([]string)) error {
	var last []string // the list found received last
	deliver := func(l []string) {
		last = slices.Clone(l)
		found(l)
	}
	clk := clock.FromContext(ctx) // the mesh's, as the Poller's
	quick := 0
	for ctx.Err() == nil {
		if s.state == nil {
			// List until one succeeds; the Poller returns after stop.
			lctx, stop := context.WithCancel(ctx)
			err := s.poller.Run(lctx, func(l []string) { deliver(l); stop() })
			stop()
			if err != nil {
				return err
			}
			continue
		}
		start := clk.Now()
		events, err := s.watch(ctx, func(l []string, serr error) {
			if len(l) == 0 {
				// Like a poll: an empty answer keeps the last list.
				s.poller.Record(0, poll.ErrNoAddresses)
				return
			}
			s.poller.Record(len(l), serr)
			if !slices.Equal(l, last) {
				deliver(l)
			}
		})
		if ctx.Err() != nil {
			return nil
		}
		switch {
		case errors.Is(err, errNoWatch):
			s.fallBackToPolling(err)
			return s.poller.Run(ctx, found)
		case err != nil && !errors.Is(err, errGone):
			s.poller.Record(len(last), err)
			s.state = nil
			continue
		case err != nil:
			s.state = nil // expired resource version: list again at once, quietly
		}
		// A clean end (timeoutSeconds) watches again from the same version
		// and a 410 lists again, unless streams keep ending at once, which a
		// proxy that buffers or cuts streaming responses does (or a server
		// that expires every version).
		if events == 0 && clk.Since(start) < quickEndTime {
			if quick++; quick >= quickEnds {
				s.fallBackToPolling(fmt.Errorf("%w: %d watches in a row ended at once without events", errNoWatch, quick))
				return s.poller.Run(ctx, found)
			}
		} else {
			quick = 0
		}
	}
	return nil
}

func (s *Strategy) fallBackToPolling(err error) {
	s.watchOff.Store(true)
	s.state = nil
	s.cfg.Logger.Info("kubernetes: watch not available, polling instead",
		"err", err.Error(), "poll_interval", s.cfg.PollInterval.String())
}

// watch follows one watch stream from s.state's resource version, applying
// every event to s.state and calling update with the new seeds after each
// change. It returns the number of events and nil when the server ended the
// stream, or the error that ended it.
func (s *Strategy) watch(ctx context.Context, update func([]string, error)) (int, error) {
	l := s.state
	label, field := s.selectors()
	timeout := minWatchTimeout + rand.N(minWatchTimeout)
	q := url.Values{
		"watch":               {"1"},
		"allowWatchBookmarks": {"true"},
		"resourceVersion":     {l.rv},
		"timeoutSeconds":      {strconv.Itoa(int(timeout / time.Second))},
	}
	if label != "" {
		q.Set("labelSelector", label)
	}
	if field != "" {
		q.Set("fieldSelector", field)
	}
	wctx, cancel := context.WithCancel(ctx)
	defer cancel()
	// A silent stream past its timeout is dead; cancel it. Reset on every
	// event.
	idle := clock.FromContext(ctx).AfterFunc(timeout+watchIdleSlack, cancel)
	defer idle.Stop()

	resp, err := s.client.get(wctx, s.res.path(l.ns), q, "watch", s.res, l.ns)
	if err != nil {
		var ae *apiError
		if errors.As(err, &ae) {
			switch ae.code {
			case http.StatusGone:
				return 0, errGone
			case http.StatusMethodNotAllowed, http.StatusNotImplemented, http.StatusBadRequest, http.StatusNotFound:
				return 0, fmt.Errorf("%w: %v", errNoWatch, err)
			}
		}
		return 0, err
	}
	defer resp.Body.Close()
	lr := &limitedReader{r: resp.Body}
	dec := json.NewDecoder(lr)
	n := 0
	for {
		lr.n = maxEventBytes // per event, not per stream
		ev, err := l.x.parseEvent(dec)
		if err != nil {
			if ctx.Err() != nil || isStreamEnd(err) {
				if wctx.Err() != nil && ctx.Err() == nil {
					return n, errors.New("kubernetes: watch stream silent for too long; listing again")
				}
				return n, nil
			}
			if n == 0 {
				// The first frame is not a watch event: something answered
				// the watch with a plain list or a page.
				return 0, fmt.Errorf("%w: %v", errNoWatch, err)
			}
			return n, err
		}
		n++
		idle.Reset(timeout + watchIdleSlack)
		switch ev.typ {
		case "BOOKMARK":
			if ev.obj.rv != "" {
				l.rv = ev.obj.rv
			}
			continue
		case "ERROR":
			if ev.status.Code == http.StatusGone {
				return n, errGone
			}
			return n, fmt.Errorf("kubernetes: watch %s: error event %d %s: %s", s.res, ev.status.Code, oneLine(ev.status.Reason, 64), oneLine(ev.status.Message, 200))
		case "DELETED":
			delete(l.objects, ev.obj.key)
		default: // ADDED, MODIFIED
			if _, ok := l.objects[ev.obj.key]; !ok && len(l.objects) >= maxObjects {
				return n, fmt.Errorf("kubernetes: more than %d %s match; narrow the selector", maxObjects, s.res)
			}
			l.objects[ev.obj.key] = ev.obj
		}
		if ev.obj.rv != "" {
			l.rv = ev.obj.rv
		}
		update(l.seeds(s.cfg))
	}
}

// isStreamEnd reports the ways a watch stream ends normally: EOF at the
// server's timeout, or the connection closed under us by ctx.
func isStreamEnd(err error) bool {
	return errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) || errors.Is(err, context.Canceled) || errors.Is(err, net.ErrClosed)
}
