package core_test

import (
	"path/filepath"
	"testing"

	"github.com/cockroachdb/datadriven"
	"github.com/meshd/meshd/internal/coretest"
)

// TestScripts runs the message-level scripts in testdata/ (one Env, so one
// virtual network, per file): each command and the output it must produce,
// in the datadriven format of etcd-io/raft's interaction tests. After a
// deliberate change, regenerate the expected output with
//
//	go test ./internal/core -run TestScripts -rewrite
//
// and review the diff: it shows the protocol's change message by message.
func TestScripts(t *testing.T) {
	files, err := filepath.Glob("testdata/*.txt")
	if err != nil || len(files) == 0 {
		t.Fatalf("no scripts in testdata/ (%v)", err)
	}
	for _, f := range files {
		t.Run(filepath.Base(f), func(t *testing.T) {
			env := &coretest.Env{}
			datadriven.RunTest(t, f, env.Handle)
		})
	}
}
