package strategy_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"time"

	"github.com/meshd/meshd/mesh"
	"github.com/meshd/meshd/mesh/strategy/all"
	"github.com/meshd/meshd/mesh/strategy/poll"
)

// httpSeeds is the custom strategy of mesh.Strategy's documentation: seeds
// read from an HTTP endpoint that serves a JSON list of "host:port".
type httpSeeds struct{ url string }

func (h httpSeeds) Name() string { return "http" }

func (h httpSeeds) Run(ctx context.Context, found func([]string)) error {
	t := time.NewTicker(10 * time.Second)
	defer t.Stop()
	for {
		req, _ := http.NewRequestWithContext(ctx, "GET", h.url, nil)
		if resp, err := http.DefaultClient.Do(req); err == nil {
			var addrs []string
			if json.NewDecoder(resp.Body).Decode(&addrs) == nil {
				found(addrs)
			}
			resp.Body.Close()
		}
		select {
		case <-ctx.Done():
			return nil
		case <-t.C:
		}
	}
}

// seedServer serves a JSON list of seeds on loopback.
func seedServer() *httptest.Server {
	return httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		json.NewEncoder(w).Encode([]string{"10.0.0.1:7946", "[2001:db8::1]:7946"})
	}))
}

// A custom strategy is one method. The mesh calls Run on its own goroutine;
// here we call it directly to show what it hands over.
func Example_customStrategy() {
	srv := seedServer()
	defer srv.Close()
	defer http.DefaultClient.CloseIdleConnections()

	var s mesh.Strategy = httpSeeds{url: srv.URL}
	// In a program: cfg.Strategies = []mesh.Strategy{s}

	ctx, cancel := context.WithCancel(context.Background())
	lists := make(chan []string, 1)
	done := make(chan error)
	go func() {
		done <- s.Run(ctx, func(addrs []string) {
			select {
			case lists <- addrs:
			default:
			}
		})
	}()
	fmt.Println(s.Name(), <-lists)
	cancel()
	<-done
	// Output: http [10.0.0.1:7946 [2001:db8::1]:7946]
}

// The same source wrapped in poll.New: a failure keeps the last good list,
// retries back off with jitter, logs are rate-limited, and Stats feeds the
// mesh's metrics.
func Example_customStrategyWithPoll() {
	srv := seedServer()
	defer srv.Close()
	client := &http.Client{Timeout: 5 * time.Second}
	defer client.CloseIdleConnections()

	fetch := func(ctx context.Context) ([]string, error) {
		req, err := http.NewRequestWithContext(ctx, "GET", srv.URL, nil)
		if err != nil {
			return nil, err
		}
		resp, err := client.Do(req)
		if err != nil {
			return nil, err
		}
		defer resp.Body.Close()
		if resp.StatusCode != http.StatusOK {
			return nil, errors.New(resp.Status)
		}
		var addrs []string
		err = json.NewDecoder(resp.Body).Decode(&addrs)
		return addrs, err
	}
	p := poll.New(poll.Options{Name: "http", Interval: 10 * time.Second}, fetch)

	ctx, cancel := context.WithCancel(context.Background())
	lists := make(chan []string, 1)
	done := make(chan error)
	go func() {
		done <- p.Run(ctx, func(addrs []string) {
			select {
			case lists <- addrs:
			default:
			}
		})
	}()
	fmt.Println(<-lists)
	cancel()
	<-done
	st := p.Stats()
	fmt.Println("polls:", st.Polls, "errors:", st.Errors, "seeds:", st.Seeds)
	// Output:
	// [10.0.0.1:7946 [2001:db8::1]:7946]
	// polls: 1 errors: 0 seeds: 2
}

// Two nodes on loopback: the second finds the first only through a static
// strategy built from a spec string, as meshd does from its flags.
func Example_meshWithStrategy() {
	quiet := slog.New(slog.DiscardHandler)
	cfg := mesh.DefaultLocalConfig()
	cfg.Name, cfg.BindAddr, cfg.Cluster, cfg.Logger = "first", "127.0.0.1:0", "example", quiet
	first, err := mesh.New(cfg)
	if err != nil {
		fmt.Println(err)
		return
	}
	defer first.Close()

	seeds, err := all.FromString("static", first.Addr().String(), all.WithLogger(quiet))
	if err != nil {
		fmt.Println(err)
		return
	}
	cfg.Name, cfg.Strategies = "second", []mesh.Strategy{seeds}
	second, err := mesh.New(cfg)
	if err != nil {
		fmt.Println(err)
		return
	}
	defer second.Close()

	for deadline := time.Now().Add(30 * time.Second); time.Now().Before(deadline); time.Sleep(50 * time.Millisecond) {
		if len(second.Members()) == 2 && len(first.Members()) == 2 {
			break
		}
	}
	for _, m := range first.Members() {
		fmt.Println(m.Name, m.State == mesh.StateAlive)
	}
	// Unordered output:
	// first true
	// second true
}
