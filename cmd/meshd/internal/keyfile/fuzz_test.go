package keyfile

import (
	"bytes"
	"testing"
)

// FuzzParse feeds arbitrary bytes as a key file: Parse must never panic,
// every key it returns is 32 bytes, and what it accepts survives a
// Format/Parse round trip.
func FuzzParse(f *testing.F) {
	f.Add([]byte("# c\n" + Encode(make([]byte, 32)) + "\n"))
	f.Add([]byte("\n\n  \t\n"))
	f.Add([]byte("AAAA\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		keys, err := Parse(data)
		if err != nil {
			return
		}
		if len(keys) > MaxKeys {
			t.Fatalf("%d keys, limit %d", len(keys), MaxKeys)
		}
		for _, k := range keys {
			if len(k) != KeySize {
				t.Fatalf("key of %d bytes", len(k))
			}
		}
		again, err := Parse(Format(keys))
		if err != nil || len(again) != len(keys) {
			t.Fatalf("round trip: %v", err)
		}
		for i := range keys {
			if !bytes.Equal(keys[i], again[i]) {
				t.Fatal("round trip changed a key")
			}
		}
	})
}
