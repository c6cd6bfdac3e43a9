package rancher

import (
	"cmp"
	"fmt"
	"log/slog"
	"net/url"
	"strings"
	"time"

	"github.com/meshd/meshd/mesh/strategy/internal/check"
	"github.com/meshd/meshd/mesh/strategy/internal/spec"
)

// Kind is the strategy's name in configs, logs and metrics.
const Kind = "rancher"

// Defaults for Config fields left at zero.
const (
	DefaultBaseURL  = "http://rancher-metadata"
	DefaultPort     = 7946
	DefaultInterval = 5 * time.Second
	DefaultTimeout  = 5 * time.Second
)

// Config configures the rancher strategy.
type Config struct {
	// BaseURL is the metadata service, without the "/latest/..." path.
	// Default "http://rancher-metadata".
	BaseURL string `yaml:"base_url"`
	// Port is the gossip port of every container. Default 7946.
	Port int `yaml:"port"`
	// Interval is the time between two polls. Default 5s.
	Interval time.Duration `yaml:"interval"`
	// Timeout bounds one request. Default 5s.
	Timeout time.Duration `yaml:"timeout"`
	// Logger receives rate-limited failure lines. Default slog.Default().
	Logger *slog.Logger `yaml:"-"`
}

// ParseSpec reads "BASEURL[?port=7946&interval=5s&timeout=5s]"; an empty
// BASEURL means the default.
func ParseSpec(s string) (Config, error) {
	main, o, err := spec.Split(Kind, s)
	if err != nil {
		return Config{}, err
	}
	c := Config{BaseURL: main}
	if err := o.Int("port", &c.Port); err != nil {
		return Config{}, err
	}
	if err := o.Duration("interval", &c.Interval); err != nil {
		return Config{}, err
	}
	if err := o.Duration("timeout", &c.Timeout); err != nil {
		return Config{}, err
	}
	if err := o.Done(); err != nil {
		return Config{}, err
	}
	return c, nil
}

func (c Config) withDefaults() Config {
	c.BaseURL = cmp.Or(c.BaseURL, DefaultBaseURL)
	c.Port = cmp.Or(c.Port, DefaultPort)
	c.Interval = cmp.Or(c.Interval, DefaultInterval)
	c.Timeout = cmp.Or(c.Timeout, DefaultTimeout)
	c.Logger = cmp.Or(c.Logger, slog.Default())
	return c
}

// endpoint validates c and returns the URL to poll.
func (c Config) endpoint() (string, error) {
	u, err := url.Parse(c.BaseURL)
	if err != nil {
		return "", fmt.Errorf("%s: Config.BaseURL: %v", Kind, err)
	}
	if u.Scheme != "http" && u.Scheme != "https" {
		return "", fmt.Errorf("%s: Config.BaseURL: %q, want an http:// or https:// URL", Kind, c.BaseURL)
	}
	if u.Host == "" {
		return "", fmt.Errorf("%s: Config.BaseURL: %q has no host", Kind, c.BaseURL)
	}
	if u.RawQuery != "" || u.Fragment != "" || u.User != nil {
		return "", fmt.Errorf("%s: Config.BaseURL: %q: no query, fragment or credentials, just scheme://host[:port][/path]", Kind, c.BaseURL)
	}
	if err := check.First(
		check.Port(Kind, "Port", c.Port),
		check.NotNegative(Kind, "Interval", c.Interval),
		check.NotNegative(Kind, "Timeout", c.Timeout),
	); err != nil {
		return "", err
	}
	return strings.TrimSuffix(u.String(), "/") + "/latest/self/service", nil
}
