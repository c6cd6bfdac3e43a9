// Package config resolves the meshd agent's settings from four sources,
// highest first: command-line flags, MESHD_* environment variables, the YAML
// config file, and defaults. Every setting has one name used everywhere:
// the flag --multicast-if, the variable MESHD_MULTICAST_IF and the file key
// multicast-if (multicast_if works too). A list given by a higher source
// replaces the lower one's list; it does not extend it.
//
// The config file may also list several discovery strategies at once, as
// libcluster's topologies do:
//
//	cluster: prod
//	profile: lan
//	advertise: 10.0.0.5:7946
//	join: [10.0.0.1:7946, 10.0.0.2:7946]
//	key-file: /etc/meshd/keys
//	snapshot: /var/lib/meshd/snapshot.json
//	meta: {role: api, zone: eu-1}
//	strategies:
//	  - kind: dns
//	    name: meshd.prod.svc.cluster.local
//	    port: 7946
//	  - kind: hostsfile
//	    path: /etc/meshd/hosts
//
// From a flag or the environment a strategy is one line, KIND:SPEC, with the
// strategy's own one-line syntax after the colon: --strategy
// dns:meshd.prod.svc:7946, MESHD_STRATEGY="static:10.0.0.1,10.0.0.2;
// hostsfile:/etc/meshd/hosts" (several separated by ';').
//
// An error names its source (file and line, variable or flag), the setting,
// and what was expected.
package config

import (
	"crypto/rand"
	"encoding/hex"
	"log/slog"
	"maps"
	"net/netip"
	"os"
	"strconv"
	"strings"
	"time"

	"gopkg.in/yaml.v3"

	"github.com/meshd/meshd/mesh"
	"github.com/meshd/meshd/multicast"
)

// Defaults that are not taken from the mesh presets.
const (
	DefaultHTTP           = "127.0.0.1:7947"
	DefaultProfile        = "lan"
	DefaultMulticastGroup = multicast.DefaultGroup
	DefaultMulticastTTL   = 1
	DefaultLeaveTimeout   = 10 * time.Second
	DefaultGossipPort     = 7946
)

// Settings is the agent's resolved configuration.
type Settings struct {
	ConfigFile     string
	Name           string
	Bind           string
	Advertise      string
	Cluster        string
	Join           []string
	Multicast      bool
	MulticastIf    []string
	MulticastGroup string
	MulticastTTL   int
	DNS            string
	DNSServer      string
	Strategies     []StrategySpec
	HTTP           string
	HTTPToken      string
	HTTPTokenFile  string
	// HTTPInsecureNoToken allows an API beyond loopback without a token.
	HTTPInsecureNoToken bool
	Profile             string
	KeyFile             string
	Snapshot            string
	LogFormat           string
	LogLevel            slog.Level
	Meta                map[string]string
	LeaveTimeout        time.Duration

	// origin says, per setting name, where its value came from.
	origin map[string]string
}

// StrategySpec is one configured discovery strategy, not built yet.
type StrategySpec struct {
	Kind   string
	Value  string     // one-line spec, from a flag or the environment
	Node   *yaml.Node // the file's mapping, "kind" removed
	Origin string     // where it was configured, for error messages
}

// Origin returns where setting name got its value ("default" if nowhere).
func (s *Settings) Origin(name string) string {
	if o, ok := s.origin[name]; ok {
		return o
	}
	return "default"
}

func (s *Settings) setOrigin(name, origin string) {
	if s.origin == nil {
		s.origin = map[string]string{}
	}
	s.origin[name] = origin
}

// fillDefaults sets what no source set.
func (s *Settings) fillDefaults() {
	if s.Profile == "" {
		s.Profile = DefaultProfile
	}
	preset := Preset(s.Profile)
	if s.Bind == "" {
		s.Bind = preset.BindAddr
	}
	if s.Cluster == "" {
		s.Cluster = preset.Cluster
	}
	if s.Name == "" {
		if h, err := os.Hostname(); err == nil && h != "" {
			s.Name = defaultName(h, s.Bind, preset.BindAddr)
		}
	}
	if s.HTTP == "" {
		s.HTTP = DefaultHTTP
	}
	if s.MulticastGroup == "" {
		s.MulticastGroup = DefaultMulticastGroup
	}
	if s.MulticastTTL < 0 {
		s.MulticastTTL = DefaultMulticastTTL
	}
	if s.LogFormat == "" {
		s.LogFormat = "text"
	}
	if s.LeaveTimeout == 0 {
		s.LeaveTimeout = DefaultLeaveTimeout
	}
}

// Preset returns the engine preset of a profile (lan, wan or local).
func Preset(profile string) mesh.Config {
	switch profile {
	case "wan":
		return mesh.DefaultWANConfig()
	case "local":
		return mesh.DefaultLocalConfig()
	}
	return mesh.DefaultLANConfig()
}

// MeshConfig is the engine configuration of these settings, without the
// keyring, strategies and logger, which the agent adds.
func (s *Settings) MeshConfig() mesh.Config {
	c := Preset(s.Profile)
	c.Name = s.Name
	c.BindAddr = s.Bind
	c.AdvertiseAddr = s.Advertise
	c.Cluster = s.Cluster
	c.Meta = maps.Clone(s.Meta)
	if s.Multicast {
		c.Multicast = &mesh.MulticastConfig{
			Group:      s.MulticastGroup,
			Interfaces: append([]string(nil), s.MulticastIf...),
			TTL:        s.MulticastTTL,
			// Several agents on one host (tests, the demo) hear each other.
			Loopback: true,
		}
	}
	return c
}

// Token returns the HTTP API's bearer token: --http-token, or the content of
// --http-token-file (trimmed), or "" for none.
func (s *Settings) Token() (string, error) {
	if s.HTTPTokenFile == "" {
		return s.HTTPToken, nil
	}
	return ReadToken(s.HTTPTokenFile)
}

// defaultName is the name of an agent given none. It is stable (unlike the
// engine's random suffix), so a restarted agent takes its own entry over
// and uses its snapshot: the hostname, with the profile's default gossip
// address. With another address it carries that address, so that two
// agents on one host, which cannot bind one address, get distinct names:
// "web1-7950" for 0.0.0.0:7950, "web1-127.0.0.3-7946" for 127.0.0.3:7946.
// A bind to port 0 has a new address at every start anyway: it gets a
// random suffix.
func defaultName(host, bind, defaultBind string) string {
	if bind == defaultBind {
		return host
	}
	ap, err := netip.ParseAddrPort(bind)
	if err != nil {
		return host
	}
	if ap.Port() == 0 {
		var b [4]byte
		rand.Read(b[:])
		return host + "-" + hex.EncodeToString(b[:])
	}
	suffix := strconv.Itoa(int(ap.Port()))
	if !ap.Addr().IsUnspecified() {
		suffix = ap.Addr().String() + "-" + suffix
	}
	return host + "-" + strings.Map(func(r rune) rune {
		if r == ':' || r == '%' {
			return '-' // IPv6 and zones: keep names free of URL and label syntax
		}
		return r
	}, suffix)
}
