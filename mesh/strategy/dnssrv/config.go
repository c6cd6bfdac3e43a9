package dnssrv

import (
	"cmp"
	"fmt"
	"log/slog"
	"time"

	"github.com/meshd/meshd/mesh/strategy/internal/check"
	"github.com/meshd/meshd/mesh/strategy/internal/dnsclient"
	"github.com/meshd/meshd/mesh/strategy/internal/hostport"
	"github.com/meshd/meshd/mesh/strategy/internal/spec"
)

// Kind is the strategy's name in configs, logs and metrics.
const Kind = "dnssrv"

// Defaults for Config fields left at zero.
const (
	DefaultInterval = 5 * time.Second
	DefaultTimeout  = dnsclient.DefaultTimeout
)

// Family values.
const (
	FamilyAny  = "any"
	FamilyIPv4 = "ipv4"
	FamilyIPv6 = "ipv6"
)

// Config configures the dnssrv strategy.
type Config struct {
	// Name is the SRV name, "_service._proto.domain". Required.
	Name string `yaml:"name"`
	// Interval is the time between two polls. Default 5s.
	Interval time.Duration `yaml:"interval"`
	// Resolver is the DNS server, "ip" or "ip:port" (port 53 by default).
	// Default "": the servers of /etc/resolv.conf.
	Resolver string `yaml:"resolver"`
	// Timeout bounds one query to one server. Default 2s.
	Timeout time.Duration `yaml:"timeout"`
	// Family is "any", "ipv4" or "ipv6": which target addresses are used.
	// Default "any".
	Family string `yaml:"family"`
	// Logger receives rate-limited failure lines. Default slog.Default().
	Logger *slog.Logger `yaml:"-"`
}

// ParseSpec reads "_service._proto.NAME[?interval=5s&resolver=ip:port&timeout=2s&family=any]".
func ParseSpec(s string) (Config, error) {
	main, o, err := spec.Split(Kind, s)
	if err != nil {
		return Config{}, err
	}
	c := Config{Name: main}
	if err := o.Duration("interval", &c.Interval); err != nil {
		return Config{}, err
	}
	if err := o.Duration("timeout", &c.Timeout); err != nil {
		return Config{}, err
	}
	o.String("resolver", &c.Resolver)
	o.String("family", &c.Family)
	if err := o.Done(); err != nil {
		return Config{}, err
	}
	if c.Name == "" {
		return Config{}, fmt.Errorf("%s: spec %q names no SRV name", Kind, s)
	}
	return c, nil
}

func (c Config) withDefaults() Config {
	c.Interval = cmp.Or(c.Interval, DefaultInterval)
	c.Timeout = cmp.Or(c.Timeout, DefaultTimeout)
	c.Family = cmp.Or(c.Family, FamilyAny)
	c.Logger = cmp.Or(c.Logger, slog.Default())
	return c
}

func (c Config) validate() error {
	if c.Name == "" {
		return fmt.Errorf("%s: Config.Name: must name the SRV record, e.g. _gossip._udp.meshd.default.svc.cluster.local", Kind)
	}
	if err := hostport.ValidName(c.Name); err != nil {
		return fmt.Errorf("%s: Config.Name: %v", Kind, err)
	}
	return check.First(
		check.NotNegative(Kind, "Interval", c.Interval),
		check.NotNegative(Kind, "Timeout", c.Timeout),
		check.Family(Kind, c.Family),
		check.Resolver(Kind, c.Resolver),
	)
}
