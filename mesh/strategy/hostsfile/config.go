package hostsfile

import (
	"cmp"
	"fmt"
	"log/slog"
	"time"

	"github.com/meshd/meshd/mesh/strategy/internal/check"
	"github.com/meshd/meshd/mesh/strategy/internal/spec"
)

// Kind is the strategy's name in configs, logs and metrics.
const Kind = "hostsfile"

// Defaults for Config fields left at zero.
const (
	DefaultPort     = 7946
	DefaultInterval = 5 * time.Second
)

// Config configures the hostsfile strategy.
type Config struct {
	// Path is the hosts file. Required.
	Path string `yaml:"path"`
	// DefaultPort is the port of hosts written without one. Default 7946.
	DefaultPort int `yaml:"default_port"`
	// Interval is how often the file is checked for changes and names are
	// resolved again. Default 5s.
	Interval time.Duration `yaml:"interval"`
	// Resolver is the DNS server ("ip" or "ip:port") that resolves names.
	// Default "": the system resolver, /etc/hosts included.
	Resolver string `yaml:"resolver"`
	// Logger receives rate-limited failure lines. Default slog.Default().
	Logger *slog.Logger `yaml:"-"`
}

// ParseSpec reads "PATH[?interval=5s&default_port=N&resolver=ip:port]".
func ParseSpec(s string) (Config, error) {
	main, o, err := spec.Split(Kind, s)
	if err != nil {
		return Config{}, err
	}
	c := Config{Path: main}
	if err := o.Duration("interval", &c.Interval); err != nil {
		return Config{}, err
	}
	if err := o.Int("default_port", &c.DefaultPort); err != nil {
		return Config{}, err
	}
	o.String("resolver", &c.Resolver)
	if err := o.Done(); err != nil {
		return Config{}, err
	}
	if c.Path == "" {
		return Config{}, fmt.Errorf("%s: spec %q names no file", Kind, s)
	}
	return c, nil
}

func (c Config) withDefaults() Config {
	c.DefaultPort = cmp.Or(c.DefaultPort, DefaultPort)
	c.Interval = cmp.Or(c.Interval, DefaultInterval)
	c.Logger = cmp.Or(c.Logger, slog.Default())
	return c
}

// validate checks every field. The file need not exist yet: it may be
// written by a sidecar after start-up; until then polls fail and are retried.
func (c Config) validate() error {
	if c.Path == "" {
		return fmt.Errorf("%s: Config.Path: must name the hosts file", Kind)
	}
	return check.First(
		check.Port(Kind, "DefaultPort", c.DefaultPort),
		check.NotNegative(Kind, "Interval", c.Interval),
		check.Resolver(Kind, c.Resolver),
	)
}
