package config

import (
	"strings"
	"testing"
)

// FuzzConfigFile feeds arbitrary bytes as a config file: no panic, and an
// error is always one line naming the file.
func FuzzConfigFile(f *testing.F) {
	f.Add([]byte("name: n1\nprofile: local\njoin: [127.0.0.2:7946]\nmeta: {a: b}\n"))
	f.Add([]byte("strategies:\n  - kind: dns\n    name: x\n  - {kind: static, hosts: [a]}\n"))
	f.Add([]byte("a: &x [*x]\n"))
	f.Add([]byte("multicast: yes\nmulticast_if: lo,eth0\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		s := &Settings{MulticastTTL: -1}
		err := applyYAML(s, "F.yaml", data)
		if err == nil {
			return
		}
		if !strings.HasPrefix(err.Error(), "config file F.yaml") {
			t.Fatalf("error does not name the file: %q", err)
		}
	})
}
