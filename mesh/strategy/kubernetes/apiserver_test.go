//go:build linux

package kubernetes

// A real kube-apiserver and etcd on 127.0.0.1, started once per test binary
// on first use and stopped by TestMain. The binaries come from
// scripts/k8s-testenv.sh.

import (
	"bytes"
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/json"
	"encoding/pem"
	"errors"
	"fmt"
	"io"
	"math/big"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

// apiEnv is a running API server with an admin client.
type apiEnv struct {
	URL    string // https://127.0.0.1:PORT
	CAFile string // verifies URL
	dir    string
	admin  string // token of a system:masters user
	client *http.Client
	procs  []*exec.Cmd
}

var shared struct {
	once sync.Once
	env  *apiEnv
	err  error
}

// binDir is where scripts/k8s-testenv.sh puts the binaries.
func binDir() string {
	if d := os.Getenv("MESHD_K8S_BIN"); d != "" {
		return d
	}
	return "/var/cache/meshd-k8s/bin"
}

// needAPIServer returns the shared API server, starting it on first use. When
// the binaries are missing the test is skipped, unless MESHD_K8S_REQUIRED is
// set (CI sets it, so a broken build cannot pass as skipped tests).
func needAPIServer(t *testing.T) *apiEnv {
	t.Helper()
	bin := binDir()
	for _, b := range []string{"etcd", "kube-apiserver"} {
		if _, err := os.Stat(filepath.Join(bin, b)); err != nil {
			msg := fmt.Sprintf("%s not found in %s: build it with scripts/k8s-testenv.sh (or set MESHD_K8S_BIN)", b, bin)
			if os.Getenv("MESHD_K8S_REQUIRED") != "" {
				t.Fatal(msg)
			}
			t.Skip(msg)
		}
	}
	shared.once.Do(func() { shared.env, shared.err = startAPIServer(bin) })
	if shared.err != nil {
		t.Fatal(shared.err)
	}
	return shared.env
}

// stopSharedAPIServer is called by TestMain.
func stopSharedAPIServer() {
	if shared.env != nil {
		shared.env.stop()
	}
}

func freePorts(n int) ([]int, error) {
	var ls []net.Listener
	defer func() {
		for _, l := range ls {
			l.Close()
		}
	}()
	var ports []int
	for range n {
		l, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			return nil, err
		}
		ls = append(ls, l)
		ports = append(ports, l.Addr().(*net.TCPAddr).Port)
	}
	return ports, nil
}

func startAPIServer(bin string) (*apiEnv, error) {
	start := time.Now()
	var lastErr error
	// A port picked free may be taken by another test on this machine
	// before the server binds it; try again with new ports.
	for attempt := 0; attempt < 3; attempt++ {
		e, err := tryStartAPIServer(bin)
		if err == nil {
			fmt.Fprintf(os.Stderr, "kubernetes tests: kube-apiserver ready at %s in %v\n", e.URL, time.Since(start).Round(time.Millisecond))
			return e, nil
		}
		lastErr = err
	}
	return nil, lastErr
}

func tryStartAPIServer(bin string) (_ *apiEnv, err error) {
	dir, err := os.MkdirTemp("", "meshd-k8s-test-")
	if err != nil {
		return nil, err
	}
	e := &apiEnv{dir: dir}
	defer func() {
		if err != nil {
			e.stop()
		}
	}()
	ports, err := freePorts(3)
	if err != nil {
		return nil, err
	}
	etcdClient, etcdPeer, apiPort := ports[0], ports[1], ports[2]
	if err := e.writeCredentials(); err != nil {
		return nil, err
	}

	etcdURL := fmt.Sprintf("http://127.0.0.1:%d", etcdClient)
	peerURL := fmt.Sprintf("http://127.0.0.1:%d", etcdPeer)
	if err := e.spawn(filepath.Join(bin, "etcd"), "etcd.log",
		"--data-dir="+filepath.Join(dir, "etcd"),
		"--listen-client-urls="+etcdURL, "--advertise-client-urls="+etcdURL,
		"--listen-peer-urls="+peerURL, "--initial-advertise-peer-urls="+peerURL,
		"--initial-cluster=default="+peerURL,
		"--unsafe-no-fsync", "--log-level=warn",
	); err != nil {
		return nil, err
	}
	e.URL = fmt.Sprintf("https://127.0.0.1:%d", apiPort)
	if err := e.spawn(filepath.Join(bin, "kube-apiserver"), "apiserver.log",
		"--etcd-servers="+etcdURL,
		"--bind-address=127.0.0.1", "--advertise-address=127.0.0.1",
		"--secure-port="+strconv.Itoa(apiPort),
		// Required on loopback: the reconciler refuses 127.0.0.1.
		"--endpoint-reconciler-type=none",
		"--cert-dir="+filepath.Join(dir, "certs"),
		"--tls-cert-file="+filepath.Join(dir, "serving.crt"),
		"--tls-private-key-file="+filepath.Join(dir, "serving.key"),
		"--service-account-issuer=https://kubernetes.default.svc",
		"--service-account-key-file="+filepath.Join(dir, "sa.pub"),
		"--service-account-signing-key-file="+filepath.Join(dir, "sa.key"),
		"--token-auth-file="+filepath.Join(dir, "tokens.csv"),
		"--authorization-mode=RBAC",
		"--service-cluster-ip-range=10.0.0.0/24",
		"--allow-privileged=true",
		"--profiling=false",
		"--v=0",
	); err != nil {
		return nil, err
	}
	e.client = &http.Client{
		Timeout: 30 * time.Second,
		Transport: &http.Transport{
			Proxy:           nil,
			TLSClientConfig: &tls.Config{RootCAs: mustPool(e.CAFile)},
		},
	}
	// Generous: the machine is shared and the server takes about 3.5 s
	// when idle.
	deadline := time.Now().Add(120 * time.Second)
	for {
		code, body, err := e.do(http.MethodGet, "/readyz", nil, "")
		if err == nil && code == 200 {
			return e, nil
		}
		for i, p := range e.procs {
			if p.ProcessState != nil || p.Process.Signal(syscall.Signal(0)) != nil {
				return nil, fmt.Errorf("%s exited during start-up; log tail:\n%s", filepath.Base(p.Path), e.logTail([]string{"etcd.log", "apiserver.log"}[i]))
			}
		}
		if time.Now().After(deadline) {
			return nil, fmt.Errorf("kube-apiserver not ready after 120s (last: %d %s %v); log tail:\n%s", code, body, err, e.logTail("apiserver.log"))
		}
		time.Sleep(100 * time.Millisecond)
	}
}

func mustPool(file string) *x509.CertPool {
	pool := x509.NewCertPool()
	b, _ := os.ReadFile(file)
	pool.AppendCertsFromPEM(b)
	return pool
}

// spawn starts a child in its own process group, killed if the test binary
// dies (Pdeathsig), logging to a file in e.dir.
func (e *apiEnv) spawn(path, logName string, args ...string) error {
	log, err := os.Create(filepath.Join(e.dir, logName))
	if err != nil {
		return err
	}
	defer log.Close()
	cmd := exec.Command(path, args...)
	cmd.Stdout, cmd.Stderr = log, log
	cmd.Dir = e.dir
	cmd.Env = []string{"PATH=/usr/bin:/bin", "HOME=" + e.dir}
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGKILL}
	if err := cmd.Start(); err != nil {
		return fmt.Errorf("starting %s: %w", path, err)
	}
	e.procs = append(e.procs, cmd)
	return nil
}

// stop ends the processes (last started first) and removes the directory.
func (e *apiEnv) stop() {
	for i := len(e.procs) - 1; i >= 0; i-- {
		p := e.procs[i]
		_ = syscall.Kill(-p.Process.Pid, syscall.SIGTERM)
		done := make(chan struct{})
		go func() { p.Wait(); close(done) }()
		select {
		case <-done:
		case <-time.After(15 * time.Second):
			_ = syscall.Kill(-p.Process.Pid, syscall.SIGKILL)
			<-done
		}
	}
	e.procs = nil
	if e.client != nil {
		e.client.CloseIdleConnections()
	}
	os.RemoveAll(e.dir)
}

func (e *apiEnv) logTail(name string) string {
	b, _ := os.ReadFile(filepath.Join(e.dir, name))
	if len(b) > 4000 {
		b = b[len(b)-4000:]
	}
	return string(b)
}

// writeCredentials writes a CA and a serving certificate for 127.0.0.1, the
// ServiceAccount signing key, and the admin's static token.
func (e *apiEnv) writeCredentials() error {
	caKey, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return err
	}
	now := time.Now()
	caTmpl := &x509.Certificate{
		SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "meshd-test-ca"},
		NotBefore: now.Add(-time.Hour), NotAfter: now.Add(24 * time.Hour),
		IsCA: true, BasicConstraintsValid: true, KeyUsage: x509.KeyUsageCertSign,
	}
	caDER, err := x509.CreateCertificate(rand.Reader, caTmpl, caTmpl, &caKey.PublicKey, caKey)
	if err != nil {
		return err
	}
	ca, _ := x509.ParseCertificate(caDER)
	srvKey, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return err
	}
	srvTmpl := &x509.Certificate{
		SerialNumber: big.NewInt(2), Subject: pkix.Name{CommonName: "kube-apiserver"},
		NotBefore: now.Add(-time.Hour), NotAfter: now.Add(24 * time.Hour),
		IPAddresses: []net.IP{net.IPv4(127, 0, 0, 1)}, DNSNames: []string{"localhost"},
		KeyUsage: x509.KeyUsageDigitalSignature, ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
	}
	srvDER, err := x509.CreateCertificate(rand.Reader, srvTmpl, ca, &srvKey.PublicKey, caKey)
	if err != nil {
		return err
	}
	srvKeyDER, _ := x509.MarshalECPrivateKey(srvKey)
	saKey, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		return err
	}
	saPub, _ := x509.MarshalPKIXPublicKey(&saKey.PublicKey)
	e.admin = "admin-" + strconv.FormatInt(now.UnixNano(), 36)
	e.CAFile = filepath.Join(e.dir, "ca.crt")
	files := map[string][]byte{
		"ca.crt":      pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: caDER}),
		"serving.crt": pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: srvDER}),
		"serving.key": pem.EncodeToMemory(&pem.Block{Type: "EC PRIVATE KEY", Bytes: srvKeyDER}),
		"sa.key":      pem.EncodeToMemory(&pem.Block{Type: "RSA PRIVATE KEY", Bytes: x509.MarshalPKCS1PrivateKey(saKey)}),
		"sa.pub":      pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: saPub}),
		"tokens.csv":  []byte(e.admin + `,admin,uid-admin,"system:masters"` + "\n"),
	}
	for name, b := range files {
		if err := os.WriteFile(filepath.Join(e.dir, name), b, 0o600); err != nil {
			return err
		}
	}
	return nil
}

// do sends a request as admin; body is JSON-encoded unless it is []byte.
func (e *apiEnv) do(method, path string, body any, contentType string) (int, []byte, error) {
	var r io.Reader
	switch b := body.(type) {
	case nil:
	case []byte:
		r = bytes.NewReader(b)
	default:
		j, err := json.Marshal(b)
		if err != nil {
			return 0, nil, err
		}
		r = bytes.NewReader(j)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, method, e.URL+path, r)
	if err != nil {
		return 0, nil, err
	}
	req.Header.Set("Authorization", "Bearer "+e.admin)
	if contentType == "" {
		contentType = "application/json"
	}
	req.Header.Set("Content-Type", contentType)
	resp, err := e.client.Do(req)
	if err != nil {
		return 0, nil, err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(io.LimitReader(resp.Body, 8<<20))
	return resp.StatusCode, b, err
}

// must sends a request as admin and fails the test unless it succeeds.
func (e *apiEnv) must(t *testing.T, method, path string, body any) []byte {
	t.Helper()
	ct := ""
	if method == http.MethodPatch {
		ct = "application/merge-patch+json"
	}
	code, b, err := e.do(method, path, body, ct)
	if err != nil || code/100 != 2 {
		t.Fatalf("%s %s: %d %v: %s", method, path, code, err, b)
	}
	return b
}

// createNamespace makes a namespace with the "default" ServiceAccount that
// Pod admission wants (there is no controller-manager to make it).
func (e *apiEnv) createNamespace(t *testing.T, ns string) {
	t.Helper()
	e.must(t, http.MethodPost, "/api/v1/namespaces", obj{"apiVersion": "v1", "kind": "Namespace", "metadata": obj{"name": ns}})
	e.must(t, http.MethodPost, "/api/v1/namespaces/"+ns+"/serviceaccounts", obj{"apiVersion": "v1", "kind": "ServiceAccount", "metadata": obj{"name": "default"}})
}

// token returns a fresh bound token of a ServiceAccount (TokenRequest API).
func (e *apiEnv) token(t *testing.T, ns, sa string) string {
	t.Helper()
	b := e.must(t, http.MethodPost, "/api/v1/namespaces/"+ns+"/serviceaccounts/"+sa+"/token", obj{
		"apiVersion": "authentication.k8s.io/v1", "kind": "TokenRequest",
		"spec": obj{"expirationSeconds": 3600},
	})
	var tr struct {
		Status struct {
			Token string `json:"token"`
		} `json:"status"`
	}
	if err := json.Unmarshal(b, &tr); err != nil || tr.Status.Token == "" {
		t.Fatalf("TokenRequest for %s/%s: %v: %s", ns, sa, err, b)
	}
	return tr.Status.Token
}

type obj = map[string]any

// errNotFound is what apiPath returns for a kind the tests do not map.
var errNotFound = errors.New("unknown kind")

// apiPath is the collection URL of an object of the given apiVersion and
// kind in namespace ns, for the kinds in deploy/kubernetes.
func apiPath(apiVersion, kind, ns string) (string, error) {
	plural := map[string]string{
		"Namespace": "namespaces", "ServiceAccount": "serviceaccounts", "Service": "services",
		"ConfigMap": "configmaps", "StatefulSet": "statefulsets", "Deployment": "deployments",
		"Role": "roles", "RoleBinding": "rolebindings", "EndpointSlice": "endpointslices",
		"Endpoints": "endpoints", "Pod": "pods",
	}[kind]
	if plural == "" {
		return "", fmt.Errorf("%w %s/%s", errNotFound, apiVersion, kind)
	}
	prefix := "/apis/" + apiVersion
	if !strings.Contains(apiVersion, "/") {
		prefix = "/api/" + apiVersion
	}
	if kind == "Namespace" {
		return prefix + "/" + plural, nil
	}
	return prefix + "/namespaces/" + ns + "/" + plural, nil
}
