// Package dnstest runs a real DNS server (github.com/miekg/dns) on
// 127.0.0.1, UDP and TCP on one port, whose records and failures tests
// change between polls: records added and removed, NXDOMAIN, SERVFAIL,
// silence (timeouts), truncated UDP answers, TCP refused, one query type
// refused while the other is answered. Tests never query any other server.
//
// StartDnsmasq runs a real dnsmasq instead, for what a real server does
// that a test server only imitates.
package dnstest

import (
	"net"
	"net/netip"
	"strings"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/miekg/dns"
)

// Server is a test DNS server. Its setters are safe for concurrent use.
type Server struct {
	// Addr is "127.0.0.1:port", for UDP and TCP.
	Addr string

	udp, tcp *dns.Server

	mu       sync.Mutex
	records  map[string][]dns.RR // lower-case FQDN -> records of any type
	rcodes   map[string]int      // lower-case FQDN -> forced rcode
	typed    map[typedName]int   // (FQDN, qtype) -> forced rcode for that type only
	silent   bool                // answer nothing (client times out)
	truncate bool                // UDP answers carry TC and only their first record
	noTCP    bool                // TCP connections are closed unanswered

	udpQueries, tcpQueries atomic.Int64
}

// typedName is a name and a query type.
type typedName struct {
	name  string
	qtype uint16
}

// Start starts a server on 127.0.0.1 and stops it when the test ends.
func Start(t testing.TB) *Server {
	t.Helper()
	s := &Server{records: map[string][]dns.RR{}, rcodes: map[string]int{}, typed: map[typedName]int{}}
	var pc net.PacketConn
	var l net.Listener
	// The UDP port picked by the kernel may be taken for TCP; try a few.
	for range 20 {
		p, err := net.ListenPacket("udp", "127.0.0.1:0")
		if err != nil {
			t.Fatalf("dnstest: listen udp: %v", err)
		}
		if l, err = net.Listen("tcp", p.LocalAddr().String()); err == nil {
			pc = p
			break
		}
		p.Close()
	}
	if pc == nil {
		t.Fatal("dnstest: no port free for both UDP and TCP")
	}
	s.Addr = pc.LocalAddr().String()
	h := dns.HandlerFunc(s.serve)
	started := make(chan struct{}, 2)
	notify := func() { started <- struct{}{} }
	s.udp = &dns.Server{PacketConn: pc, Handler: h, NotifyStartedFunc: notify}
	s.tcp = &dns.Server{Listener: l, Handler: h, NotifyStartedFunc: notify}
	errs := make(chan error, 2)
	go func() { errs <- s.udp.ActivateAndServe() }()
	go func() { errs <- s.tcp.ActivateAndServe() }()
	for range 2 {
		select {
		case <-started:
		case err := <-errs:
			t.Fatalf("dnstest: serve: %v", err)
		}
	}
	t.Cleanup(func() {
		s.udp.Shutdown()
		s.tcp.Shutdown()
		for range 2 {
			<-errs
		}
	})
	return s
}

func key(name string) string { return strings.ToLower(dns.Fqdn(name)) }

// SetIPs replaces the A and AAAA records of name (each IP by its family).
func (s *Server) SetIPs(name string, ips ...string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	k := key(name)
	var keep []dns.RR
	for _, rr := range s.records[k] {
		if t := rr.Header().Rrtype; t != dns.TypeA && t != dns.TypeAAAA {
			keep = append(keep, rr)
		}
	}
	for _, ip := range ips {
		a := netip.MustParseAddr(ip)
		hdr := dns.RR_Header{Name: dns.Fqdn(name), Class: dns.ClassINET, Ttl: 5}
		if a.Is4() {
			hdr.Rrtype = dns.TypeA
			keep = append(keep, &dns.A{Hdr: hdr, A: a.AsSlice()})
		} else {
			hdr.Rrtype = dns.TypeAAAA
			keep = append(keep, &dns.AAAA{Hdr: hdr, AAAA: a.AsSlice()})
		}
	}
	s.records[k] = keep
}

// SRV is one SRV record's data.
type SRV struct {
	Target string
	Port   uint16
	// Glue, if set, is put in the additional section as A/AAAA of Target.
	Glue []string
}

// SetSRV replaces the SRV records of name.
func (s *Server) SetSRV(name string, targets ...SRV) {
	s.mu.Lock()
	defer s.mu.Unlock()
	k := key(name)
	var keep []dns.RR
	for _, rr := range s.records[k] {
		if rr.Header().Rrtype != dns.TypeSRV {
			keep = append(keep, rr)
		}
	}
	for i, t := range targets {
		keep = append(keep, &dns.SRV{
			Hdr:    dns.RR_Header{Name: dns.Fqdn(name), Rrtype: dns.TypeSRV, Class: dns.ClassINET, Ttl: 5},
			Target: dns.Fqdn(t.Target), Port: t.Port, Priority: 10, Weight: uint16(10 + i),
		})
	}
	s.records[k] = keep
	s.glue(targets)
}

// glue stores the additional-section data of SRV targets under a private
// key, so it is returned only as glue, not as an answer for the target.
func (s *Server) glue(targets []SRV) {
	for _, t := range targets {
		k := "glue:" + key(t.Target)
		s.records[k] = nil
		for _, ip := range t.Glue {
			a := netip.MustParseAddr(ip)
			hdr := dns.RR_Header{Name: dns.Fqdn(t.Target), Class: dns.ClassINET, Ttl: 5}
			if a.Is4() {
				hdr.Rrtype = dns.TypeA
				s.records[k] = append(s.records[k], &dns.A{Hdr: hdr, A: a.AsSlice()})
			} else {
				hdr.Rrtype = dns.TypeAAAA
				s.records[k] = append(s.records[k], &dns.AAAA{Hdr: hdr, AAAA: a.AsSlice()})
			}
		}
	}
}

// SetCNAME makes name an alias of target.
func (s *Server) SetCNAME(name, target string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.records[key(name)] = []dns.RR{&dns.CNAME{
		Hdr:    dns.RR_Header{Name: dns.Fqdn(name), Rrtype: dns.TypeCNAME, Class: dns.ClassINET, Ttl: 5},
		Target: dns.Fqdn(target),
	}}
}

// Remove deletes every record of name: it answers NXDOMAIN.
func (s *Server) Remove(name string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	delete(s.records, key(name))
}

// SetRcode forces an rcode (dns.RcodeServerFailure, ...) for name; 0 clears.
func (s *Server) SetRcode(name string, rcode int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if rcode == 0 {
		delete(s.rcodes, key(name))
	} else {
		s.rcodes[key(name)] = rcode
	}
}

// SetTypeRcode forces an rcode for the queries of one type for name only
// (dns.TypeAAAA, dns.RcodeRefused: what dnsmasq answers for the AAAA of a
// name it has only an A record for); 0 clears. It takes precedence over
// SetRcode.
func (s *Server) SetTypeRcode(name string, qtype uint16, rcode int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	k := typedName{key(name), qtype}
	if rcode == 0 {
		delete(s.typed, k)
	} else {
		s.typed[k] = rcode
	}
}

// SetSilent makes the server answer nothing, so clients time out.
func (s *Server) SetSilent(on bool) { s.mu.Lock(); s.silent = on; s.mu.Unlock() }

// SetTruncate makes UDP answers carry the TC bit and only their first
// record, as a server whose answer does not fit does.
func (s *Server) SetTruncate(on bool) { s.mu.Lock(); s.truncate = on; s.mu.Unlock() }

// SetTCP enables or disables answers over TCP (disabled: connections are
// closed without an answer).
func (s *Server) SetTCP(on bool) { s.mu.Lock(); s.noTCP = !on; s.mu.Unlock() }

// Queries returns how many queries arrived over UDP and TCP.
func (s *Server) Queries() (udp, tcp int64) { return s.udpQueries.Load(), s.tcpQueries.Load() }

func (s *Server) serve(w dns.ResponseWriter, q *dns.Msg) {
	isTCP := w.LocalAddr().Network() == "tcp"
	if isTCP {
		s.tcpQueries.Add(1)
	} else {
		s.udpQueries.Add(1)
	}
	s.mu.Lock()
	silent, truncate, noTCP := s.silent, s.truncate, s.noTCP
	s.mu.Unlock()
	if silent || (isTCP && noTCP) || len(q.Question) != 1 {
		w.Close()
		return
	}
	r := s.answer(q)
	if !isTCP {
		if truncate && len(r.Answer) > 1 {
			r.Answer, r.Extra = r.Answer[:1], nil
			r.Truncated = true
		} else {
			// What a real server does with an answer bigger than the
			// client's buffer.
			size := dns.MinMsgSize
			if o := q.IsEdns0(); o != nil {
				size = int(o.UDPSize())
			}
			r.Truncate(size)
		}
	}
	// A failed write is the client's problem (it went away); it sees a
	// timeout, which is what the test would want to provoke anyway.
	_ = w.WriteMsg(r)
}

func (s *Server) answer(q *dns.Msg) *dns.Msg {
	s.mu.Lock()
	defer s.mu.Unlock()
	r := new(dns.Msg)
	r.SetReply(q)
	r.Authoritative = true
	name, qtype := key(q.Question[0].Name), q.Question[0].Qtype
	if rc, ok := s.typed[typedName{name, qtype}]; ok {
		r.Rcode = rc
		return r
	}
	if rc, ok := s.rcodes[name]; ok {
		r.Rcode = rc
		return r
	}
	// Follow CNAMEs like a recursive resolver would, into one answer.
	for range 8 {
		rrs, ok := s.records[name]
		if !ok {
			if len(r.Answer) == 0 {
				r.Rcode = dns.RcodeNameError
			}
			return r
		}
		next := ""
		for _, rr := range rrs {
			switch {
			case rr.Header().Rrtype == qtype:
				r.Answer = append(r.Answer, dns.Copy(rr))
			case rr.Header().Rrtype == dns.TypeCNAME:
				r.Answer = append(r.Answer, dns.Copy(rr))
				next = key(rr.(*dns.CNAME).Target)
			}
			if srv, ok := rr.(*dns.SRV); ok && qtype == dns.TypeSRV {
				for _, g := range s.records["glue:"+key(srv.Target)] {
					r.Extra = append(r.Extra, dns.Copy(g))
				}
			}
		}
		if next == "" {
			break
		}
		name = next
	}
	if o := q.IsEdns0(); o != nil {
		r.SetEdns0(o.UDPSize(), false)
	}
	return r
}
