package api

import (
	"fmt"
	"net/url"
	"slices"
	"strings"

	"github.com/meshd/meshd/mesh"
)

// MemberFilter selects members for GET /v1/members. Zero selects all.
type MemberFilter struct {
	States []string          // any of these states
	Names  []string          // any of these names
	Tags   map[string]string // every KEY=VALUE; a KEY with value "" only needs the key
}

// ParseMemberFilter reads ?state=alive,suspect&name=N&tag=KEY=VALUE (each
// repeatable). Unknown parameters are refused, so that a typo
// (?sate=alive) does not silently return every member.
func ParseMemberFilter(q url.Values) (MemberFilter, error) {
	var f MemberFilter
	for key, vals := range q {
		switch key {
		case "state":
			for _, v := range vals {
				for st := range strings.SplitSeq(v, ",") {
					switch st {
					case "alive", "suspect", "dead", "left":
						f.States = append(f.States, st)
					default:
						return f, fmt.Errorf("state=%s: want alive, suspect, dead or left (several separated by commas)", st)
					}
				}
			}
		case "name":
			f.Names = append(f.Names, vals...)
		case "tag":
			for _, v := range vals {
				k, val, _ := strings.Cut(v, "=")
				if k == "" {
					return f, fmt.Errorf("tag=%s: want KEY=VALUE or KEY", v)
				}
				if f.Tags == nil {
					f.Tags = map[string]string{}
				}
				f.Tags[k] = val
			}
		default:
			return f, fmt.Errorf("unknown parameter %q: the filters are state, name and tag", key)
		}
	}
	return f, nil
}

// Match reports whether m passes the filter.
func (f MemberFilter) Match(m mesh.Member) bool {
	if len(f.States) > 0 && !slices.Contains(f.States, m.State.String()) {
		return false
	}
	if len(f.Names) > 0 && !slices.Contains(f.Names, m.Name) {
		return false
	}
	for k, v := range f.Tags {
		got, ok := m.Meta[k]
		if !ok || v != "" && got != v {
			return false
		}
	}
	return true
}

// Query is the filter as URL parameters, for clients.
func (f MemberFilter) Query() url.Values {
	q := url.Values{}
	if len(f.States) > 0 {
		q.Set("state", strings.Join(f.States, ","))
	}
	for _, n := range f.Names {
		q.Add("name", n)
	}
	for k, v := range f.Tags {
		if v == "" {
			q.Add("tag", k)
		} else {
			q.Add("tag", k+"="+v)
		}
	}
	return q
}
