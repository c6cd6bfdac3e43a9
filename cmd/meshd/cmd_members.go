package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"maps"
	"net/url"
	"slices"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/meshd/meshd/cmd/meshd/internal/api"
	"github.com/meshd/meshd/cmd/meshd/internal/cli"
)

// requestTimeout bounds the CLI's short requests.
const requestTimeout = 10 * time.Second

func cmdMembers(args []string, stdout, stderr io.Writer) int {
	af, flags := newAgentFlags()
	asJSON := false
	var filter api.MemberFilter
	c := &cli.Command{
		Name:     "members",
		Synopsis: "meshd members [--http HOST:PORT] [--json] [--state S] [--name N] [--tag KEY=VALUE]",
		Summary:  "Lists the members the local agent knows, dead and left ones included until they are reaped.",
		Flags: append(flags,
			&cli.Flag{Name: "json", Usage: `print the API's JSON array of {"name","addr","state","incarnation","meta"}`,
				Set: func(v string) error { asJSON = v == "true"; return nil }},
			&cli.Flag{Name: "state", Arg: "S", Usage: "only members in state S: alive, suspect, dead or left", Repeat: true,
				Set: func(v string) error {
					f, err := api.ParseMemberFilter(url.Values{"state": {v}})
					if err != nil {
						return fmt.Errorf("want alive, suspect, dead or left")
					}
					filter.States = append(filter.States, f.States...)
					return nil
				}},
			&cli.Flag{Name: "name", Arg: "N", Usage: "only the member named N", Repeat: true,
				Set: func(v string) error { filter.Names = append(filter.Names, v); return nil }},
			&cli.Flag{Name: "tag", Arg: "KEY=VALUE", Usage: "only members whose meta has KEY=VALUE (or KEY, with any value)", Repeat: true,
				Set: func(v string) error {
					f, err := api.ParseMemberFilter(url.Values{"tag": {v}})
					if err != nil {
						return fmt.Errorf("want KEY=VALUE or KEY")
					}
					if filter.Tags == nil {
						filter.Tags = map[string]string{}
					}
					maps.Copy(filter.Tags, f.Tags)
					return nil
				}}),
		Examples: []string{
			"meshd members",
			"meshd members --state alive --tag role=api",
			"meshd members --http 127.0.0.2:7947 --json | jq -r '.[] | select(.state==\"alive\") | .addr'",
		},
	}
	cl, code, done := parseClient(c, af, args, stdout, stderr)
	if done {
		return code
	}
	ctx, cancel := context.WithTimeout(context.Background(), requestTimeout)
	defer cancel()
	ms, err := cl.MembersWhere(ctx, filter)
	if err != nil {
		return fail(stderr, c.Name, err)
	}
	if asJSON {
		enc := json.NewEncoder(stdout)
		enc.SetIndent("", "  ")
		if ms == nil {
			ms = []api.Member{}
		}
		if err := enc.Encode(ms); err != nil {
			return fail(stderr, c.Name, err)
		}
		return 0
	}
	tw := tabwriter.NewWriter(stdout, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "NAME\tADDRESS\tSTATE\tSINCE\tINCARNATION\tMETA")
	for _, m := range ms {
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%d\t%s\n", m.Name, m.Addr, m.State, formatSince(m.Since), m.Incarnation, formatMeta(m.Meta))
	}
	tw.Flush()
	return 0
}

// formatSince shows when a member entered its state, in local time.
func formatSince(t time.Time) string {
	if t.IsZero() {
		return "-"
	}
	return t.Local().Format(time.RFC3339)
}

func formatMeta(meta map[string]string) string {
	if len(meta) == 0 {
		return "-"
	}
	var parts []string
	for _, k := range slices.Sorted(maps.Keys(meta)) {
		parts = append(parts, k+"="+meta[k])
	}
	return strings.Join(parts, ",")
}
