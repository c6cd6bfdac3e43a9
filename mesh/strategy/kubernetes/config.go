package kubernetes

import (
	"errors"
	"fmt"
	"log/slog"
	"net"
	"os"
	"strconv"
	"strings"
	"time"
)

// Lookup modes: which API object the strategy lists.
const (
	ModeEndpointSlices = "endpointslices" // discovery.k8s.io/v1 EndpointSlices (default)
	ModeEndpoints      = "endpoints"      // core/v1 Endpoints (deprecated since Kubernetes 1.33)
	ModePods           = "pods"           // core/v1 Pods selected by label
)

// Address types: how an endpoint is turned into a seed host.
const (
	AddressIP       = "ip"       // the pod IP: 10.1.2.3:7946, [fd00::3]:7946 (default)
	AddressDNS      = "dns"      // the pod A record: 10-1-2-3.NS.pod.CLUSTER:7946
	AddressHostname = "hostname" // the StatefulSet record: HOST.SVC.NS.svc.CLUSTER:7946
)

// In-cluster defaults, as mounted by the kubelet for a ServiceAccount.
const (
	DefaultTokenFile     = "/var/run/secrets/kubernetes.io/serviceaccount/token"
	DefaultCAFile        = "/var/run/secrets/kubernetes.io/serviceaccount/ca.crt"
	DefaultNamespaceFile = "/var/run/secrets/kubernetes.io/serviceaccount/namespace"
	DefaultClusterDomain = "cluster.local"
	DefaultPort          = "7946" // meshd's gossip port
	DefaultPollInterval  = 10 * time.Second
	DefaultTimeout       = 10 * time.Second
)

// Config configures the Kubernetes strategy. The zero value of every field
// means its documented default, so a Config decoded from YAML or built with
// ParseSpec needs only Service or Selector.
type Config struct {
	// Namespace to look in. Default: the content of NamespaceFile (the pod's
	// own namespace), read on every call.
	Namespace string `yaml:"namespace"`
	// Selector is a label selector (`app=meshd,tier in (a,b)`). In pods mode
	// it is required; in the other modes it narrows Service's objects.
	Selector string `yaml:"selector"`
	// Service is the (headless) Service whose endpoints are the seeds. Needed
	// in endpointslices mode unless Selector is set, always in endpoints mode
	// and for address_type hostname.
	Service string `yaml:"service"`
	// Mode is endpointslices (default), endpoints or pods.
	Mode string `yaml:"mode"`
	// Port is the gossip port: a number, or a port name looked up in the
	// object (EndpointSlice/Endpoints ports, or the pod's container ports).
	// Default 7946.
	Port string `yaml:"port"`
	// AddressType is ip (default), dns or hostname.
	AddressType string `yaml:"address_type"`
	// ClusterDomain for dns and hostname addresses. Default cluster.local.
	ClusterDomain string `yaml:"cluster_domain"`
	// APIServer overrides the API server URL, e.g. https://10.0.0.1:443 or
	// http://127.0.0.1:8001 (kubectl proxy). Default: in-cluster, from
	// KUBERNETES_SERVICE_HOST and KUBERNETES_SERVICE_PORT.
	APIServer string `yaml:"api_server"`
	// TokenFile holds the bearer token. It is read again on every request,
	// because bound ServiceAccount tokens rotate (hourly by default). A
	// missing file means no Authorization header (kubectl proxy).
	TokenFile string `yaml:"token_file"`
	// CAFile is the PEM bundle that verifies the API server. It is reloaded
	// when its modification time changes. A missing file means the system
	// roots.
	CAFile string `yaml:"ca_file"`
	// NamespaceFile is read when Namespace is empty.
	NamespaceFile string `yaml:"namespace_file"`
	// IncludeNotReady also returns endpoints and pods that are not ready
	// (starting or terminating). Default: ready ones only.
	IncludeNotReady bool `yaml:"include_not_ready"`
	// PollInterval is the time between lists when watching is off or not
	// supported by the server. Default 10s.
	PollInterval time.Duration `yaml:"poll_interval"`
	// Watch follows changes with a watch stream after each list. Default
	// true; when the server refuses watches (a proxy, an old aggregated
	// API) the strategy falls back to polling by itself.
	Watch *bool `yaml:"watch"`
	// Timeout bounds one list request. Default 10s.
	Timeout time.Duration `yaml:"timeout"`

	// Logger receives the strategy's few log lines. Default slog.Default().
	Logger *slog.Logger `yaml:"-"`
}

// withDefaults returns c with every zero field set to its default. It reads
// no file: files are read on every call so that they may change.
func (c Config) withDefaults() Config {
	if c.Mode == "" {
		c.Mode = ModeEndpointSlices
	}
	if c.Port == "" {
		c.Port = DefaultPort
	}
	if c.AddressType == "" {
		c.AddressType = AddressIP
	}
	if c.ClusterDomain == "" {
		c.ClusterDomain = DefaultClusterDomain
	}
	c.ClusterDomain = strings.TrimSuffix(c.ClusterDomain, ".")
	if c.TokenFile == "" {
		c.TokenFile = DefaultTokenFile
	}
	if c.CAFile == "" {
		c.CAFile = DefaultCAFile
	}
	if c.NamespaceFile == "" {
		c.NamespaceFile = DefaultNamespaceFile
	}
	if c.PollInterval == 0 {
		c.PollInterval = DefaultPollInterval
	}
	if c.Timeout == 0 {
		c.Timeout = DefaultTimeout
	}
	if c.Watch == nil {
		t := true
		c.Watch = &t
	}
	if c.Logger == nil {
		c.Logger = slog.Default()
	}
	return c
}

// Validate reports the first invalid field, by its YAML name. Defaults are
// applied first, so a zero field is never an error by itself.
func (c Config) Validate() error {
	c = c.withDefaults()
	var errs []error
	switch c.Mode {
	case ModeEndpointSlices:
		if c.Service == "" && c.Selector == "" {
			errs = append(errs, errors.New("kubernetes: mode endpointslices needs service or selector"))
		}
	case ModeEndpoints:
		if c.Service == "" {
			errs = append(errs, errors.New("kubernetes: mode endpoints needs service"))
		}
	case ModePods:
		if c.Selector == "" {
			errs = append(errs, errors.New("kubernetes: mode pods needs selector"))
		}
	default:
		errs = append(errs, fmt.Errorf("kubernetes: mode %q: want endpointslices, endpoints or pods", c.Mode))
	}
	switch c.AddressType {
	case AddressIP, AddressDNS:
	case AddressHostname:
		if c.Service == "" {
			errs = append(errs, errors.New("kubernetes: address_type hostname needs service (HOST.SERVICE.NS.svc.CLUSTER)"))
		}
	default:
		errs = append(errs, fmt.Errorf("kubernetes: address_type %q: want ip, dns or hostname", c.AddressType))
	}
	if err := checkPort(c.Port); err != nil {
		errs = append(errs, err)
	}
	if c.Namespace != "" && !isDNSLabel(c.Namespace) {
		errs = append(errs, fmt.Errorf("kubernetes: namespace %q is not a DNS label", c.Namespace))
	}
	if c.Service != "" && !isDNSLabel(c.Service) {
		errs = append(errs, fmt.Errorf("kubernetes: service %q is not a DNS label", c.Service))
	}
	if !isDomain(c.ClusterDomain) {
		errs = append(errs, fmt.Errorf("kubernetes: cluster_domain %q is not a domain name", c.ClusterDomain))
	}
	if c.APIServer != "" {
		if _, err := parseServerURL(c.APIServer); err != nil {
			errs = append(errs, err)
		}
	}
	if c.PollInterval < 0 {
		errs = append(errs, fmt.Errorf("kubernetes: poll_interval %v is negative", c.PollInterval))
	}
	if c.Timeout < 0 {
		errs = append(errs, fmt.Errorf("kubernetes: timeout %v is negative", c.Timeout))
	}
	if len(c.Selector) > maxSelectorLen {
		errs = append(errs, fmt.Errorf("kubernetes: selector is %d bytes, limit %d", len(c.Selector), maxSelectorLen))
	}
	return errors.Join(errs...)
}

// maxSelectorLen bounds the selector so that URLs stay well under the usual
// 8 KiB request-line limits of proxies in front of the API server.
const maxSelectorLen = 4096

// checkPort accepts a port number 1-65535 or an IANA-style port name (what
// Kubernetes allows in a port's name: at most 15 characters of a-z, 0-9 and
// '-', at least one letter).
func checkPort(p string) error {
	if n, err := strconv.Atoi(p); err == nil {
		if n < 1 || n > 65535 {
			return fmt.Errorf("kubernetes: port %d out of range 1-65535", n)
		}
		return nil
	}
	if !isPortName(p) {
		return fmt.Errorf("kubernetes: port %q is neither a number nor a port name", p)
	}
	return nil
}

func isPortName(p string) bool {
	if len(p) == 0 || len(p) > 15 || p[0] == '-' || p[len(p)-1] == '-' {
		return false
	}
	letter := false
	for i := 0; i < len(p); i++ {
		switch c := p[i]; {
		case c >= 'a' && c <= 'z':
			letter = true
		case c >= '0' && c <= '9', c == '-':
		default:
			return false
		}
	}
	return letter
}

// isDNSLabel reports whether s is an RFC 1123 label, the rule for namespace,
// Service and hostname names.
func isDNSLabel(s string) bool {
	if len(s) == 0 || len(s) > 63 || s[0] == '-' || s[len(s)-1] == '-' {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !(c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '-') {
			return false
		}
	}
	return true
}

func isDomain(s string) bool {
	if len(s) == 0 || len(s) > 253 {
		return false
	}
	for _, l := range strings.Split(s, ".") {
		if !isDNSLabel(l) {
			return false
		}
	}
	return true
}

// inClusterServer builds the API server URL the way client-go's
// rest.InClusterConfig does, from the environment the kubelet sets.
func inClusterServer() (string, error) {
	host, port := os.Getenv("KUBERNETES_SERVICE_HOST"), os.Getenv("KUBERNETES_SERVICE_PORT")
	if host == "" || port == "" {
		return "", errors.New("kubernetes: api_server not set and not running in a pod (KUBERNETES_SERVICE_HOST or KUBERNETES_SERVICE_PORT is empty)")
	}
	return "https://" + net.JoinHostPort(host, port), nil
}
