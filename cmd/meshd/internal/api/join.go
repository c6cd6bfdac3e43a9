package api

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strings"
	"unicode"
)

// Limits of a join request: it comes from the network.
const (
	MaxJoinBody  = 64 << 10
	MaxJoinAddrs = 256
	maxAddrLen   = 256
)

// ParseJoinRequest reads and checks a POST /v1/join body. Errors say what
// is wrong in words a curl user can act on.
func ParseJoinRequest(r io.Reader) ([]string, error) {
	data, err := io.ReadAll(io.LimitReader(r, MaxJoinBody+1))
	if err != nil {
		return nil, fmt.Errorf("read body: %v", err)
	}
	if len(data) > MaxJoinBody {
		return nil, fmt.Errorf("body larger than %d bytes", MaxJoinBody)
	}
	var req JoinRequest
	dec := json.NewDecoder(strings.NewReader(string(data)))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&req); err != nil {
		return nil, fmt.Errorf(`want a JSON body {"addrs":["HOST:PORT",...]}: %v`, err)
	}
	if dec.More() {
		return nil, errors.New("trailing data after the JSON body")
	}
	if len(req.Addrs) == 0 {
		return nil, errors.New(`"addrs" is empty; give at least one HOST:PORT`)
	}
	if len(req.Addrs) > MaxJoinAddrs {
		return nil, fmt.Errorf(`"addrs" has %d entries, at most %d`, len(req.Addrs), MaxJoinAddrs)
	}
	for i, a := range req.Addrs {
		if a == "" || len(a) > maxAddrLen || strings.ContainsFunc(a, func(r rune) bool { return unicode.IsSpace(r) || unicode.IsControl(r) }) {
			return nil, fmt.Errorf(`"addrs"[%d] = %q is not a HOST:PORT`, i, a)
		}
	}
	return req.Addrs, nil
}
