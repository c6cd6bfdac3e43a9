package spec

import (
	"strings"
	"testing"
	"time"
)

func TestSplitAndOptions(t *testing.T) {
	main, o, err := Split("static", " a,b:1?interval=30s&default_port=7000&resolver=127.0.0.1:5353 ")
	if err != nil {
		t.Fatal(err)
	}
	var d time.Duration
	var p int
	var r string
	if err := o.Duration("interval", &d); err != nil {
		t.Fatal(err)
	}
	if err := o.Int("default_port", &p); err != nil {
		t.Fatal(err)
	}
	o.String("resolver", &r)
	if err := o.Done(); err != nil {
		t.Fatal(err)
	}
	if main != "a,b:1" || d != 30*time.Second || p != 7000 || r != "127.0.0.1:5353" {
		t.Fatalf("got %q %v %d %q", main, d, p, r)
	}

	for in, want := range map[string]string{
		"x?interval=soon":           `interval="soon"`,
		"x?port=http":               `port="http"`,
		"x?bogus=1":                 `unknown spec option "bogus"`,
		"x?interval=1s&interval=2s": "given 2 times",
		"x?%zz":                     "spec options",
	} {
		_, o, err := Split("k", in)
		if err == nil {
			err = o.Duration("interval", &d)
		}
		if err == nil {
			err = o.Int("port", &p)
		}
		if err == nil {
			err = o.Done()
		}
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("Split(%q): %v, want an error containing %q", in, err, want)
		}
	}
	if _, _, err := Split("k", strings.Repeat("a", maxSpecLen+1)); err == nil {
		t.Error("an oversized spec was accepted")
	}
}
