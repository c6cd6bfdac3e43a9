package api

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"reflect"
	"strconv"
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
		return nil, fmt.Errorf(`want a JSON body {"addrs":["HOST:PORT",...]}: %s`, jsonProblem(err))
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

// jsonProblem says what is wrong with a JSON body in the body's terms,
// never in Go's (encoding/json names Go types and struct fields).
func jsonProblem(err error) string {
	var syn *json.SyntaxError
	var typ *json.UnmarshalTypeError
	switch {
	case errors.Is(err, io.EOF):
		return "the body is empty"
	case errors.Is(err, io.ErrUnexpectedEOF):
		return "the body ends in the middle of the JSON"
	case errors.As(err, &syn):
		return fmt.Sprintf("not JSON at byte %d", syn.Offset)
	case errors.As(err, &typ):
		where := "the body"
		if typ.Field != "" {
			where = strconv.Quote(typ.Field)
		}
		want := map[reflect.Kind]string{reflect.Slice: "a list of strings", reflect.String: "a string", reflect.Struct: "an object"}[typ.Type.Kind()]
		if want == "" {
			want = "something else"
		}
		return fmt.Sprintf("%s is %s, want %s", where, jsonKind(typ.Value), want)
	}
	msg := err.Error()
	if f, ok := strings.CutPrefix(msg, "json: unknown field "); ok {
		return "unknown field " + f + `; the only field is "addrs"`
	}
	return strings.TrimPrefix(msg, "json: ")
}

// jsonKind names an UnmarshalTypeError's JSON value kind in plain words.
func jsonKind(v string) string {
	switch v {
	case "string", "number", "object", "array", "bool":
		return map[string]string{"string": "a string", "number": "a number", "object": "an object", "array": "a list", "bool": "true or false"}[v]
	}
	if strings.HasPrefix(v, "number") {
		return "a number"
	}
	return v
}

// joinProblem is the answer to a join that reached nobody: the engine's
// error, which names the addresses it tried (once; the caller knows the
// list it sent) and the likely causes.
func joinProblem(err error) string {
	return strings.TrimPrefix(err.Error(), "mesh: ")
}
