package kubernetes_test

import (
	"os"
	"testing"

	"gopkg.in/yaml.v3"

	"github.com/meshd/meshd/mesh/strategy/all"
	"github.com/meshd/meshd/mesh/strategy/kubernetes"
)

// TestDeployConfigMapBuildsStrategy: the meshd.yaml that deploy/kubernetes
// ships in its ConfigMap builds a kubernetes strategy through
// mesh/strategy/all, as meshd's config loader does, inside a pod.
func TestDeployConfigMapBuildsStrategy(t *testing.T) {
	b, err := os.ReadFile("../../../deploy/kubernetes/configmap.yaml")
	if err != nil {
		t.Fatal(err)
	}
	var cm struct {
		Data map[string]string `yaml:"data"`
	}
	if err := yaml.Unmarshal(b, &cm); err != nil {
		t.Fatal(err)
	}
	var file map[string][]map[string]yaml.Node
	if err := yaml.Unmarshal([]byte(cm.Data["meshd.yaml"]), &file); err != nil {
		t.Fatalf("configmap meshd.yaml: %v", err)
	}
	// As the kubelet sets it in every pod.
	t.Setenv("KUBERNETES_SERVICE_HOST", "10.96.0.1")
	t.Setenv("KUBERNETES_SERVICE_PORT", "443")
	built := 0
	for i, entry := range file["strategies"] {
		kind := entry["kind"]
		if kind.Value != "kubernetes" {
			continue
		}
		node := &yaml.Node{Kind: yaml.MappingNode, Tag: "!!map"}
		for k, v := range entry {
			if k != "kind" {
				v := v
				node.Content = append(node.Content, &yaml.Node{Kind: yaml.ScalarNode, Tag: "!!str", Value: k}, &v)
			}
		}
		s, err := all.FromYAML("kubernetes", node)
		if err != nil {
			t.Fatalf("strategies[%d]: %v", i, err)
		}
		if _, ok := s.(*kubernetes.Strategy); !ok || s.Name() != "kubernetes" {
			t.Fatalf("strategies[%d] built %T %q", i, s, s.Name())
		}
		built++
	}
	if built != 1 {
		t.Fatalf("configmap meshd.yaml has %d kubernetes strategies, want 1", built)
	}
}
