package main

import (
	"testing"

	"gopkg.in/yaml.v3"
)

func TestY(t *testing.T) {
	for _, s := range []string{"nodes: 10\nduration: [10s\n", "nodes: 10\nduration: 10s\n  bad: x\n", "nodes: 10\n\tduration: 10s\n", "nodes: 10\nduration: 10s\nevents:\n  - at: 1s\n    crash: \"1\n"} {
		var n yaml.Node
		t.Log(yaml.Unmarshal([]byte(s), &n))
	}
}
