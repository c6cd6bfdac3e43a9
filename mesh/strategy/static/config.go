package static

import (
	"cmp"
	"fmt"
	"log/slog"
	"strings"
	"time"

	"github.com/meshd/meshd/mesh/strategy/internal/check"
	"github.com/meshd/meshd/mesh/strategy/internal/hostport"
	"github.com/meshd/meshd/mesh/strategy/internal/spec"
)

// Kind is the strategy's name in configs, logs and metrics.
const Kind = "static"

// Defaults for Config fields left at zero.
const (
	DefaultPort     = 7946
	DefaultInterval = 30 * time.Second
)

// maxHosts bounds the list, which comes from flags and files.
const maxHosts = 4096

// Config configures the static strategy.
type Config struct {
	// Hosts are "host", "host:port" or "host:lo-hi" entries; hosts are IP
	// addresses or DNS names. At least one is required.
	Hosts []string `yaml:"hosts"`
	// DefaultPort is the port of hosts written without one. Default 7946.
	DefaultPort int `yaml:"default_port"`
	// Interval is how often names are resolved again and the list is
	// handed to the mesh again. Default 30s.
	Interval time.Duration `yaml:"interval"`
	// Resolver is the DNS server ("ip" or "ip:port") that resolves names.
	// Default "": the system resolver, /etc/hosts included.
	Resolver string `yaml:"resolver"`
	// Logger receives rate-limited failure lines. Default slog.Default().
	Logger *slog.Logger `yaml:"-"`
}

// ParseSpec reads "host[:port][,host[:lo-hi]...][?interval=30s&default_port=N&resolver=ip:port]".
func ParseSpec(s string) (Config, error) {
	main, o, err := spec.Split(Kind, s)
	if err != nil {
		return Config{}, err
	}
	var c Config
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
	for h := range strings.SplitSeq(main, ",") {
		// Empty items (a trailing comma in an environment variable) are
		// harmless and skipped.
		if h = strings.TrimSpace(h); h != "" {
			c.Hosts = append(c.Hosts, h)
		}
	}
	if len(c.Hosts) == 0 {
		return Config{}, fmt.Errorf("%s: spec %q names no host", Kind, s)
	}
	return c, nil
}

// withDefaults fills zero fields.
func (c Config) withDefaults() Config {
	c.DefaultPort = cmp.Or(c.DefaultPort, DefaultPort)
	c.Interval = cmp.Or(c.Interval, DefaultInterval)
	c.Logger = cmp.Or(c.Logger, slog.Default())
	return c
}

// entries validates c and parses its hosts.
func (c Config) entries() ([]hostport.Entry, error) {
	if len(c.Hosts) == 0 {
		return nil, fmt.Errorf("%s: Config.Hosts: must name at least one host", Kind)
	}
	if len(c.Hosts) > maxHosts {
		return nil, fmt.Errorf("%s: Config.Hosts: %d hosts, at most %d", Kind, len(c.Hosts), maxHosts)
	}
	if err := check.First(
		check.Port(Kind, "DefaultPort", c.DefaultPort),
		check.NotNegative(Kind, "Interval", c.Interval),
		check.Resolver(Kind, c.Resolver),
	); err != nil {
		return nil, err
	}
	es := make([]hostport.Entry, 0, len(c.Hosts))
	for i, h := range c.Hosts {
		e, err := hostport.ParseEntry(h, uint16(c.DefaultPort))
		if err != nil {
			return nil, fmt.Errorf("%s: Config.Hosts[%d]: %v", Kind, i, err)
		}
		es = append(es, e)
	}
	return es, nil
}
