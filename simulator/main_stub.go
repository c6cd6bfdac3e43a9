package simulator

import (
	"fmt"
	"io"
)

// Main runs `meshd sim ARGS...` and returns the process exit status.
// (Placeholder until the simulator lands: the simulator helper replaces this file.)
func Main(args []string, stdout, stderr io.Writer) int {
	fmt.Fprintln(stderr, "meshd sim: the simulator is not built yet")
	return 1
}
