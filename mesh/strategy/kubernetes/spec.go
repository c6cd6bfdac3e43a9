package kubernetes

import (
	"fmt"
	"strconv"
	"strings"
	"time"
)

// specKeys lists the keys ParseSpec accepts: the YAML names of Config.
var specKeys = []string{
	"namespace", "selector", "service", "mode", "port", "address_type",
	"cluster_domain", "api_server", "token_file", "ca_file", "namespace_file",
	"include_not_ready", "poll_interval", "watch", "timeout",
}

// maxSpecLen bounds a spec; it comes from a flag or an environment variable.
const maxSpecLen = 16 << 10

// ParseSpec parses the one-line form of Config used by flags and environment
// variables:
//
//	service=meshd,port=gossip
//	selector=app=meshd,tier=web,namespace=prod,mode=pods,port=7946
//	selector="app=meshd,mode=x",mode=endpointslices
//
// Grammar: KEY=VALUE pairs separated by commas, KEY being a YAML field name of
// Config (namespace, selector, service, mode, port, address_type,
// cluster_domain, api_server, token_file, ca_file, namespace_file,
// include_not_ready, poll_interval, watch, timeout). A VALUE runs up to the
// next comma that is followed by a known KEY and '=', so label selectors with
// several terms need no quoting; a VALUE in double quotes ends at its closing
// quote (for a selector whose label is itself named like a key). Booleans are
// true/false/1/0, durations are Go durations (10s, 1m). A key may appear once.
// The result is not validated beyond syntax and types: New does that.
func ParseSpec(s string) (Config, error) {
	var c Config
	if len(s) > maxSpecLen {
		return c, fmt.Errorf("kubernetes spec: %d bytes, limit %d", len(s), maxSpecLen)
	}
	pairs, err := splitSpec(s)
	if err != nil {
		return c, err
	}
	seen := map[string]bool{}
	for _, kv := range pairs {
		k, v := kv[0], kv[1]
		if seen[k] {
			return c, fmt.Errorf("kubernetes spec: key %q given twice", k)
		}
		seen[k] = true
		if err := c.set(k, v); err != nil {
			return c, fmt.Errorf("kubernetes spec: %s: %w", k, err)
		}
	}
	return c, nil
}

// splitSpec cuts s into [key, value] pairs, following ParseSpec's grammar.
func splitSpec(s string) ([][2]string, error) {
	var out [][2]string
	rest := strings.TrimSpace(s)
	for rest != "" {
		key, ok := leadingKey(rest)
		if !ok {
			end := strings.IndexByte(rest, ',')
			if end < 0 {
				end = len(rest)
			}
			return nil, fmt.Errorf("kubernetes spec: %q is not KEY=VALUE with a known key (%s)", rest[:end], strings.Join(specKeys, ", "))
		}
		rest = rest[len(key)+1:]
		var val string
		if strings.HasPrefix(rest, `"`) {
			end := strings.IndexByte(rest[1:], '"')
			if end < 0 {
				return nil, fmt.Errorf("kubernetes spec: %s: unterminated quote", key)
			}
			val, rest = rest[1:end+1], rest[end+2:]
			if rest != "" && rest[0] != ',' {
				return nil, fmt.Errorf("kubernetes spec: %s: text after the closing quote", key)
			}
		} else {
			end := nextKeyComma(rest)
			val, rest = rest[:end], rest[end:]
			if strings.HasSuffix(strings.TrimSpace(val), ",") {
				return nil, fmt.Errorf("kubernetes spec: %s: empty item after %q: an empty item is not KEY=VALUE", key, val)
			}
		}
		out = append(out, [2]string{key, strings.TrimSpace(val)})
		rest = strings.TrimSpace(strings.TrimPrefix(rest, ","))
	}
	return out, nil
}

// leadingKey reports the known key that s starts with, followed by '='.
func leadingKey(s string) (string, bool) {
	eq := strings.IndexByte(s, '=')
	if eq <= 0 {
		return "", false
	}
	k := strings.TrimSpace(s[:eq])
	for _, known := range specKeys {
		if k == known && s[:eq] == k {
			return k, true
		}
	}
	return "", false
}

// nextKeyComma returns the index of the first comma in s that starts the next
// KEY=VALUE pair, or len(s).
func nextKeyComma(s string) int {
	for i := 0; i < len(s); i++ {
		if s[i] != ',' {
			continue
		}
		if _, ok := leadingKey(strings.TrimLeft(s[i+1:], " ")); ok {
			return i
		}
	}
	return len(s)
}

// set assigns one field by its YAML name.
func (c *Config) set(k, v string) error {
	switch k {
	case "namespace":
		c.Namespace = v
	case "selector":
		c.Selector = v
	case "service":
		c.Service = v
	case "mode":
		c.Mode = v
	case "port":
		c.Port = v
	case "address_type":
		c.AddressType = v
	case "cluster_domain":
		c.ClusterDomain = v
	case "api_server":
		c.APIServer = v
	case "token_file":
		c.TokenFile = v
	case "ca_file":
		c.CAFile = v
	case "namespace_file":
		c.NamespaceFile = v
	case "include_not_ready":
		b, err := strconv.ParseBool(v)
		if err != nil {
			return fmt.Errorf("%q is not a boolean", v)
		}
		c.IncludeNotReady = b
	case "watch":
		b, err := strconv.ParseBool(v)
		if err != nil {
			return fmt.Errorf("%q is not a boolean", v)
		}
		c.Watch = &b
	case "poll_interval", "timeout":
		d, err := time.ParseDuration(v)
		if err != nil {
			return err
		}
		if d <= 0 {
			return fmt.Errorf("%v is not positive", d)
		}
		if k == "timeout" {
			c.Timeout = d
		} else {
			c.PollInterval = d
		}
	default:
		return fmt.Errorf("unknown key")
	}
	return nil
}
