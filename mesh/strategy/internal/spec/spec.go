// Package spec reads the options of a one-line strategy spec, the form
// flags and environment variables use: "MAIN?key=value&key=value", where
// the keys are the strategy's YAML field names ("interval", "port",
// "resolver", ...). Unknown and repeated keys are errors that name the key.
package spec

import (
	"fmt"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"
)

// maxSpecLen bounds a spec before parsing; specs come from flags and the
// environment.
const maxSpecLen = 64 << 10

// Options are the key=value options of a spec. Read each known key with a
// getter, then call Done to reject the rest.
type Options struct {
	kind string
	vals url.Values
	used map[string]bool
}

// Split cuts "MAIN?opts" into MAIN and its options. kind prefixes errors.
func Split(kind, s string) (string, *Options, error) {
	if len(s) > maxSpecLen {
		return "", nil, fmt.Errorf("%s: spec of %d bytes, at most %d", kind, len(s), maxSpecLen)
	}
	main, query, _ := strings.Cut(strings.TrimSpace(s), "?")
	o, err := Parse(kind, query)
	return strings.TrimSpace(main), o, err
}

// Parse reads "key=value&key=value".
func Parse(kind, query string) (*Options, error) {
	vals, err := url.ParseQuery(query)
	if err != nil {
		return nil, fmt.Errorf("%s: spec options %q: %v", kind, query, err)
	}
	for k, v := range vals {
		if len(v) > 1 {
			return nil, fmt.Errorf("%s: spec option %q given %d times", kind, k, len(v))
		}
	}
	return &Options{kind: kind, vals: vals, used: map[string]bool{}}, nil
}

func (o *Options) get(key string) (string, bool) {
	o.used[key] = true
	v, ok := o.vals[key]
	if !ok {
		return "", false
	}
	return v[0], true
}

// String sets *dst to the option's value if present.
func (o *Options) String(key string, dst *string) {
	if v, ok := o.get(key); ok {
		*dst = v
	}
}

// Duration sets *dst to the option parsed as a Go duration ("30s").
func (o *Options) Duration(key string, dst *time.Duration) error {
	v, ok := o.get(key)
	if !ok {
		return nil
	}
	d, err := time.ParseDuration(v)
	if err != nil {
		return fmt.Errorf("%s: spec option %s=%q: want a duration such as 5s", o.kind, key, v)
	}
	*dst = d
	return nil
}

// Int sets *dst to the option parsed as a decimal integer.
func (o *Options) Int(key string, dst *int) error {
	v, ok := o.get(key)
	if !ok {
		return nil
	}
	n, err := strconv.Atoi(v)
	if err != nil {
		return fmt.Errorf("%s: spec option %s=%q: want an integer", o.kind, key, v)
	}
	*dst = n
	return nil
}

// Done returns an error naming the options no getter asked for.
func (o *Options) Done() error {
	var unknown, known []string
	for k := range o.vals {
		if !o.used[k] {
			unknown = append(unknown, k)
		}
	}
	if len(unknown) == 0 {
		return nil
	}
	for k := range o.used {
		known = append(known, k)
	}
	slices.Sort(unknown)
	slices.Sort(known)
	return fmt.Errorf("%s: unknown spec option %q (known: %s)", o.kind, unknown[0], strings.Join(known, ", "))
}
