package agent

import (
	"errors"
	"fmt"
	"maps"
	"slices"
	"strings"

	"github.com/meshd/meshd/cmd/meshd/internal/config"
	"github.com/meshd/meshd/cmd/meshd/internal/sdnotify"
)

// Reload re-reads the settings (config file, environment, flags) and applies
// what can change at run time: strategies, keyring, metadata and log level.
// Everything is checked before anything is applied, so a bad file changes
// nothing. Settings that need a restart are named in a warning.
func (a *Agent) Reload() error {
	a.mu.Lock()
	defer a.mu.Unlock()
	if _, err := sdnotify.Notify(sdnotify.Reloading, "STATUS=reloading"); err != nil {
		a.log.Warn("cannot notify systemd", "err", err)
	}
	defer sdnotify.Notify(sdnotify.Ready, "STATUS=running")

	if a.opts.Reload == nil {
		return errors.New("this agent has no configuration source to reload")
	}
	next, err := a.opts.Reload()
	if err != nil {
		return err
	}
	old := a.settings
	if old.KeyFile != "" && next.KeyFile == "" {
		return errors.New("key-file was removed from the configuration: turning encryption off needs a restart, so that it is never done by accident")
	}
	if old.KeyFile == "" && next.KeyFile != "" {
		return errors.New("key-file was added to the configuration: turning encryption on needs a restart (and a rolling one across the cluster)")
	}
	keys, err := loadKeys(next, a.log)
	if err != nil {
		return err
	}
	strategies, err := BuildStrategies(next, a.log)
	if err != nil {
		return err
	}

	a.level.Set(next.LogLevel)
	if next.KeyFile != "" {
		if err := a.mesh.SetKeys(keys); err != nil {
			return fmt.Errorf("apply keyring: %w", err)
		}
	}
	if err := a.mesh.SetStrategies(a.seeds.watch(strategies)); err != nil {
		return fmt.Errorf("apply strategies: %w", err)
	}
	if !maps.Equal(old.Meta, next.Meta) {
		if err := a.mesh.SetMeta(next.Meta); err != nil {
			return fmt.Errorf("apply meta: %w", err)
		}
	}
	if stale := restartNeeded(old, next); len(stale) > 0 {
		a.log.Warn("these settings changed but need a restart to apply", "settings", strings.Join(stale, ","))
	}
	// Keep the running values of what was not applied, so the next reload
	// compares against what runs.
	applied := *old
	applied.LogLevel = next.LogLevel
	applied.KeyFile = next.KeyFile
	applied.Strategies, applied.Join, applied.DNS, applied.DNSServer = next.Strategies, next.Join, next.DNS, next.DNSServer
	applied.Meta = next.Meta
	a.settings = &applied
	a.log.Info("reloaded", "strategies", strategyNames(strategies), "keys", len(keys), "log_level", next.LogLevel.String())
	return nil
}

// restartNeeded lists the settings that differ but cannot change at run time.
func restartNeeded(old, next *config.Settings) []string {
	var out []string
	cmp := func(name string, same bool) {
		if !same {
			out = append(out, name)
		}
	}
	cmp("name", old.Name == next.Name)
	cmp("bind", old.Bind == next.Bind)
	cmp("advertise", old.Advertise == next.Advertise)
	cmp("cluster", old.Cluster == next.Cluster)
	cmp("profile", old.Profile == next.Profile)
	cmp("http", old.HTTP == next.HTTP)
	cmp("http-token", old.HTTPToken == next.HTTPToken && old.HTTPTokenFile == next.HTTPTokenFile)
	cmp("snapshot", old.Snapshot == next.Snapshot)
	cmp("log-format", old.LogFormat == next.LogFormat)
	cmp("multicast", old.Multicast == next.Multicast && slices.Equal(old.MulticastIf, next.MulticastIf) &&
		old.MulticastGroup == next.MulticastGroup && old.MulticastTTL == next.MulticastTTL)
	cmp("leave-timeout", old.LeaveTimeout == next.LeaveTimeout)
	return out
}
