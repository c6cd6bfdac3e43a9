// Package agent runs a meshd agent: the engine, the HTTP API, the snapshot,
// signal handling (SIGTERM/SIGINT leave gracefully, SIGHUP reloads) and the
// systemd notifications. cmd/meshd's "agent" subcommand is a thin shell
// around Run.
package agent

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/netip"
	"os"
	"regexp"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/meshd/meshd/cmd/meshd/internal/api"
	"github.com/meshd/meshd/cmd/meshd/internal/config"
	"github.com/meshd/meshd/cmd/meshd/internal/keyfile"
	"github.com/meshd/meshd/cmd/meshd/internal/logging"
	"github.com/meshd/meshd/cmd/meshd/internal/metrics"
	"github.com/meshd/meshd/cmd/meshd/internal/sdnotify"
	"github.com/meshd/meshd/cmd/meshd/internal/snapshot"
	"github.com/meshd/meshd/internal/wire"
	"github.com/meshd/meshd/mesh"
)

// Options start an agent.
type Options struct {
	Settings *config.Settings
	// Reload re-reads flags, environment and config file for SIGHUP.
	Reload func() (*config.Settings, error)
	// LogOutput receives the logs (stderr).
	LogOutput io.Writer
	Version   string
	// EnvWarnings are logged at start (config.UnknownEnv's).
	EnvWarnings []string
}

// Agent is a running agent.
type Agent struct {
	opts  Options
	log   *slog.Logger
	level *slog.LevelVar

	mu       sync.Mutex // guards settings, serializes reloads
	settings *config.Settings

	mesh     *mesh.Mesh
	srv      *http.Server
	httpAddr net.Addr
	keeper   *snapshot.Keeper
	seeds    *seedWatch

	bg       context.Context // background work; cancelled at shutdown
	stopBg   context.CancelFunc
	stopHTTP context.CancelFunc // ends event streams
	wg       sync.WaitGroup
	httpErr  chan error

	leaving   atomic.Bool
	leaveOnce sync.Once
	leaveErr  error
	left      chan struct{} // closed when a leave through the API completed
}

// NameConflictError is why Run returns when another live member goes by
// this agent's name and started first: this agent stopped (mesh's rule).
type NameConflictError struct{ Err *mesh.NameConflictError }

func (e *NameConflictError) Error() string {
	return fmt.Sprintf("the name %q is taken by the member at %s, which started first: this agent stopped; start it with another --name",
		e.Err.Name, e.Err.Other)
}
func (e *NameConflictError) Unwrap() error { return e.Err }

// StartError is a failure to start that is not a configuration error
// (a port in use, an unreadable key file).
type StartError struct{ Err error }

func (e *StartError) Error() string { return e.Err.Error() }
func (e *StartError) Unwrap() error { return e.Err }

// Start builds and starts the agent. A bad setting gives a *config.Error,
// a failure to acquire a resource a *StartError.
func Start(o Options) (*Agent, error) {
	s := o.Settings
	level := new(slog.LevelVar)
	level.Set(s.LogLevel)
	log := logging.New(o.LogOutput, s.LogFormat, level, logging.DefaultWindow)
	a := &Agent{opts: o, log: log, level: level, settings: s, httpErr: make(chan error, 1), left: make(chan struct{}), seeds: newSeedWatch()}

	keys, err := loadKeys(s, log)
	if err != nil {
		return nil, &StartError{err}
	}
	token, err := s.Token()
	if err != nil {
		return nil, &StartError{err}
	}
	strategies, err := BuildStrategies(s, log)
	if err != nil {
		return nil, err
	}

	// The HTTP port is taken first: failing on it must not leave a member
	// that joined and vanished.
	ln, err := net.Listen(tcpNetwork(s.HTTP), s.HTTP)
	if err != nil {
		return nil, &StartError{fmt.Errorf("http address %s (%s): %w", s.HTTP, s.Origin("http"), unwrapOp(err))}
	}

	cfg := s.MeshConfig()
	cfg.Keys = keys
	cfg.Strategies = a.seeds.watch(strategies)
	cfg.Logger = log
	var seeds []string // the snapshot's members, which the mesh rejoins
	if s.Snapshot != "" {
		seeds = a.snapshotSeeds(s)
		cfg.Rejoin = seeds
	}
	m, err := mesh.New(cfg)
	if err != nil {
		ln.Close()
		return nil, meshError(s, err)
	}
	a.mesh = m
	a.httpAddr = ln.Addr()
	a.bg, a.stopBg = context.WithCancel(context.Background())

	events, cancelEvents := m.Subscribe()
	if s.Snapshot != "" {
		a.keeper = snapshot.NewKeeper(s.Snapshot, s.Cluster, s.Name, m.Members, log)
		if len(seeds) == 0 {
			// Nothing to protect: write at once, so that an unwritable
			// path is reported at start. With seeds, wait for the first
			// change: a table holding only this agent would overwrite the
			// snapshot it is about to rejoin from.
			a.keeper.Changed()
		}
		a.goBg(func() { a.keeper.Run(a.bg) })
	}
	a.goBg(func() { a.watch(events, cancelEvents) })
	a.goBg(func() { a.checkSeeds(a.bg, max(cfg.PollInterval, 2*time.Second)) })

	httpCtx, stopHTTP := context.WithCancel(context.Background())
	a.stopHTTP = stopHTTP
	a.srv = &http.Server{
		Handler: api.NewHandler(api.Options{
			Node:    m,
			Metrics: metricsHandler(m, o.Version, log),
			Token:   token,
			Leave:   a.leaveFromAPI,
			Reload:  a.Reload,
			Leaving: a.leaving.Load,
			Logger:  log,
			Context: httpCtx,
		}),
		ReadHeaderTimeout: 10 * time.Second,
		IdleTimeout:       2 * time.Minute,
		BaseContext:       func(net.Listener) context.Context { return httpCtx },
		ErrorLog:          slog.NewLogLogger(log.Handler(), slog.LevelWarn),
	}
	go func() {
		if err := a.srv.Serve(ln); !errors.Is(err, http.ErrServerClosed) {
			a.httpErr <- err
		}
	}()

	log.Info("agent started", "name", s.Name, "gossip", m.Addr().String(), "http", a.httpAddr.String(),
		"cluster", s.Cluster, "cluster_tag", fmt.Sprintf("0x%08x", wire.ClusterTag(s.Cluster)), // as drop warnings name it
		"profile", s.Profile, "strategies", strategyNames(strategies),
		"encrypted", len(keys) > 0, "snapshot", s.Snapshot, "version", o.Version)
	for _, w := range o.EnvWarnings {
		log.Warn(w)
	}
	if token == "" && !isLoopback(a.httpAddr) {
		// Only with --http-insecure-no-token: config refuses it otherwise.
		log.Warn("the HTTP API listens beyond loopback without a token (--http-insecure-no-token): anyone who reaches it can make this agent join or leave", "http", a.httpAddr.String())
	}
	if _, err := sdnotify.Notify(sdnotify.Ready, "STATUS=running"); err != nil {
		log.Warn("cannot notify systemd", "err", err)
	}
	return a, nil
}

// HTTPAddr is the address the API listens on.
func (a *Agent) HTTPAddr() net.Addr { return a.httpAddr }

// Mesh is the running engine.
func (a *Agent) Mesh() *mesh.Mesh { return a.mesh }

func (a *Agent) goBg(f func()) {
	a.wg.Add(1)
	go func() { defer a.wg.Done(); f() }()
}

// Run serves until the agent leaves: on SIGTERM or SIGINT it leaves
// gracefully (a second signal cuts the leave short), on SIGHUP it reloads,
// after POST /v1/leave it exits. It returns nil after a graceful leave, and
// a *NameConflictError when another member goes by this agent's name and
// started first (the engine stopped, without a leave).
func (a *Agent) Run(signals <-chan os.Signal) error {
	for {
		select {
		case sig := <-signals:
			if sig == syscall.SIGHUP {
				if err := a.Reload(); err != nil {
					a.log.Error("reload failed; the running configuration stays", "err", err)
				}
				continue
			}
			a.log.Info("leaving the cluster", "signal", sig.String(), "timeout", a.currentSettings().LeaveTimeout)
			a.leave(signals)
			return a.shutdown()
		case <-a.left:
			return a.shutdown()
		case <-a.mesh.Done():
			// The engine stops by itself only when another member goes by
			// this name and started first; a leave through the API also
			// ends here, as through a.left.
			var nc *mesh.NameConflictError
			a.shutdown()
			if errors.As(a.mesh.Err(), &nc) {
				return &NameConflictError{nc}
			}
			return nil
		case err := <-a.httpErr:
			a.log.Error("HTTP API failed; leaving", "err", err)
			a.leave(signals)
			a.shutdown()
			return &StartError{fmt.Errorf("http API: %w", err)}
		}
	}
}

func (a *Agent) currentSettings() *config.Settings {
	a.mu.Lock()
	defer a.mu.Unlock()
	return a.settings
}

// duplicateSignalWindow is how soon after the first stop signal another
// one is taken as the same request rather than as "stop now".
const duplicateSignalWindow = time.Second

// leave performs the graceful leave once, bounded by --leave-timeout, or
// cut short by a further SIGTERM/SIGINT on signals (if not nil).
func (a *Agent) leave(signals <-chan os.Signal) error {
	a.leaveOnce.Do(func() {
		a.leaving.Store(true)
		if _, err := sdnotify.Notify(sdnotify.Stopping, "STATUS=leaving"); err != nil {
			a.log.Warn("cannot notify systemd", "err", err)
		}
		if a.keeper != nil {
			// Saved before the leave: afterwards the table may be gone.
			if err := a.keeper.Flush(); err != nil {
				a.log.Warn("cannot write snapshot", "path", a.keeper.Path, "err", err)
			}
		}
		started := time.Now()
		ctx, cancel := context.WithTimeout(context.Background(), a.currentSettings().LeaveTimeout)
		defer cancel()
		done := make(chan error, 1)
		go func() { done <- a.mesh.Leave(ctx) }()
		for {
			select {
			case a.leaveErr = <-done:
				if a.leaveErr != nil {
					a.log.Warn("graceful leave incomplete", "err", a.leaveErr)
				} else {
					a.log.Info("left the cluster")
				}
				return
			case sig := <-signals:
				// timeout(1), shells and some supervisors signal the whole
				// process group, so one stop request can arrive twice at
				// once: only a signal a moment later means "hurry".
				if sig != syscall.SIGHUP && time.Since(started) >= duplicateSignalWindow {
					a.log.Warn("second signal: cutting the leave short", "signal", sig.String())
					cancel()
				}
			}
		}
	})
	return a.leaveErr
}

// leaveFromAPI serves POST /v1/leave: leave, answer, then exit.
func (a *Agent) leaveFromAPI(ctx context.Context) error {
	a.log.Info("leaving the cluster", "cause", "POST /v1/leave")
	err := a.leave(nil)
	select {
	case <-a.left:
	default:
		close(a.left)
	}
	return err
}

// shutdown stops everything after the leave (or instead of it).
func (a *Agent) shutdown() error {
	a.stopHTTP() // end event streams, so Shutdown need not wait for them
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := a.srv.Shutdown(ctx); err != nil {
		a.srv.Close()
	}
	a.mesh.Close()
	a.stopBg()
	a.wg.Wait()
	a.log.Info("agent stopped")
	return nil
}

// Close stops the agent abruptly, without a leave (tests).
func (a *Agent) Close() error {
	a.leaveOnce.Do(func() {})
	return a.shutdown()
}

// watch logs membership events and marks the snapshot stale.
func (a *Agent) watch(events <-chan mesh.Event, cancel func()) {
	defer cancel()
	for {
		select {
		case <-a.bg.Done():
			return
		case ev, ok := <-events:
			if !ok {
				return
			}
			lvl := slog.LevelInfo
			if ev.Type == mesh.EventFail {
				lvl = slog.LevelWarn
			}
			a.log.Log(a.bg, lvl, "member "+ev.Type.String(), "member", ev.Member.Name, "addr", ev.Member.Addr.String(),
				"incarnation", ev.Member.Incarnation)
			if a.keeper != nil {
				a.keeper.Changed()
			}
		}
	}
}

func loadKeys(s *config.Settings, log *slog.Logger) ([][]byte, error) {
	if s.KeyFile == "" {
		return nil, nil
	}
	keys, err := keyfile.Load(s.KeyFile)
	if err != nil {
		return nil, fmt.Errorf("%w (%s)", err, s.Origin("key-file"))
	}
	if st, err := os.Stat(s.KeyFile); err == nil && st.Mode().Perm()&0o007 != 0 {
		log.Warn("key file is readable by every user; chmod o-rwx it", "path", s.KeyFile, "mode", st.Mode().Perm().String())
	}
	return keys, nil
}

func metricsHandler(m *mesh.Mesh, version string, log *slog.Logger) http.Handler {
	return promHandler(metrics.NewRegistry(m, version), log)
}

// meshError explains an engine start failure in terms of settings: the
// user set flags, variables and file keys, not mesh.Config fields. A bad
// value is a *config.Error (exit 2); a socket that cannot be had (a port in
// use) a *StartError.
func meshError(s *config.Settings, err error) error {
	var fe *mesh.FieldError
	if !errors.As(err, &fe) {
		return &StartError{fmt.Errorf("start gossip: %w", err)}
	}
	if fe.Field == "AdvertiseAddr" && s.Advertise == "" {
		// The bind address is unspecified (0.0.0.0, the default) and no
		// interface has an address others could reach: a container or
		// namespace with only lo, or an interface not configured yet.
		return &config.Error{Origin: "setting advertise (not set)", Msg: fmt.Sprintf(
			"bind %s (%s) is every address, and no interface has one that other members could reach; set --advertise HOST:PORT (MESHD_ADVERTISE) to the address they reach this agent at, or --bind a specific address",
			s.Bind, s.Origin("bind"))}
	}
	name := settingOf(fe.Field)
	msg := userWords(fe.Err.Error())
	var errno syscall.Errno
	var op *net.OpError
	if errors.As(fe.Err, &errno) || errors.As(fe.Err, &op) {
		return &StartError{fmt.Errorf("%s (%s): %s", name, s.Origin(name), msg)}
	}
	return &config.Error{Origin: s.Origin(name), Msg: msg}
}

// configFields are mesh.Config's field names as the engine's errors use
// them, and the flags that set them.
var configFields = regexp.MustCompile(`\b(BindAddr|AdvertiseAddr|Name|Cluster|Meta|Keys|Multicast\.Interfaces|Multicast)\b`)

// userWords rewrites mesh.Config field names in an engine message as the
// flags that set them ("set AdvertiseAddr" -> "set --advertise").
func userWords(msg string) string {
	return configFields.ReplaceAllStringFunc(msg, func(f string) string { return "--" + settingOf(f) })
}

// settingOf maps a mesh.Config field to the meshd setting that sets it.
func settingOf(field string) string {
	switch {
	case field == "BindAddr":
		return "bind"
	case field == "AdvertiseAddr":
		return "advertise"
	case field == "Name":
		return "name"
	case field == "Cluster":
		return "cluster"
	case field == "Meta":
		return "meta"
	case len(field) >= 4 && field[:4] == "Keys":
		return "key-file"
	case len(field) >= 9 && field[:9] == "Multicast":
		return "multicast-if"
	case len(field) >= 10 && field[:10] == "Strategies":
		return "strategy"
	}
	return "profile"
}

func unwrapOp(err error) error {
	var op *net.OpError
	if errors.As(err, &op) && op.Err != nil {
		return op.Err
	}
	return err
}

// tcpNetwork is "tcp4" for an IPv4 address and "tcp6" for an IPv6 one: an
// API told to listen on 0.0.0.0 listens on IPv4, as asked, and says so in
// its logs (Go's "tcp" would listen on both and report [::]).
func tcpNetwork(hostPort string) string {
	if ap, err := netip.ParseAddrPort(hostPort); err == nil {
		if ap.Addr().Is4() || ap.Addr().Is4In6() {
			return "tcp4"
		}
		return "tcp6"
	}
	return "tcp"
}

func isLoopback(a net.Addr) bool {
	ta, ok := a.(*net.TCPAddr)
	return ok && ta.IP.IsLoopback()
}

func strategyNames(ss []mesh.Strategy) []string {
	out := make([]string, 0, len(ss))
	for _, s := range ss {
		out = append(out, s.Name())
	}
	return out
}
