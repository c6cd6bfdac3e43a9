package dnsclient

import (
	"context"
	"errors"
	"fmt"
	"net"

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

// Cause names why a query failed, in the words of a DNS operator: the rcode
// ("REFUSED", "SERVFAIL", "NXDOMAIN"), "timeout", "truncated" or "error"
// for any other transport failure. It is the key failures are counted by.
func Cause(err error) string {
	var rc *RcodeError
	var ne net.Error
	switch {
	case err == nil:
		return ""
	case errors.As(err, &rc):
		return rcodeName(rc.Rcode)
	case errors.Is(err, ErrTruncated):
		return "truncated"
	case errors.Is(err, context.DeadlineExceeded), errors.As(err, &ne) && ne.Timeout():
		return "timeout"
	case errors.Is(err, context.Canceled):
		return "canceled"
	}
	return "error"
}
