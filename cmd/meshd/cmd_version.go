package main

import (
	"encoding/json"
	"fmt"
	"io"
	"runtime"
	"runtime/debug"

	"github.com/meshd/meshd/cmd/meshd/internal/cli"
)

// buildVersion is the -ldflags version, else the module version of a
// 'go install', else "dev".
func buildVersion() string {
	if version != "dev" {
		return version
	}
	if bi, ok := debug.ReadBuildInfo(); ok && bi.Main.Version != "" && bi.Main.Version != "(devel)" {
		return bi.Main.Version
	}
	return version
}

func cmdVersion(args []string, stdout, stderr io.Writer) int {
	asJSON := false
	c := &cli.Command{
		Name:     "version",
		Synopsis: "meshd version [--json]",
		Summary:  "Prints meshd's version, the Go version it was built with, and the platform.",
		Flags: []*cli.Flag{{Name: "json", Usage: "print as JSON",
			Set: func(v string) error { asJSON = v == "true"; return nil }}},
		Examples: []string{"meshd version"},
	}
	if code, done := parseNoArgs(c, args, stdout, stderr); done {
		return code
	}
	v := map[string]string{"version": buildVersion(), "go": runtime.Version(), "platform": runtime.GOOS + "/" + runtime.GOARCH}
	if asJSON {
		json.NewEncoder(stdout).Encode(v)
		return 0
	}
	fmt.Fprintf(stdout, "meshd %s (%s, %s)\n", v["version"], v["go"], v["platform"])
	return 0
}
