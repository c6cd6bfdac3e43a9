// Package hostport parses the seed entries that static lists and hosts files
// share: "host", "host:port", "host:lo-hi" (a port range, like Erlang's
// inet_dist_listen_min/max), "[v6]:port", a bare IPv6 literal, and turns them
// into "host:port" strings, resolving names on every call.
//
// Everything here reads outside input (flags, environment, files), so every
// parser bounds what it accepts and returns errors that quote the input.
package hostport

import (
	"errors"
	"fmt"
	"net/netip"
	"strconv"
	"strings"
)

// Limits on what one entry may expand to, so that a typo such as
// "10.0.0.1:1-65535" is an error instead of 65535 join attempts.
const (
	// MaxPortRange is the most ports one entry's range may span.
	MaxPortRange = 1024
	// MaxSeeds is the most addresses one expansion yields; beyond it the
	// rest is dropped and reported.
	MaxSeeds = 8192
	// maxEntryLen bounds one entry before any parsing.
	maxEntryLen = 512
)

// Entry is one parsed seed entry.
type Entry struct {
	// Host is the host as written, without brackets: an IP literal or a DNS
	// name.
	Host string
	// IP is the address when Host is an IP literal, invalid for a name.
	IP netip.Addr
	// Lo and Hi are the first and last port, equal for a single port.
	Lo, Hi uint16
}

// IsName reports whether the entry's host must be resolved.
func (e Entry) IsName() bool { return !e.IP.IsValid() }

// Ports is how many ports the entry spans.
func (e Entry) Ports() int { return int(e.Hi) - int(e.Lo) + 1 }

// String formats the entry back in the syntax ParseEntry reads.
func (e Entry) String() string {
	host := e.Host
	if e.IP.Is6() {
		host = "[" + host + "]"
	}
	if e.Lo == e.Hi {
		return host + ":" + strconv.Itoa(int(e.Lo))
	}
	return host + ":" + strconv.Itoa(int(e.Lo)) + "-" + strconv.Itoa(int(e.Hi))
}

// ParseEntry parses one entry; a missing port means defaultPort.
//
//	10.0.0.5            10.0.0.5:7946         10.0.0.5:7946-7950
//	node1.example.com   node1:7946            [2001:db8::1]:7946-7950
//	2001:db8::1         [2001:db8::1]         [fe80::1%eth0]:7946
func ParseEntry(s string, defaultPort uint16) (Entry, error) {
	s = strings.TrimSpace(s)
	if s == "" {
		return Entry{}, errors.New("empty host")
	}
	if len(s) > maxEntryLen {
		return Entry{}, fmt.Errorf("entry of %d bytes, at most %d", len(s), maxEntryLen)
	}
	host, portSpec, bracketed, err := splitHostPort(s)
	if err != nil {
		return Entry{}, err
	}
	e := Entry{Host: host, Lo: defaultPort, Hi: defaultPort}
	if ip, err := netip.ParseAddr(host); err == nil {
		if err := validZone(ip.Zone()); err != nil {
			return Entry{}, fmt.Errorf("%q: %v", s, err)
		}
		e.IP = ip.Unmap()
		if ip.Is4In6() {
			e.Host = e.IP.String()
		}
	} else if bracketed {
		return Entry{}, fmt.Errorf("%q: only an IPv6 address may be in brackets", s)
	} else if err := ValidName(host); err != nil {
		return Entry{}, fmt.Errorf("%q: %v", s, err)
	}
	if portSpec != "" {
		if e.Lo, e.Hi, err = ParsePortRange(portSpec); err != nil {
			return Entry{}, fmt.Errorf("%q: %v", s, err)
		}
	} else if defaultPort == 0 {
		return Entry{}, fmt.Errorf("%q has no port and there is no default port", s)
	}
	return e, nil
}

// splitHostPort separates host and port text, accepting a bare IPv6 literal
// (more than one colon, no brackets) as a host without port.
func splitHostPort(s string) (host, port string, bracketed bool, err error) {
	if strings.HasPrefix(s, "[") {
		end := strings.IndexByte(s, ']')
		if end < 0 {
			return "", "", false, fmt.Errorf("%q: missing ']'", s)
		}
		host, rest := s[1:end], s[end+1:]
		switch {
		case rest == "":
		case strings.HasPrefix(rest, ":") && len(rest) > 1:
			port = rest[1:]
		default:
			return "", "", false, fmt.Errorf("%q: want [address]:port after the ']'", s)
		}
		if host == "" {
			return "", "", false, fmt.Errorf("%q: empty address in brackets", s)
		}
		return host, port, true, nil
	}
	switch strings.Count(s, ":") {
	case 0:
		return s, "", false, nil
	case 1:
		i := strings.IndexByte(s, ':')
		if i == 0 || i == len(s)-1 {
			return "", "", false, fmt.Errorf("%q: want host:port", s)
		}
		return s[:i], s[i+1:], false, nil
	default:
		if _, err := netip.ParseAddr(s); err != nil {
			return "", "", false, fmt.Errorf("%q is not an IPv6 address; write an IPv6 address with a port as [address]:port", s)
		}
		return s, "", false, nil
	}
}

// ParsePortRange parses "7946" or "7946-7950". Ports are 1 to 65535 and a
// range spans at most MaxPortRange ports.
func ParsePortRange(s string) (lo, hi uint16, err error) {
	loS, hiS, isRange := strings.Cut(s, "-")
	if lo, err = parsePort(loS); err != nil {
		return 0, 0, err
	}
	if !isRange {
		return lo, lo, nil
	}
	if hi, err = parsePort(hiS); err != nil {
		return 0, 0, err
	}
	if hi < lo {
		return 0, 0, fmt.Errorf("port range %d-%d is backwards", lo, hi)
	}
	if n := int(hi) - int(lo) + 1; n > MaxPortRange {
		return 0, 0, fmt.Errorf("port range %d-%d spans %d ports, at most %d", lo, hi, n, MaxPortRange)
	}
	return lo, hi, nil
}

func parsePort(s string) (uint16, error) {
	n, err := strconv.ParseUint(s, 10, 16)
	if err != nil || n == 0 {
		return 0, fmt.Errorf("port %q: want a number from 1 to 65535", s)
	}
	return uint16(n), nil
}

// ValidName checks s as a DNS host name: at most 253 bytes without the
// trailing dot, labels of 1 to 63 letters, digits, '-' or '_' (SRV-style
// labels and some internal names use '_').
func ValidName(s string) error {
	name := strings.TrimSuffix(s, ".")
	if name == "" {
		return errors.New("empty host name")
	}
	if len(name) > 253 {
		return fmt.Errorf("host name of %d bytes, at most 253", len(name))
	}
	for label := range strings.SplitSeq(name, ".") {
		if label == "" || len(label) > 63 {
			return fmt.Errorf("host name label %q must be 1 to 63 bytes", label)
		}
		if label[0] == '-' || label[len(label)-1] == '-' {
			return fmt.Errorf("host name label %q starts or ends with '-'", label)
		}
		for i := 0; i < len(label); i++ {
			c := label[i]
			if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '-' || c == '_') {
				return fmt.Errorf("host name %q has a bad character %q", s, c)
			}
		}
	}
	return nil
}

// validZone accepts IPv6 zones that name an interface or its index, so a
// zone can never smuggle brackets or separators into a formatted address.
func validZone(z string) error {
	for i := 0; i < len(z); i++ {
		c := z[i]
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '-' || c == '_' || c == '.') {
			return fmt.Errorf("IPv6 zone %q: want an interface name or index", z)
		}
	}
	return nil
}

// Join formats an address and port, bracketing IPv6: "[2001:db8::1]:7946".
func Join(ip netip.Addr, port uint16) string {
	return netip.AddrPortFrom(ip, port).String()
}

// UsableSeed reports whether an address can be a peer: not unspecified, not
// multicast. Loopback is fine (tests, single-host clusters).
func UsableSeed(ip netip.Addr) bool {
	return ip.IsValid() && !ip.IsUnspecified() && !ip.IsMulticast()
}
