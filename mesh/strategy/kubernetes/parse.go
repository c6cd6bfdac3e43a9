package kubernetes

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/netip"
	"strconv"
	"strings"
	"unicode/utf8"
)

// Limits on what the API server may send, so that a confused or hostile
// server (or a proxy in front of it) cannot make the strategy allocate
// without bound.
const (
	maxListBytes  = 64 << 20 // one page of a list response
	maxEventBytes = 16 << 20 // one watch event (one object)
	maxErrorBytes = 64 << 10 // the body of an error response
	maxObjects    = 50_000   // objects followed at once across pages and watch
	listPageSize  = 500      // ?limit= for list requests, as kubectl uses
)

// errTooLarge is returned when a response exceeds its limit.
var errTooLarge = errors.New("kubernetes: response exceeds the size limit")

// limitedReader fails with errTooLarge once more than n bytes were read, so
// that a decoder stops instead of buffering an endless value.
type limitedReader struct {
	r io.Reader
	n int64
}

func (l *limitedReader) Read(p []byte) (int, error) {
	if l.n <= 0 {
		return 0, errTooLarge
	}
	if int64(len(p)) > l.n {
		p = p[:l.n]
	}
	n, err := l.r.Read(p)
	l.n -= int64(n)
	return n, err
}

// extractor turns API objects into seed addresses. It is built from a
// validated Config and the namespace of the current call.
type extractor struct {
	mode            string
	port            string // number or name
	portNum         int    // > 0 when port is a number
	addressType     string
	service         string
	namespace       string
	clusterDomain   string
	includeNotReady bool
}

func newExtractor(c Config, namespace string) extractor {
	n, _ := strconv.Atoi(c.Port)
	return extractor{
		mode: c.Mode, port: c.Port, portNum: n, addressType: c.AddressType,
		service: c.Service, namespace: namespace, clusterDomain: c.ClusterDomain,
		includeNotReady: c.IncludeNotReady,
	}
}

// object is one listed or watched object reduced to what discovery needs:
// its identity and its seeds, and how many eligible endpoints could not be
// turned into a seed: noPort for want of the named port, badAddr for want of
// a usable IP or hostname.
type object struct {
	key     string // namespace/name
	rv      string
	seeds   []string
	noPort  int
	badAddr int
}

// page is one decoded list response.
type page struct {
	rv      string
	cont    string
	objects []object
}

// parseList decodes one page of a list response for the extractor's mode.
func (x extractor) parseList(r io.Reader) (page, error) {
	dec := json.NewDecoder(&limitedReader{r: r, n: maxListBytes})
	var p page
	var err error
	switch x.mode {
	case ModeEndpointSlices:
		err = decodeList(dec, &p, x.slice)
	case ModeEndpoints:
		err = decodeList(dec, &p, x.endpoints)
	case ModePods:
		err = decodeList(dec, &p, x.pod)
	default:
		err = fmt.Errorf("kubernetes: unknown mode %q", x.mode)
	}
	return p, err
}

type metaObject interface{ meta() objectMeta }

func (o endpointSlice) meta() objectMeta { return o.Metadata }
func (o endpoints) meta() objectMeta     { return o.Metadata }
func (o pod) meta() objectMeta           { return o.Metadata }

func decodeList[T metaObject](dec *json.Decoder, p *page, conv func(T) object) error {
	var l struct {
		Kind     string   `json:"kind"`
		Metadata listMeta `json:"metadata"`
		Items    []T      `json:"items"`
	}
	if err := dec.Decode(&l); err != nil {
		return fmt.Errorf("kubernetes: decoding list: %w", err)
	}
	if l.Kind == "Status" {
		return errors.New("kubernetes: list response is a Status, not a list")
	}
	if len(l.Items) > maxObjects {
		return fmt.Errorf("kubernetes: list page has %d objects, limit %d", len(l.Items), maxObjects)
	}
	p.rv, p.cont = l.Metadata.ResourceVersion, l.Metadata.Continue
	p.objects = make([]object, 0, len(l.Items))
	for _, it := range l.Items {
		p.objects = append(p.objects, conv(it))
	}
	return nil
}

// event is one decoded watch event.
type event struct {
	typ    string // ADDED, MODIFIED, DELETED, BOOKMARK, ERROR
	obj    object
	status status // for ERROR
}

// parseEvent decodes one watch event from dec, whose reader the caller
// limits per event.
func (x extractor) parseEvent(dec *json.Decoder) (event, error) {
	var raw struct {
		Type   string          `json:"type"`
		Object json.RawMessage `json:"object"`
	}
	if err := dec.Decode(&raw); err != nil {
		return event{}, err
	}
	ev := event{typ: raw.Type}
	var err error
	switch raw.Type {
	case "ADDED", "MODIFIED", "DELETED":
		switch x.mode {
		case ModeEndpointSlices:
			ev.obj, err = decodeObject(raw.Object, x.slice)
		case ModeEndpoints:
			ev.obj, err = decodeObject(raw.Object, x.endpoints)
		case ModePods:
			ev.obj, err = decodeObject(raw.Object, x.pod)
		}
	case "BOOKMARK":
		var m struct {
			Metadata objectMeta `json:"metadata"`
		}
		err = json.Unmarshal(raw.Object, &m)
		ev.obj.rv = m.Metadata.ResourceVersion
	case "ERROR":
		err = json.Unmarshal(raw.Object, &ev.status)
	default:
		err = fmt.Errorf("kubernetes: unknown watch event type %q", truncate(raw.Type, 32))
	}
	if err != nil {
		return event{}, fmt.Errorf("kubernetes: decoding %s event: %w", truncate(raw.Type, 32), err)
	}
	return ev, nil
}

func decodeObject[T metaObject](b []byte, conv func(T) object) (object, error) {
	var v T
	if err := json.Unmarshal(b, &v); err != nil {
		return object{}, err
	}
	if v.meta().Name == "" {
		return object{}, errors.New("object without metadata.name")
	}
	return conv(v), nil
}

func objectKey(m objectMeta) string { return m.Namespace + "/" + m.Name }

// ns is the namespace used in dns and hostname addresses: the object's own,
// which equals the configured one.
func (x extractor) ns(m objectMeta) string {
	if m.Namespace != "" {
		return m.Namespace
	}
	return x.namespace
}

// slice extracts the seeds of an EndpointSlice.
func (x extractor) slice(s endpointSlice) object {
	o := object{key: objectKey(s.Metadata), rv: s.Metadata.ResourceVersion}
	port, ok := x.portNum, x.portNum > 0
	if !ok {
		for _, p := range s.Ports {
			if p.Name != nil && *p.Name == x.port && p.Port != nil {
				port, ok = int(*p.Port), true
				break
			}
		}
	}
	for _, ep := range s.Endpoints {
		ready := ep.Conditions.Ready == nil || *ep.Conditions.Ready
		if !ready && !x.includeNotReady {
			continue
		}
		if len(ep.Addresses) == 0 {
			o.badAddr++
			continue
		}
		if !ok {
			o.noPort++
			continue
		}
		// Every address of one endpoint is the same pod; the first is
		// enough (the API allows only one today).
		x.add(&o, ep.Addresses[0], ep.Hostname, s.Metadata, port)
	}
	return o
}

// endpoints extracts the seeds of a core/v1 Endpoints object.
func (x extractor) endpoints(e endpoints) object {
	o := object{key: objectKey(e.Metadata), rv: e.Metadata.ResourceVersion}
	for _, sub := range e.Subsets {
		port, ok := x.portNum, x.portNum > 0
		if !ok {
			for _, p := range sub.Ports {
				if p.Name == x.port {
					port, ok = int(p.Port), true
					break
				}
			}
		}
		addrs := sub.Addresses
		if x.includeNotReady {
			addrs = append(addrs[:len(addrs):len(addrs)], sub.NotReadyAddresses...)
		}
		for _, a := range addrs {
			if !ok {
				o.noPort++
				continue
			}
			x.add(&o, a.IP, a.Hostname, e.Metadata, port)
		}
	}
	return o
}

// pod extracts the seed of a Pod: its primary IP, when it runs and is ready.
func (x extractor) pod(p pod) object {
	o := object{key: objectKey(p.Metadata), rv: p.Metadata.ResourceVersion}
	if p.Status.PodIP == "" || p.Status.Phase == "Succeeded" || p.Status.Phase == "Failed" {
		return o // not started yet, or finished for good: nothing to join
	}
	ready := p.Metadata.DeletionTimestamp == nil && p.Status.Phase == "Running"
	if ready {
		ready = false
		for _, c := range p.Status.Conditions {
			if c.Type == "Ready" {
				ready = c.Status == "True"
			}
		}
	}
	if !ready && !x.includeNotReady {
		return o
	}
	port, ok := x.portNum, x.portNum > 0
	for _, c := range p.Spec.Containers {
		for _, cp := range c.Ports {
			if !ok && cp.Name == x.port {
				port, ok = int(cp.ContainerPort), true
			}
		}
	}
	if !ok {
		o.noPort++
		return o
	}
	host := p.Spec.Hostname
	if host == "" {
		host = p.Metadata.Name
	}
	x.add(&o, p.Status.PodIP, host, p.Metadata, port)
	return o
}

// add formats one seed and appends it to o, or counts it as skipped.
func (x extractor) add(o *object, ip, hostname string, m objectMeta, port int) {
	if port < 1 || port > 65535 {
		o.noPort++
		return
	}
	host, ok := x.host(ip, hostname, m)
	if !ok {
		o.badAddr++
		return
	}
	o.seeds = append(o.seeds, net.JoinHostPort(host, strconv.Itoa(port)))
}

// host formats the host part of a seed for the configured address type, as
// libcluster's Kubernetes strategy does:
//
//	ip:       10.1.2.3, fd00::3
//	dns:      10-1-2-3.NS.pod.CLUSTER, fd00--3.NS.pod.CLUSTER
//	hostname: HOST.SERVICE.NS.svc.CLUSTER
func (x extractor) host(ip, hostname string, m objectMeta) (string, bool) {
	switch x.addressType {
	case AddressHostname:
		ns := x.ns(m)
		if !isDNSLabel(hostname) || !isDNSLabel(ns) {
			return "", false
		}
		return hostname + "." + x.service + "." + ns + ".svc." + x.clusterDomain, true
	case AddressDNS:
		a, err := netip.ParseAddr(ip)
		ns := x.ns(m)
		if err != nil || a.Zone() != "" || !isDNSLabel(ns) {
			return "", false
		}
		a = a.Unmap()
		// CoreDNS's pod records take dashes for dots (IPv4) and for
		// colons (IPv6, compressed form accepted).
		dashed := strings.NewReplacer(".", "-", ":", "-").Replace(a.String())
		return dashed + "." + ns + ".pod." + x.clusterDomain, true
	default:
		if a, err := netip.ParseAddr(ip); err == nil && a.Zone() == "" {
			return a.Unmap().String(), true
		}
		return "", false
	}
}

// truncate cuts s to at most n bytes on a rune boundary, marking the cut.
func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	for n > 0 && !utf8.RuneStart(s[n]) {
		n--
	}
	return s[:n] + "..."
}
