package config

import (
	"fmt"
	"slices"
	"strings"

	"github.com/meshd/meshd/cmd/meshd/internal/cli"
)

// EnvPrefix starts every variable meshd reads.
const EnvPrefix = "MESHD_"

// harnessEnv are MESHD_* variables that are not agent settings: the
// repository's test harness reads them (scripts/, the Makefile, the
// Kubernetes and dnsmasq tests). They are known, so a developer's shell that
// sets them does not make every agent warn.
var harnessEnv = []string{
	"MESHD_K8S_BIN",          // where the kube-apiserver and etcd test binaries are
	"MESHD_K8S_REQUIRED",     // fail, not skip, the Kubernetes tests without them
	"MESHD_K8S_WORK",         // scratch directory of scripts/k8s-testenv.sh
	"MESHD_DNSMASQ_REQUIRED", // fail, not skip, the dnsmasq tests without dnsmasq
}

// UnknownEnv returns a warning for every MESHD_* variable of environ
// ("KEY=VALUE" lines) that names no setting, with the closest setting's
// variable when the name looks like a typo of it. A misspelt variable
// (MESHD_JION) would otherwise be ignored without a word.
func UnknownEnv(environ []string) []string {
	var out []string
	for _, kv := range environ {
		name, _, _ := strings.Cut(kv, "=")
		if !strings.HasPrefix(name, EnvPrefix) || slices.Contains(harnessEnv, name) {
			continue
		}
		key := strings.ToLower(strings.ReplaceAll(strings.TrimPrefix(name, EnvPrefix), "_", "-"))
		if lookupField(key) != nil {
			continue
		}
		msg := fmt.Sprintf("environment variable %s is not a meshd setting and is ignored", name)
		if best := closestField(key); best != "" {
			msg += fmt.Sprintf("; did you mean %s?", cli.EnvName(best))
		} else {
			msg += " (settings are MESHD_<FLAG>, e.g. MESHD_JOIN; see 'meshd agent --help')"
		}
		out = append(out, msg)
	}
	slices.Sort(out)
	return out
}
