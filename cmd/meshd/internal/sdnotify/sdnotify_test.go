package sdnotify

import (
	"net"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func TestNotifyWithoutSocketIsNoop(t *testing.T) {
	t.Setenv("NOTIFY_SOCKET", "")
	if sent, err := Notify(Ready); sent || err != nil {
		t.Fatalf("Notify without socket: %v %v", sent, err)
	}
}

func TestNotifySends(t *testing.T) {
	path := filepath.Join(t.TempDir(), "notify.sock")
	conn, err := net.ListenUnixgram("unixgram", &net.UnixAddr{Name: path, Net: "unixgram"})
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	t.Setenv("NOTIFY_SOCKET", path)
	for _, state := range []string{Ready, Reloading, Stopping} {
		if sent, err := Notify(state, "STATUS=testing"); !sent || err != nil {
			t.Fatalf("Notify(%s): %v %v", state, sent, err)
		}
		buf := make([]byte, 512)
		conn.SetReadDeadline(time.Now().Add(10 * time.Second))
		n, err := conn.Read(buf)
		if err != nil {
			t.Fatal(err)
		}
		got := string(buf[:n])
		if !strings.HasPrefix(got, state+"\nSTATUS=testing") {
			t.Fatalf("got %q", got)
		}
		if state == Reloading && !strings.Contains(got, "MONOTONIC_USEC=") {
			t.Fatalf("RELOADING without MONOTONIC_USEC: %q", got)
		}
	}
	t.Setenv("NOTIFY_SOCKET", filepath.Join(t.TempDir(), "missing.sock"))
	if _, err := Notify(Ready); err == nil {
		t.Fatal("Notify to a missing socket succeeded")
	}
}
