package dnsclient

import (
	"net/netip"

	"github.com/meshd/meshd/mesh/strategy/internal/hostport"
)

// Address families, the values of the dns and dnssrv strategies' family
// option: which addresses of an answer become seeds.
const (
	FamilyAny  = "any"
	FamilyIPv4 = "ipv4"
	FamilyIPv6 = "ipv6"
)

// InFamily reports whether ip is a usable seed (hostport.UsableSeed) of
// family: any address for FamilyAny, IPv4 or IPv6 ones only for the others.
func InFamily(family string, ip netip.Addr) bool {
	return hostport.UsableSeed(ip) &&
		(family != FamilyIPv4 || ip.Is4()) &&
		(family != FamilyIPv6 || ip.Is6())
}
