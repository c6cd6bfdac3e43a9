package hostsfile

import (
	"bytes"
	"errors"
	"fmt"
	"strings"

	"github.com/meshd/meshd/mesh/strategy/internal/hostport"
)

// Limits on the file, which anyone with write access to it controls.
const (
	// MaxFileSize is the largest file read, in bytes.
	MaxFileSize = 1 << 20
	// MaxHosts is the most hosts used from one file.
	MaxHosts = 4096
	// maxReported bounds the line errors kept per parse.
	maxReported = 10
)

// Parse reads a hosts file's content. It returns the entries of the good
// lines and an error describing the bad ones (nil if none): bad lines are
// skipped, never fatal, so one typo does not cost the other seeds.
func Parse(data []byte, defaultPort uint16) ([]hostport.Entry, error) {
	var (
		entries []hostport.Entry
		errs    []error
		bad     int
	)
	report := func(err error) {
		bad++
		if bad <= maxReported {
			errs = append(errs, err)
		}
	}
	lineNo := 0
	for len(data) > 0 {
		var line []byte
		line, data, _ = bytes.Cut(data, []byte{'\n'})
		lineNo++
		host, err := parseLine(string(line))
		if err != nil {
			report(fmt.Errorf("line %d: %v", lineNo, err))
			continue
		}
		if host == "" {
			continue
		}
		if len(entries) >= MaxHosts {
			report(fmt.Errorf("line %d: more than %d hosts; the rest is ignored", lineNo, MaxHosts))
			break
		}
		e, err := hostport.ParseEntry(host, defaultPort)
		if err != nil {
			report(fmt.Errorf("line %d: %v", lineNo, err))
			continue
		}
		entries = append(entries, e)
	}
	if bad > maxReported {
		errs = append(errs, fmt.Errorf("%d more bad lines", bad-maxReported))
	}
	return entries, errors.Join(errs...)
}

// parseLine returns the host of one line, "" for a blank or comment line.
func parseLine(line string) (string, error) {
	line = stripComment(line)
	line = strings.TrimSpace(line)
	if line == "" {
		return "", nil
	}
	// Erlang: 'host'. (the full stop ends the term; the quotes make an atom)
	if strings.HasPrefix(line, "'") {
		body, ok := strings.CutSuffix(line, ".")
		body = strings.TrimSpace(body)
		if !ok || len(body) < 2 || !strings.HasSuffix(body, "'") {
			return "", fmt.Errorf("%q: an Erlang-style entry is 'host'. (quotes and a full stop)", line)
		}
		line = body[1 : len(body)-1]
		if strings.ContainsAny(line, "'") {
			return "", fmt.Errorf("%q: quote inside an Erlang-style entry", line)
		}
	}
	if strings.ContainsAny(line, " \t\r\v\f") {
		return "", fmt.Errorf("%q: one host per line", line)
	}
	return line, nil
}

// stripComment cuts a '#' comment anywhere and a '%' comment at the start
// or after whitespace ('%' elsewhere is an IPv6 zone: fe80::1%eth0).
func stripComment(line string) string {
	if i := strings.IndexByte(line, '#'); i >= 0 {
		line = line[:i]
	}
	for i := 0; i < len(line); i++ {
		if line[i] == '%' && (i == 0 || line[i-1] == ' ' || line[i-1] == '\t') {
			return line[:i]
		}
	}
	return line
}
