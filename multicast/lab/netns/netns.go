//go:build linux

package netns

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"runtime"
	"strconv"
	"strings"
	"sync/atomic"
	"time"

	"golang.org/x/sys/unix"
)

// Prefix starts the name of every namespace a lab creates.
const Prefix = "mshlab-"

// Available reports why labs cannot be built here, or nil.
func Available() error {
	if runtime.GOOS != "linux" {
		return errors.New("network namespaces need Linux")
	}
	if os.Geteuid() != 0 {
		return errors.New("creating network namespaces needs root")
	}
	if _, err := exec.LookPath("ip"); err != nil {
		return errors.New("the ip tool (iproute2) is not installed")
	}
	name := fmt.Sprintf("%s%d-probe", Prefix, os.Getpid())
	if out, err := exec.Command("ip", "netns", "add", name).CombinedOutput(); err != nil {
		return fmt.Errorf("ip netns add: %v: %s", err, bytes.TrimSpace(out))
	}
	exec.Command("ip", "netns", "del", name).Run()
	return nil
}

// Lab is a set of namespaces named Prefix+pid+"-"+seq+"-"+name.
type Lab struct {
	prefix string
	made   []string // full names, in creation order
}

// labs numbers the labs of this process.
var labs atomic.Uint64

// New starts a lab whose names include this process's id and a sequence
// number, so that neither concurrent test binaries nor two labs of one test
// collide.
func New() *Lab {
	return &Lab{prefix: fmt.Sprintf("%s%d-%d-", Prefix, os.Getpid(), labs.Add(1))}
}

// NS is the full name of the lab's namespace called name.
func (l *Lab) NS(name string) string { return l.prefix + name }

// Add creates namespace name with its loopback up.
func (l *Lab) Add(name string) error {
	full := l.NS(name)
	if err := run("ip", "netns", "add", full); err != nil {
		return err
	}
	l.made = append(l.made, full)
	return l.IP(name, "link", "set", "lo", "up")
}

// IP runs "ip -n NS args..." in namespace name.
func (l *Lab) IP(name string, args ...string) error {
	return run("ip", append([]string{"-n", l.NS(name)}, args...)...)
}

// Exec returns a command that runs argv inside namespace name.
func (l *Lab) Exec(name string, argv ...string) *exec.Cmd {
	return exec.Command("ip", append([]string{"netns", "exec", l.NS(name)}, argv...)...)
}

// Bridge creates bridge br, up, in namespace ns. Multicast snooping is off so
// that the bridge floods the group like a plain switch without an IGMP
// querier would.
func (l *Lab) Bridge(ns, br string) error {
	if err := l.IP(ns, "link", "add", br, "type", "bridge", "mcast_snooping", "0"); err != nil {
		return err
	}
	return l.IP(ns, "link", "set", br, "up")
}

// Wire connects namespace host to bridge br in namespace sw with a veth
// pair created directly inside the two namespaces (never in the host's):
// port in sw, enslaved to br, and dev in host, up and carrying addrs
// ("10.77.0.1/24", "fd77::1/64", ...). IPv6 duplicate address detection is
// turned off so addresses are usable at once.
func (l *Lab) Wire(sw, br, port, host, dev string, addrs ...string) error {
	steps := [][]string{
		{sw, "link", "add", port, "type", "veth", "peer", "name", dev, "netns", l.NS(host)},
		{sw, "link", "set", port, "master", br},
		{sw, "link", "set", port, "up"},
	}
	for _, s := range steps {
		if err := l.IP(s[0], s[1:]...); err != nil {
			return err
		}
	}
	if err := run("ip", "netns", "exec", l.NS(host), "sysctl", "-qw", "net.ipv6.conf."+dev+".accept_dad=0"); err != nil {
		return err
	}
	for _, a := range addrs {
		if err := l.IP(host, "addr", "add", a, "dev", dev); err != nil {
			return err
		}
	}
	return l.IP(host, "link", "set", dev, "up")
}

// Do runs fn on an OS thread switched into namespace name. Sockets fn opens
// stay in that namespace for their whole life, whichever thread uses them
// later. The thread is discarded afterwards rather than switched back, so a
// failure can never leave a thread of the process in the wrong namespace.
func (l *Lab) Do(name string, fn func() error) error {
	f, err := os.Open("/var/run/netns/" + l.NS(name))
	if err != nil {
		return fmt.Errorf("netns: %w", err)
	}
	defer f.Close()
	done := make(chan error, 1)
	go func() {
		// No UnlockOSThread: the goroutine exits locked, and the runtime
		// then terminates the thread instead of reusing it.
		runtime.LockOSThread()
		if err := unix.Setns(int(f.Fd()), unix.CLONE_NEWNET); err != nil {
			done <- fmt.Errorf("netns: setns %s: %w", l.NS(name), err)
			return
		}
		done <- fn()
	}()
	return <-done
}

// Close deletes every namespace of the lab, which also removes their
// interfaces and kills nothing: callers stop their processes first.
func (l *Lab) Close() error {
	var errs []error
	for i := len(l.made) - 1; i >= 0; i-- {
		if err := run("ip", "netns", "del", l.made[i]); err != nil {
			errs = append(errs, err)
		}
	}
	l.made = nil
	return errors.Join(errs...)
}

// RemoveStale deletes lab namespaces left by test processes that no longer
// run (a killed test cannot clean up after itself).
func RemoveStale() error {
	out, err := exec.Command("ip", "netns", "list").Output()
	if err != nil {
		return fmt.Errorf("ip netns list: %w", err)
	}
	var errs []error
	for _, line := range strings.Split(string(out), "\n") {
		name, _, _ := strings.Cut(strings.TrimSpace(line), " ")
		rest, ok := strings.CutPrefix(name, Prefix)
		if !ok {
			continue
		}
		pidStr, _, _ := strings.Cut(rest, "-")
		if pid, err := strconv.Atoi(pidStr); err == nil && (pid == os.Getpid() || processAlive(pid)) {
			continue // ours, or another live test run's
		}
		if err := run("ip", "netns", "del", name); err != nil {
			errs = append(errs, err)
		}
	}
	return errors.Join(errs...)
}

func processAlive(pid int) bool {
	return unix.Kill(pid, 0) == nil || errors.Is(unix.Kill(pid, 0), unix.EPERM)
}

func run(name string, args ...string) error {
	cmd := exec.Command(name, args...)
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	if err := cmd.Run(); err != nil {
		return fmt.Errorf("%s %s: %v: %s", name, strings.Join(args, " "), err, bytes.TrimSpace(out.Bytes()))
	}
	return nil
}

// WaitFor polls cond every 20ms until it returns true or timeout passes.
func WaitFor(timeout time.Duration, cond func() bool) bool {
	deadline := time.Now().Add(timeout)
	for {
		if cond() {
			return true
		}
		if time.Now().After(deadline) {
			return false
		}
		time.Sleep(20 * time.Millisecond)
	}
}
