package config

import (
	"errors"
	"fmt"
	"net/netip"
	"strconv"
	"strings"
	"time"
	"unicode"

	"github.com/meshd/meshd/cmd/meshd/internal/logging"
	"github.com/meshd/meshd/mesh/strategy/static"
)

// field is one setting: its flag, environment variable and file key, and
// how a value is checked and stored.
type field struct {
	name  string // flag name and file key; env is MESHD_<NAME>
	arg   string // value placeholder in help; "" for a boolean
	usage string
	def   string // default shown in help
	// list fields take several values; a source that sets one replaces
	// the lower source's values, and env/scalar file values are split on sep.
	list bool
	sep  string
	// set checks v and stores it in s (appending for lists).
	set func(s *Settings, v string) error
	// reset clears a list before a higher source's values.
	reset func(s *Settings)
}

// fields is every agent setting, in the order help shows them.
var fields = []*field{
	{name: "config", arg: "FILE", usage: "YAML config file",
		set: func(s *Settings, v string) error { return path(&s.ConfigFile, v) }},
	{name: "name", arg: "N", usage: "member name, unique in the cluster", def: "the hostname; with a --bind other than the default, the hostname and that address (host-7950)",
		set: func(s *Settings, v string) error { return memberName(&s.Name, v) }},
	{name: "bind", arg: "HOST:PORT", usage: "gossip address to bind (UDP)", def: "0.0.0.0:7946, 127.0.0.1:7946 with --profile local",
		set: func(s *Settings, v string) error { return ipPort(&s.Bind, v, true) }},
	{name: "advertise", arg: "HOST:PORT", usage: "address other members reach this one at, e.g. $(POD_IP):7946", def: "the bound address",
		set: func(s *Settings, v string) error { return ipPort(&s.Advertise, v, false) }},
	{name: "cluster", arg: "C", usage: "cluster name; packets of other clusters are dropped", def: "meshd",
		set: func(s *Settings, v string) error {
			if v == "" || len(v) > 128 {
				return errors.New("want 1 to 128 characters")
			}
			s.Cluster = v
			return nil
		}},
	{name: "join", arg: "HOST:PORT", usage: "seed to join at start and whenever it is not alive; names are re-resolved", list: true, sep: ",",
		set: func(s *Settings, v string) error {
			if err := seed(v); err != nil {
				return err
			}
			s.Join = append(s.Join, v)
			return nil
		},
		reset: func(s *Settings) { s.Join = nil }},
	{name: "multicast", usage: "discover members on the LAN by multicast heartbeats (needs --multicast-if)",
		set: func(s *Settings, v string) error { return boolean(&s.Multicast, v) }},
	{name: "multicast-if", arg: "IFACE", usage: "interface (name or address) for multicast heartbeats", list: true, sep: ",",
		set: func(s *Settings, v string) error {
			if v == "" || strings.ContainsFunc(v, unicode.IsSpace) {
				return errors.New("want an interface name or address")
			}
			s.MulticastIf = append(s.MulticastIf, v)
			return nil
		},
		reset: func(s *Settings) { s.MulticastIf = nil }},
	{name: "multicast-group", arg: "IP:PORT", usage: "multicast group of the heartbeats", def: DefaultMulticastGroup,
		set: func(s *Settings, v string) error {
			ap, err := netip.ParseAddrPort(v)
			if err != nil || !ap.Addr().IsMulticast() || ap.Port() == 0 {
				return errors.New("want a multicast IP:PORT such as 230.1.1.251:45892 or [ff02::1:7946]:45892")
			}
			s.MulticastGroup = v
			return nil
		}},
	{name: "multicast-ttl", arg: "N", usage: "multicast TTL (hops); 0 keeps heartbeats on this host", def: "1",
		set: func(s *Settings, v string) error {
			n, err := strconv.Atoi(v)
			if err != nil || n < 0 || n > 255 {
				return errors.New("want an integer from 0 to 255")
			}
			s.MulticastTTL = n
			return nil
		}},
	{name: "dns", arg: "NAME[:PORT]", usage: "seed from the A/AAAA records of NAME (a headless service), re-resolved every poll",
		set: func(s *Settings, v string) error {
			if v == "" || strings.ContainsFunc(v, unicode.IsSpace) {
				return errors.New("want NAME or NAME:PORT")
			}
			s.DNS = v
			return nil
		}},
	{name: "dns-server", arg: "HOST:PORT", usage: "DNS server for --dns, names in --join, and one-line static/dns/dnssrv strategies", def: "the system resolver",
		set: func(s *Settings, v string) error { return ipPort(&s.DNSServer, v, false) }},
	{name: "strategy", arg: "KIND:SPEC", usage: "discovery strategy in its one-line form, e.g. dns:meshd.svc:7946 (kinds: static, hostsfile, dns, dnssrv, kubernetes, rancher)", list: true, sep: ";",
		set: func(s *Settings, v string) error {
			kind, spec, ok := strings.Cut(v, ":")
			if !ok || kind == "" || spec == "" {
				return errors.New("want KIND:SPEC, e.g. static:10.0.0.1:7946")
			}
			s.Strategies = append(s.Strategies, StrategySpec{Kind: kind, Value: spec})
			return nil
		},
		reset: func(s *Settings) { s.Strategies = nil }},
	{name: "http", arg: "HOST:PORT", usage: "address of the HTTP API (members, events, health, metrics)", def: DefaultHTTP,
		set: func(s *Settings, v string) error { return ipPort(&s.HTTP, v, true) }},
	{name: "http-token", arg: "TOKEN", usage: "bearer token required by POST endpoints (join, leave, reload); prefer the env or a file",
		set: func(s *Settings, v string) error {
			if v == "" {
				return errors.New("want a non-empty token")
			}
			s.HTTPToken = v
			return nil
		}},
	{name: "http-token-file", arg: "FILE", usage: "file holding the bearer token",
		set: func(s *Settings, v string) error { return path(&s.HTTPTokenFile, v) }},
	{name: "http-insecure-no-token", usage: "serve join, leave and reload beyond loopback without a token: anyone who reaches --http can then make this agent leave",
		set: func(s *Settings, v string) error { return boolean(&s.HTTPInsecureNoToken, v) }},
	{name: "profile", arg: "lan|wan|local", usage: "timing preset: lan (memberlist's LAN), wan, or local (one host, fast)", def: DefaultProfile,
		set: func(s *Settings, v string) error {
			switch v {
			case "lan", "wan", "local":
				s.Profile = v
				return nil
			}
			return errors.New("want lan, wan or local")
		}},
	{name: "key-file", arg: "FILE", usage: "keyring encrypting gossip (AES-256-GCM); see 'meshd keys'",
		set: func(s *Settings, v string) error { return path(&s.KeyFile, v) }},
	{name: "snapshot", arg: "FILE", usage: "file where known members are kept; a restart with no seeds rejoins from it",
		set: func(s *Settings, v string) error { return path(&s.Snapshot, v) }},
	{name: "log-format", arg: "text|json", usage: "log format", def: "text",
		set: func(s *Settings, v string) error {
			f, err := logging.ParseFormat(v)
			s.LogFormat = f
			return err
		}},
	{name: "log-level", arg: "LEVEL", usage: "debug, info, warn or error", def: "info",
		set: func(s *Settings, v string) error {
			l, err := logging.ParseLevel(v)
			s.LogLevel = l
			return err
		}},
	{name: "meta", arg: "KEY=VALUE", usage: "metadata gossiped with this member", list: true, sep: ",",
		set: func(s *Settings, v string) error {
			k, val, ok := strings.Cut(v, "=")
			if !ok || k == "" {
				return errors.New("want KEY=VALUE")
			}
			if s.Meta == nil {
				s.Meta = map[string]string{}
			}
			s.Meta[k] = val
			return nil
		},
		reset: func(s *Settings) { s.Meta = nil }},
	{name: "leave-timeout", arg: "DURATION", usage: "how long a graceful leave may take on SIGTERM before exiting anyway", def: DefaultLeaveTimeout.String(),
		set: func(s *Settings, v string) error {
			d, err := time.ParseDuration(v)
			if err != nil || d <= 0 {
				return errors.New("want a positive duration such as 10s")
			}
			s.LeaveTimeout = d
			return nil
		}},
}

func lookupField(name string) *field {
	name = strings.ReplaceAll(strings.ToLower(name), "_", "-")
	for _, f := range fields {
		if f.name == name {
			return f
		}
	}
	return nil
}

func path(dst *string, v string) error {
	if v == "" {
		return errors.New("want a file path")
	}
	*dst = v
	return nil
}

func boolean(dst *bool, v string) error {
	b, err := strconv.ParseBool(v)
	if err != nil {
		return errors.New("want true or false")
	}
	*dst = b
	return nil
}

func memberName(dst *string, v string) error {
	if v == "" || len(v) > 128 {
		return errors.New("want 1 to 128 characters")
	}
	if strings.ContainsFunc(v, func(r rune) bool { return unicode.IsSpace(r) || unicode.IsControl(r) }) {
		return errors.New("want no spaces or control characters")
	}
	*dst = v
	return nil
}

// ipPort checks an IP:PORT (IPv6 in brackets). With anyHost, ":PORT" means
// every address (0.0.0.0).
func ipPort(dst *string, v string, anyHost bool) error {
	if anyHost && strings.HasPrefix(v, ":") {
		v = "0.0.0.0" + v
	}
	ap, err := netip.ParseAddrPort(v)
	if err != nil {
		return errors.New("want IP:PORT such as 10.0.0.5:7946 or [fd00::5]:7946")
	}
	if !anyHost && ap.Addr().IsUnspecified() {
		return fmt.Errorf("%s is not an address others can reach", ap.Addr())
	}
	*dst = v
	return nil
}

// seed checks a join value as the static strategy that joins it will
// (names are resolved later, a missing port is the default), and says what
// is wrong in terms of the value alone: the user gave a seed, not a static
// strategy's Config.Hosts.
func seed(v string) error {
	if v == "" || strings.ContainsFunc(v, unicode.IsSpace) {
		return errors.New("want HOST:PORT or HOST")
	}
	for h := range strings.SplitSeq(v, ",") {
		if h == "" {
			continue
		}
		if _, err := static.New(static.Config{Hosts: []string{h}}); err != nil {
			msg := err.Error()
			if _, rest, ok := strings.Cut(msg, "Config.Hosts[0]: "); ok {
				msg = rest
			}
			return errors.New(msg)
		}
	}
	return nil
}
