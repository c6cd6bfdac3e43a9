// Package sdnotify tells systemd about the agent's state (sd_notify(3)), so
// a unit with Type=notify is "active" only once the agent serves, shows
// "reloading" during SIGHUP and "stopping" during the graceful leave. It
// does nothing when NOTIFY_SOCKET is not set (not under systemd).
package sdnotify

import (
	"fmt"
	"net"
	"os"
	"strings"
	"time"
)

// States sent by the agent.
const (
	Ready     = "READY=1"
	Reloading = "RELOADING=1"
	Stopping  = "STOPPING=1"
)

// Notify sends state lines to $NOTIFY_SOCKET. It reports whether a message
// was sent; without NOTIFY_SOCKET it is a no-op.
func Notify(state ...string) (bool, error) {
	path := os.Getenv("NOTIFY_SOCKET")
	if path == "" {
		return false, nil
	}
	if strings.HasPrefix(path, "@") {
		path = "\x00" + path[1:] // abstract socket namespace
	}
	conn, err := net.DialUnix("unixgram", nil, &net.UnixAddr{Name: path, Net: "unixgram"})
	if err != nil {
		return false, fmt.Errorf("sd_notify: %w", err)
	}
	defer conn.Close()
	_ = conn.SetWriteDeadline(time.Now().Add(time.Second))
	msg := strings.Join(state, "\n")
	if strings.Contains(msg, Reloading) {
		// systemd 253+ wants the monotonic time with RELOADING=1 (Type=notify-reload).
		msg += fmt.Sprintf("\nMONOTONIC_USEC=%d", monotonicUsec())
	}
	if _, err := conn.Write([]byte(msg)); err != nil {
		return false, fmt.Errorf("sd_notify: %w", err)
	}
	return true, nil
}
