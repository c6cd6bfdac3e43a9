package dnsclient

import (
	"errors"
	"fmt"

	"github.com/miekg/dns"
)

// ErrNXDomain is matched (errors.Is) by the RcodeError of a name that does
// not exist.
var ErrNXDomain = errors.New("NXDOMAIN")

// ErrTruncated is matched by the error of an answer that was truncated over
// UDP and could not be had complete over TCP.
var ErrTruncated = errors.New("answer truncated")

// RcodeError is a server's refusal to answer: NXDOMAIN, SERVFAIL, REFUSED...
type RcodeError struct {
	Name   string
	Type   uint16
	Rcode  int
	Server string
}

func (e *RcodeError) Error() string {
	return fmt.Sprintf("dns: %s %s: %s from %s", e.Name, dns.TypeToString[e.Type], rcodeName(e.Rcode), e.Server)
}

// Is makes errors.Is(err, ErrNXDomain) work.
func (e *RcodeError) Is(target error) bool {
	return target == ErrNXDomain && e.Rcode == dns.RcodeNameError
}

func rcodeName(rc int) string {
	if s, ok := dns.RcodeToString[rc]; ok {
		return s
	}
	return fmt.Sprintf("RCODE%d", rc)
}
