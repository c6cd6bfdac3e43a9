package config

import (
	"fmt"
	"io"
	"net/netip"
	"os"
	"strings"

	"github.com/meshd/meshd/cmd/meshd/internal/cli"
)

// Error is a bad setting: where it came from, and what was wrong.
type Error struct {
	Origin string // `config file /etc/meshd.yaml, line 4, field "profile"`, `environment MESHD_PROFILE`, ...
	Msg    string
}

func (e *Error) Error() string { return e.Origin + ": " + e.Msg }

func errorf(origin, format string, args ...any) *Error {
	return &Error{Origin: origin, Msg: fmt.Sprintf(format, args...)}
}

// LookupEnv is os.LookupEnv's signature, so tests can pass a map.
type LookupEnv func(string) (string, bool)

// Load resolves the agent's settings from its command-line arguments, the
// environment and the config file named by --config or MESHD_CONFIG. A bad
// flag is a *cli.UsageError, any other bad setting an *Error; --help gives
// cli.ErrHelp.
func Load(args []string, lookup LookupEnv) (*Settings, error) {
	flagVals := map[string][]string{}
	cmd := command(func(f *field, v string) error {
		// Check the value now, so the error names the flag.
		if err := f.set(&Settings{}, v); err != nil {
			return err
		}
		flagVals[f.name] = append(flagVals[f.name], v)
		return nil
	})
	pos, err := cmd.Parse(args)
	if err != nil {
		return nil, err
	}
	if len(pos) > 0 {
		return nil, cli.Usagef("agent", "unexpected argument %q (every setting is a flag, e.g. --join %s)", pos[0], pos[0])
	}

	s := &Settings{MulticastTTL: -1}
	file := ""
	if v, ok := flagVals["config"]; ok {
		if len(v) > 1 {
			// One file: merging several would hide which one a setting
			// came from, and taking the last would ignore the others.
			return nil, cli.Usagef("agent", "--config is given %d times (%s): give one config file", len(v), quoteAll(v))
		}
		file = v[0]
	} else if v, ok := lookup(cli.EnvName("config")); ok && v != "" {
		file = v
	}
	if file != "" {
		s.ConfigFile = file
		if err := loadFile(s, file); err != nil {
			return nil, err
		}
	}
	for _, f := range fields {
		env := cli.EnvName(f.name)
		// An empty variable counts as unset: templates and manifests often
		// render optional settings as NAME="".
		v, ok := lookup(env)
		if !ok || v == "" || f.name == "config" {
			continue
		}
		if err := apply(s, f, splitList(f, v), "environment "+env); err != nil {
			return nil, err
		}
	}
	for _, f := range fields {
		if vs, ok := flagVals[f.name]; ok {
			if err := apply(s, f, vs, "flag --"+f.name); err != nil {
				return nil, err
			}
		}
	}
	s.fillDefaults()
	if err := s.check(); err != nil {
		return nil, err
	}
	return s, nil
}

func quoteAll(vs []string) string {
	q := make([]string, len(vs))
	for i, v := range vs {
		q[i] = fmt.Sprintf("%q", v)
	}
	return strings.Join(q, " and ")
}

// apply sets f from one source's values.
func apply(s *Settings, f *field, vs []string, origin string) error {
	if f.list {
		f.reset(s)
	}
	for _, v := range vs {
		if err := f.set(s, v); err != nil {
			return errorf(origin, "invalid value %q: %v", v, err)
		}
	}
	if f.name == "strategy" {
		for i := range s.Strategies {
			s.Strategies[i].Origin = fmt.Sprintf("%s, strategy %d", origin, i+1)
		}
	}
	s.setOrigin(f.name, origin)
	return nil
}

// splitList cuts an environment value of a list setting on its separator.
func splitList(f *field, v string) []string {
	if !f.list {
		return []string{v}
	}
	var out []string
	for p := range strings.SplitSeq(v, f.sep) {
		if p = strings.TrimSpace(p); p != "" {
			out = append(out, p)
		}
	}
	return out
}

// check validates what involves several settings.
func (s *Settings) check() error {
	if s.Name == "" {
		return errorf("setting name", "the hostname is unknown; set --name or MESHD_NAME")
	}
	if s.Multicast && len(s.MulticastIf) == 0 {
		return errorf(s.Origin("multicast"), "multicast needs multicast-if: meshd never multicasts on an interface it was not given (e.g. --multicast-if eth0)")
	}
	if s.HTTPToken != "" && s.HTTPTokenFile != "" {
		return errorf(s.Origin("http-token-file"), "give http-token or http-token-file, not both (http-token is from %s)", s.Origin("http-token"))
	}
	if s.HTTPTokenFile != "" {
		if _, err := ReadToken(s.HTTPTokenFile); err != nil {
			return errorf(s.Origin("http-token-file"), "%v", err)
		}
	}
	if s.HTTPToken == "" && s.HTTPTokenFile == "" && !s.HTTPInsecureNoToken && !isLoopbackHostPort(s.HTTP) {
		return errorf(s.Origin("http"), "the HTTP API would serve join, leave and reload on %s, beyond loopback, without a token: anyone who reaches it could make this agent leave the cluster. "+
			"Set --http-token-file FILE (or MESHD_HTTP_TOKEN), or listen on loopback (--http 127.0.0.1:7947), or accept the risk with --http-insecure-no-token", s.HTTP)
	}
	return nil
}

// isLoopbackHostPort reports whether an IP:PORT (as checked by ipPort)
// names a loopback address.
func isLoopbackHostPort(hp string) bool {
	ap, err := netip.ParseAddrPort(hp)
	return err == nil && ap.Addr().Unmap().IsLoopback()
}

const maxTokenSize = 4096

// ReadToken reads a bearer token file (trimmed, at most 4 KiB, not empty).
func ReadToken(path string) (string, error) {
	f, err := os.Open(path)
	if err != nil {
		return "", fmt.Errorf("token file: %w", err)
	}
	defer f.Close()
	b, err := io.ReadAll(io.LimitReader(f, maxTokenSize+1))
	if err != nil {
		return "", fmt.Errorf("token file %s: %w", path, err)
	}
	if len(b) > maxTokenSize {
		return "", fmt.Errorf("token file %s: longer than %d bytes", path, maxTokenSize)
	}
	t := strings.TrimSpace(string(b))
	if t == "" {
		return "", fmt.Errorf("token file %s: empty", path)
	}
	return t, nil
}

// command is the agent's command line; set receives each flag occurrence.
func command(set func(f *field, v string) error) *cli.Command {
	c := &cli.Command{
		Name:     "agent",
		Synopsis: "meshd agent [flags]",
		Summary: `Runs a meshd agent: joins the cluster through its seeds and strategies,
detects failures, serves the HTTP API (members, events, health, metrics) and,
on SIGTERM or SIGINT, leaves gracefully. SIGHUP reloads strategies, keyring and
log level from the config file.`,
		Notes: `Every flag is also read from the environment (MESHD_<FLAG>, lists comma-
separated, MESHD_STRATEGY ';'-separated) and from the YAML file given by
--config (keys are the flag names; 'strategies:' lists strategies as mappings).
Precedence: flags > environment > file > defaults.
Ports to open: 7946/udp (gossip) between members; 7947/tcp (HTTP API) only
for local tools and scrapers.`,
		Examples: []string{
			"meshd agent --profile local --name n1 --bind 127.0.0.2:7946",
			"meshd agent --profile local --name n2 --bind 127.0.0.3:7946 --join 127.0.0.2:7946 --snapshot /tmp/n2.json",
			"MESHD_ADVERTISE=$POD_IP:7946 MESHD_DNS=meshd.default.svc.cluster.local meshd agent",
			"meshd agent --config /etc/meshd/config.yaml",
		},
	}
	for _, f := range fields {
		f := f
		c.Flags = append(c.Flags, &cli.Flag{
			Name: f.name, Arg: f.arg, Usage: f.usage, Default: f.def, Env: true, Repeat: f.list,
			Set: func(v string) error { return set(f, v) },
		})
	}
	return c
}

// WriteHelp writes 'meshd agent --help'.
func WriteHelp(w io.Writer) { command(nil).WriteHelp(w) }
