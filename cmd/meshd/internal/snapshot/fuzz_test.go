package snapshot

import "testing"

// FuzzDecode feeds arbitrary bytes as a snapshot file: no panic, every kept
// member is valid, and the limits hold.
func FuzzDecode(f *testing.F) {
	f.Add([]byte(`{"version":1,"cluster":"c","node":"n","members":[{"name":"a","addr":"127.0.0.2:7946","state":"alive","incarnation":3}]}`))
	f.Add([]byte(`{"version":1,"members":null}`))
	f.Add([]byte(`{"version":1,"members":[{"name":"x","addr":"[::1]:1","state":"left"},1,"s",null]}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		s, _, err := Decode(data)
		if err != nil {
			return
		}
		if len(s.Members) > MaxMembers {
			t.Fatalf("%d members kept", len(s.Members))
		}
		for _, m := range s.Members {
			if !valid(m) {
				t.Fatalf("kept invalid member %+v", m)
			}
		}
		_ = s.Seeds("x")
	})
}
