package cli

import (
	"errors"
	"fmt"
	"slices"
	"strings"
	"testing"
)

func command() (*Command, *[]string, *bool) {
	var joins []string
	var flag bool
	c := &Command{
		Name:     "agent",
		Synopsis: "meshd agent [flags]",
		Flags: []*Flag{
			{Name: "join", Arg: "HOST:PORT", Usage: "seed", Repeat: true, Env: true,
				Set: func(v string) error { joins = append(joins, v); return nil }},
			{Name: "multicast", Usage: "multicast", Set: func(v string) error { flag = v == "true"; return nil }},
			{Name: "profile", Arg: "P", Usage: "profile", Default: "lan", Set: func(v string) error {
				if v != "lan" {
					return fmt.Errorf("want lan")
				}
				return nil
			}},
		},
		Examples: []string{"meshd agent --join 127.0.0.2:7946"},
	}
	return c, &joins, &flag
}

func TestParseForms(t *testing.T) {
	c, joins, flag := command()
	pos, err := c.Parse([]string{"a", "--join", "x:1", "-join=y:2", "b", "--multicast", "--join=z:3", "--", "--not-a-flag"})
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(pos, []string{"a", "b", "--not-a-flag"}) || !slices.Equal(*joins, []string{"x:1", "y:2", "z:3"}) || !*flag {
		t.Fatalf("pos %q joins %q flag %v", pos, *joins, *flag)
	}
	c, _, flag = command()
	if _, err := c.Parse([]string{"--multicast=false"}); err != nil || *flag {
		t.Fatalf("--multicast=false: %v %v", err, *flag)
	}
	// A lone "-" is an argument (stdin, by convention).
	if pos, err := c.Parse([]string{"-"}); err != nil || !slices.Equal(pos, []string{"-"}) {
		t.Fatalf("lone dash: %q %v", pos, err)
	}
}

func TestParseErrorsAreOneLineNamingTheFlag(t *testing.T) {
	cases := map[string][]string{
		"unknown flag --bogus":                                    {"--bogus"},
		"flag --join needs a value (HOST:PORT)":                   {"--join"},
		`invalid value "wan" for --profile: want lan`:             {"--profile", "wan"},
		`invalid value "yes" for --multicast: want true or false`: {"--multicast=yes"},
	}
	for want, args := range cases {
		c, _, _ := command()
		_, err := c.Parse(args)
		var ue *UsageError
		if !errors.As(err, &ue) || !strings.Contains(err.Error(), want) || strings.Contains(err.Error(), "\n") {
			t.Errorf("Parse(%q) = %v, want one line with %q", args, err, want)
		}
		if !strings.HasPrefix(err.Error(), "meshd agent: ") || !strings.HasSuffix(err.Error(), "(see 'meshd agent --help')") {
			t.Errorf("error %q lacks the command or the hint", err)
		}
	}
	for _, h := range []string{"-h", "--help", "-help"} {
		c, _, _ := command()
		if _, err := c.Parse([]string{"--join", "x", h}); !errors.Is(err, ErrHelp) {
			t.Errorf("%s: %v", h, err)
		}
	}
}

func TestHelp(t *testing.T) {
	c, _, _ := command()
	var b strings.Builder
	c.WriteHelp(&b)
	h := b.String()
	for _, want := range []string{"Usage: meshd agent [flags]", "--join HOST:PORT", "repeatable", "env MESHD_JOIN", "default lan", "--multicast ", "Examples:", "meshd agent --join 127.0.0.2:7946"} {
		if !strings.Contains(h, want) {
			t.Errorf("help lacks %q:\n%s", want, h)
		}
	}
	if EnvName("multicast-if") != "MESHD_MULTICAST_IF" {
		t.Error(EnvName("multicast-if"))
	}
}
