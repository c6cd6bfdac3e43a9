package dnsclient

import (
	"net/netip"
	"strings"

	"github.com/miekg/dns"
)

const (
	// MaxRecords bounds how many records of one answer are used. A TCP
	// answer can hold a few thousand; more seeds than this is a mistake.
	MaxRecords = 4096
	// maxChain bounds CNAME chains followed inside one answer.
	maxChain = 16
)

// owners returns the lower-cased names the answer to qname may be owned by:
// qname and the targets of the CNAME chain that starts there.
func owners(answer []dns.RR, qname string) map[string]bool {
	names := map[string]bool{strings.ToLower(dns.Fqdn(qname)): true}
	for range maxChain {
		grew := false
		for _, rr := range answer {
			c, ok := rr.(*dns.CNAME)
			if !ok || !names[strings.ToLower(c.Hdr.Name)] {
				continue
			}
			if t := strings.ToLower(c.Target); !names[t] {
				names[t] = true
				grew = true
			}
		}
		if !grew {
			break
		}
	}
	return names
}

// Addrs returns the A and AAAA addresses for qname in m's answer section,
// following CNAMEs within it and ignoring records for other names (a
// resolver's stray or injected records must not become seeds).
func Addrs(m *dns.Msg, qname string) []netip.Addr {
	if m == nil {
		return nil
	}
	names := owners(m.Answer, qname)
	var out []netip.Addr
	for _, rr := range m.Answer {
		if len(out) >= MaxRecords {
			break
		}
		if rr == nil || !names[strings.ToLower(rr.Header().Name)] {
			continue
		}
		if ip, ok := addr(rr); ok {
			out = append(out, ip)
		}
	}
	return out
}

// addr returns the address of an A or AAAA record, IPv4-mapped IPv6
// addresses unmapped; ok is false for other records.
func addr(rr dns.RR) (ip netip.Addr, ok bool) {
	switch r := rr.(type) {
	case *dns.A:
		ip, ok = netip.AddrFromSlice(r.A)
	case *dns.AAAA:
		ip, ok = netip.AddrFromSlice(r.AAAA)
	}
	return ip.Unmap(), ok
}

// Target is one SRV target: a host name and port, with the addresses the
// server volunteered for it in the additional section (glue), if any.
type Target struct {
	Host     string
	Port     uint16
	Priority uint16
	Weight   uint16
	Glue     []netip.Addr
}

// SRVs returns the SRV targets for qname in m, with glue from the
// additional section. Targets "." (RFC 2782: service not available here)
// and port 0 are skipped.
func SRVs(m *dns.Msg, qname string) []Target {
	if m == nil {
		return nil
	}
	names := owners(m.Answer, qname)
	var out []Target
	type key struct {
		host string
		port uint16
	}
	seen := map[key]bool{} // duplicates add nothing
	for _, rr := range m.Answer {
		if len(out) >= MaxRecords {
			break
		}
		s, ok := rr.(*dns.SRV)
		if !ok || !names[strings.ToLower(s.Hdr.Name)] || s.Target == "." || s.Target == "" || s.Port == 0 {
			continue
		}
		k := key{strings.ToLower(s.Target), s.Port}
		if seen[k] {
			continue
		}
		seen[k] = true
		out = append(out, Target{Host: s.Target, Port: s.Port, Priority: s.Priority, Weight: s.Weight})
	}
	if len(out) == 0 {
		return nil
	}
	glue := map[string][]netip.Addr{}
	n := 0
	for _, rr := range m.Extra {
		if n >= MaxRecords {
			break
		}
		if ip, ok := addr(rr); ok {
			name := strings.ToLower(rr.Header().Name)
			glue[name] = append(glue[name], ip)
			n++
		}
	}
	for i := range out {
		out[i].Glue = glue[strings.ToLower(out[i].Host)]
	}
	return out
}
