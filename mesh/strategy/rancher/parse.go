package rancher

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/netip"
	"strings"

	"github.com/meshd/meshd/mesh/strategy/internal/hostport"
)

// Limits on the metadata answer.
const (
	// MaxBody is the largest answer read, in bytes.
	MaxBody = 4 << 20
	// MaxContainers is the most containers used from one answer.
	MaxContainers = 4096
)

// service is the part of /latest/self/service we read. Containers is a
// pointer so that a missing field is told from an empty list.
type service struct {
	Containers *[]json.RawMessage `json:"containers"`
}

type container struct {
	Name      string   `json:"name"`
	PrimaryIP string   `json:"primary_ip"`
	IPs       []string `json:"ips"`
	State     string   `json:"state"`
}

// liveStates are the container states whose containers are seeds; an
// absent state counts as live (not every metadata version sets it).
var liveStates = map[string]bool{"": true, "running": true, "starting": true, "restarting": true}

// Parse reads a /latest/self/service answer and returns one "ip:port" seed
// per live container. Containers without a usable address are skipped and
// reported in the error, which may come with a non-empty list; a body that
// is not the expected JSON is an error with no list.
func Parse(body []byte, port uint16) ([]string, error) {
	var svc service
	if err := json.Unmarshal(body, &svc); err != nil {
		return nil, fmt.Errorf("rancher metadata: not the /latest/self/service JSON: %v", err)
	}
	if svc.Containers == nil {
		return nil, errors.New(`rancher metadata: no "containers" field (is the URL the metadata service, and the container on a managed network?)`)
	}
	var (
		out     []string
		skipped []string
	)
	for i, raw := range *svc.Containers {
		if i >= MaxContainers {
			skipped = append(skipped, fmt.Sprintf("%d containers beyond the first %d", len(*svc.Containers)-MaxContainers, MaxContainers))
			break
		}
		var c container
		if err := json.Unmarshal(raw, &c); err != nil {
			skipped = append(skipped, fmt.Sprintf("containers[%d] is not an object with an address", i))
			continue
		}
		if !liveStates[strings.ToLower(c.State)] {
			continue
		}
		ip, ok := address(c)
		if !ok {
			skipped = append(skipped, fmt.Sprintf("container %q (containers[%d]) has no usable IP", c.Name, i))
			continue
		}
		out = append(out, hostport.Join(ip, port))
	}
	if len(skipped) == 0 {
		return out, nil
	}
	if len(skipped) > 5 {
		skipped = append(skipped[:5], fmt.Sprintf("and %d more", len(skipped)-5))
	}
	return out, errors.New("rancher metadata: skipped " + strings.Join(skipped, "; "))
}

// address picks a container's address: the first of "ips" (libcluster's
// choice) or else "primary_ip".
func address(c container) (netip.Addr, bool) {
	cands := c.IPs
	if len(cands) > 1 {
		cands = cands[:1]
	}
	for _, s := range append(cands, c.PrimaryIP) {
		if ip, ok := parseIP(s); ok {
			return ip, true
		}
	}
	return netip.Addr{}, false
}

// parseIP reads "10.42.1.5" or "10.42.1.5/16".
func parseIP(s string) (netip.Addr, bool) {
	s = strings.TrimSpace(s)
	if s == "" || len(s) > 64 {
		return netip.Addr{}, false
	}
	if p, err := netip.ParsePrefix(s); err == nil {
		s = p.Addr().String()
	}
	ip, err := netip.ParseAddr(s)
	if err != nil || ip.Zone() != "" {
		return netip.Addr{}, false
	}
	ip = ip.Unmap()
	return ip, hostport.UsableSeed(ip)
}
