package dns

import (
	"cmp"
	"fmt"
	"log/slog"
	"net/netip"
	"strings"
	"time"

	"github.com/meshd/meshd/mesh/strategy/internal/check"
	"github.com/meshd/meshd/mesh/strategy/internal/dnsclient"
	"github.com/meshd/meshd/mesh/strategy/internal/hostport"
	"github.com/meshd/meshd/mesh/strategy/internal/spec"
)

// Kind is the strategy's name in configs, logs and metrics.
const Kind = "dns"

// Defaults for Config fields left at zero.
const (
	DefaultPort     = 7946
	DefaultInterval = 5 * time.Second
	DefaultTimeout  = dnsclient.DefaultTimeout
)

// Family values.
const (
	FamilyAny  = "any"
	FamilyIPv4 = "ipv4"
	FamilyIPv6 = "ipv6"
)

// Config configures the dns strategy.
type Config struct {
	// Name is the DNS name whose A and AAAA records are the seeds. Required.
	Name string `yaml:"name"`
	// Port is the gossip port of every address. Default 7946.
	Port int `yaml:"port"`
	// Interval is the time between two polls. Default 5s.
	Interval time.Duration `yaml:"interval"`
	// Resolver is the DNS server, "ip" or "ip:port" (port 53 by default).
	// Default "": the servers and search list of /etc/resolv.conf.
	Resolver string `yaml:"resolver"`
	// Timeout bounds one query to one server. Default 2s.
	Timeout time.Duration `yaml:"timeout"`
	// Family is "any" (A and AAAA), "ipv4" or "ipv6". Default "any".
	Family string `yaml:"family"`
	// Logger receives rate-limited failure lines. Default slog.Default().
	Logger *slog.Logger `yaml:"-"`
}

// ParseSpec reads "NAME[:PORT][?interval=5s&resolver=ip:port&timeout=2s&family=any]".
func ParseSpec(s string) (Config, error) {
	main, o, err := spec.Split(Kind, s)
	if err != nil {
		return Config{}, err
	}
	var c Config
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
	name, port, hasPort := strings.Cut(main, ":")
	c.Name = name
	if hasPort {
		lo, hi, err := hostport.ParsePortRange(port)
		if err != nil || lo != hi {
			return Config{}, fmt.Errorf("%s: spec %q: port %q: want one port from 1 to 65535", Kind, s, port)
		}
		c.Port = int(lo)
	}
	if c.Name == "" {
		return Config{}, fmt.Errorf("%s: spec %q names no DNS name", Kind, s)
	}
	return c, nil
}

func (c Config) withDefaults() Config {
	c.Port = cmp.Or(c.Port, DefaultPort)
	c.Interval = cmp.Or(c.Interval, DefaultInterval)
	c.Timeout = cmp.Or(c.Timeout, DefaultTimeout)
	c.Family = cmp.Or(c.Family, FamilyAny)
	c.Logger = cmp.Or(c.Logger, slog.Default())
	return c
}

func (c Config) validate() error {
	if c.Name == "" {
		return fmt.Errorf("%s: Config.Name: must name the DNS name to poll", Kind)
	}
	if _, err := netip.ParseAddr(c.Name); err == nil {
		return fmt.Errorf("%s: Config.Name: %q is an IP address; use the static strategy for addresses", Kind, c.Name)
	}
	if err := hostport.ValidName(c.Name); err != nil {
		return fmt.Errorf("%s: Config.Name: %v", Kind, err)
	}
	return check.First(
		check.Port(Kind, "Port", c.Port),
		check.NotNegative(Kind, "Interval", c.Interval),
		check.NotNegative(Kind, "Timeout", c.Timeout),
		check.Family(Kind, c.Family),
		check.Resolver(Kind, c.Resolver),
	)
}
