// Package check validates the Config fields that several strategies share,
// with one wording for all: "KIND: Config.FIELD: what is wrong".
package check

import (
	"fmt"
	"time"

	"github.com/meshd/meshd/mesh/strategy/internal/dnsclient"
)

// First returns the first of errs that is not nil: a Config's checks are
// listed in the order of its fields and the first bad one is reported.
func First(errs ...error) error {
	for _, err := range errs {
		if err != nil {
			return err
		}
	}
	return nil
}

// Port checks a port field: 1 to 65535.
func Port(kind, field string, port int) error {
	if port < 1 || port > 65535 {
		return fmt.Errorf("%s: Config.%s: %d, must be 1 to 65535", kind, field, port)
	}
	return nil
}

// NotNegative checks a duration field, where zero means the default.
func NotNegative(kind, field string, d time.Duration) error {
	if d < 0 {
		return fmt.Errorf("%s: Config.%s: %v, must not be negative", kind, field, d)
	}
	return nil
}

// Resolver checks Config.Resolver: empty (the system's resolvers) or a DNS
// server address, "ip" or "ip:port".
func Resolver(kind, server string) error {
	if server == "" {
		return nil
	}
	if _, err := dnsclient.ParseServer(server); err != nil {
		return fmt.Errorf("%s: Config.Resolver: %v", kind, err)
	}
	return nil
}

// Family checks Config.Family: any, ipv4 or ipv6.
func Family(kind, family string) error {
	switch family {
	case dnsclient.FamilyAny, dnsclient.FamilyIPv4, dnsclient.FamilyIPv6:
		return nil
	}
	return fmt.Errorf("%s: Config.Family: %q, want any, ipv4 or ipv6", kind, family)
}
