package cli

import (
	"fmt"
	"io"
	"strings"
	"text/tabwriter"
)

// WriteHelp writes the command's help: synopsis, summary, flags with their
// environment variables and defaults, notes and examples.
func (c *Command) WriteHelp(w io.Writer) {
	fmt.Fprintf(w, "Usage: %s\n", c.Synopsis)
	if c.Summary != "" {
		fmt.Fprintf(w, "\n%s\n", strings.TrimSpace(c.Summary))
	}
	if len(c.Flags) > 0 {
		fmt.Fprintln(w, "\nFlags:")
		tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
		for _, f := range c.Flags {
			left := "  --" + f.Name
			if f.Arg != "" {
				left += " " + f.Arg
			}
			var extra []string
			if f.Repeat {
				extra = append(extra, "repeatable")
			}
			if f.Default != "" {
				extra = append(extra, "default "+f.Default)
			}
			if f.Env {
				extra = append(extra, "env "+EnvName(f.Name))
			}
			right := f.Usage
			if len(extra) > 0 {
				right += " (" + strings.Join(extra, "; ") + ")"
			}
			fmt.Fprintf(tw, "%s\t%s\n", left, right)
		}
		fmt.Fprintf(tw, "  -h, --help\tshow this help\n")
		tw.Flush()
	}
	if c.Notes != "" {
		fmt.Fprintf(w, "\n%s\n", strings.TrimSpace(c.Notes))
	}
	if len(c.Examples) > 0 {
		fmt.Fprintln(w, "\nExamples:")
		for _, e := range c.Examples {
			fmt.Fprintf(w, "  %s\n", e)
		}
	}
}
