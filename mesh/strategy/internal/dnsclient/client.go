package dnsclient

import (
	"context"
	"errors"
	"fmt"
	"net"
	"strings"
	"time"

	"github.com/meshd/meshd/mesh/strategy/internal/hostport"
	"github.com/miekg/dns"
)

// DefaultTimeout bounds one query to one server.
const DefaultTimeout = 2 * time.Second

// ResolvConf is where the system's servers and search list are read from
// when no server is given.
var ResolvConf = "/etc/resolv.conf"

// ednsSize is the UDP payload size we advertise: the DNS flag day 2020
// value, which avoids IP fragmentation; bigger answers come truncated and
// are fetched again over TCP.
const ednsSize = 1232

// Client queries one explicit server, or the servers of /etc/resolv.conf in
// order with its search list. It is safe for concurrent use.
type Client struct {
	servers []string
	conf    *dns.ClientConfig // nil with an explicit server: names are absolute
	udp     *dns.Client
	tcp     *dns.Client
}

// New returns a client of server ("host" or "host:port", an IP literal;
// port 53 by default), or of the system's resolvers when server is empty.
// timeout bounds each query (DefaultTimeout when 0).
func New(server string, timeout time.Duration) (*Client, error) {
	if timeout <= 0 {
		timeout = DefaultTimeout
	}
	c := &Client{
		udp: &dns.Client{Net: "udp", Timeout: timeout, UDPSize: ednsSize},
		tcp: &dns.Client{Net: "tcp", Timeout: timeout},
	}
	if server != "" {
		addr, err := ParseServer(server)
		if err != nil {
			return nil, err
		}
		c.servers = []string{addr}
		return c, nil
	}
	conf, err := dns.ClientConfigFromFile(ResolvConf)
	if err != nil {
		return nil, fmt.Errorf("no DNS server given and %s is unusable: %w", ResolvConf, err)
	}
	for _, s := range conf.Servers {
		c.servers = append(c.servers, net.JoinHostPort(s, conf.Port))
	}
	if len(c.servers) == 0 {
		return nil, fmt.Errorf("no DNS server given and %s names none", ResolvConf)
	}
	c.conf = conf
	return c, nil
}

// HostResolver returns the resolver of names in lists of hosts (the static
// and hostsfile strategies): Go's system resolver, /etc/hosts included,
// when server is empty, else a Client of server with DefaultTimeout.
func HostResolver(server string) (hostport.Resolver, error) {
	if server == "" {
		return hostport.SystemResolver{}, nil
	}
	c, err := New(server, 0)
	if err != nil {
		return nil, err
	}
	return c, nil
}

// ParseServer checks a DNS server address, "ip" or "ip:port" (IPv6 as
// "[ip]:port" or bare), and returns it as "ip:port".
func ParseServer(s string) (string, error) {
	e, err := hostport.ParseEntry(s, 53)
	if err != nil {
		return "", fmt.Errorf("DNS server %v", err)
	}
	if e.IsName() {
		return "", fmt.Errorf("DNS server %q must be an IP address, not a name", s)
	}
	if e.Lo != e.Hi {
		return "", fmt.Errorf("DNS server %q: a port range makes no sense here", s)
	}
	return hostport.Join(e.IP, e.Lo), nil
}

// Servers returns the servers the client asks, in order.
func (c *Client) Servers() []string { return append([]string(nil), c.servers...) }

// names returns the names to try for name: itself when absolute or with an
// explicit server, else the resolv.conf search list order.
func (c *Client) names(name string) []string {
	if c.conf == nil || strings.HasSuffix(name, ".") {
		return []string{dns.Fqdn(name)}
	}
	return c.conf.NameList(name)
}

// Query asks for (name, qtype) as given (no search list) and returns the
// complete answer. A truncated UDP answer is asked again over TCP; if that
// fails the result is an error matching ErrTruncated, never the partial
// answer. Servers are tried in order until one answers NOERROR or NXDOMAIN;
// an RcodeError or the transport error of the last server is returned.
func (c *Client) Query(ctx context.Context, name string, qtype uint16) (*dns.Msg, error) {
	q := new(dns.Msg)
	q.SetQuestion(dns.Fqdn(name), qtype)
	q.RecursionDesired = true
	q.SetEdns0(ednsSize, false)

	var last error
	for _, server := range c.servers {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		r, err := c.exchange(ctx, q, server)
		if err != nil {
			last = err
			continue
		}
		switch r.Rcode {
		case dns.RcodeSuccess:
			return r, nil
		case dns.RcodeNameError:
			// Authoritative: the name does not exist. Asking the next
			// server would only repeat it.
			return nil, &RcodeError{Name: q.Question[0].Name, Type: qtype, Rcode: r.Rcode, Server: server}
		default:
			last = &RcodeError{Name: q.Question[0].Name, Type: qtype, Rcode: r.Rcode, Server: server}
		}
	}
	return nil, last
}

// exchange sends q over UDP, and over TCP when the answer is truncated.
func (c *Client) exchange(ctx context.Context, q *dns.Msg, server string) (*dns.Msg, error) {
	r, _, err := c.udp.ExchangeContext(ctx, q, server)
	if r != nil && r.Truncated {
		// miekg may report an unpack error for a cut-off answer; the TC bit
		// is what matters: the complete answer only comes over TCP.
		tr, _, terr := c.tcp.ExchangeContext(ctx, q, server)
		if terr != nil {
			return nil, fmt.Errorf("dns: %s %s from %s: %w over UDP and TCP failed: %v",
				q.Question[0].Name, dns.TypeToString[q.Question[0].Qtype], server, ErrTruncated, terr)
		}
		if tr.Truncated {
			return nil, fmt.Errorf("dns: %s from %s: %w even over TCP", q.Question[0].Name, server, ErrTruncated)
		}
		r, err = tr, nil
	}
	if err != nil {
		return nil, fmt.Errorf("dns: %s %s from %s: %w", q.Question[0].Name, dns.TypeToString[q.Question[0].Qtype], server, err)
	}
	if err := matches(q, r); err != nil {
		return nil, fmt.Errorf("dns: from %s: %w", server, err)
	}
	return r, nil
}

// matches rejects an answer to another question.
func matches(q, r *dns.Msg) error {
	if !r.Response {
		return errors.New("reply is not a response")
	}
	if len(r.Question) != 1 {
		return fmt.Errorf("reply has %d questions, want 1", len(r.Question))
	}
	if !strings.EqualFold(r.Question[0].Name, q.Question[0].Name) || r.Question[0].Qtype != q.Question[0].Qtype {
		return fmt.Errorf("reply answers %s %s, asked %s %s", r.Question[0].Name, dns.TypeToString[r.Question[0].Qtype],
			q.Question[0].Name, dns.TypeToString[q.Question[0].Qtype])
	}
	return nil
}

// LookupSRV returns the SRV targets of name (absolute: SRV names are never
// searched) with their glue.
func (c *Client) LookupSRV(ctx context.Context, name string) ([]Target, error) {
	r, err := c.Query(ctx, name, dns.TypeSRV)
	if err != nil {
		return nil, err
	}
	return SRVs(r, dns.Fqdn(name)), nil
}
