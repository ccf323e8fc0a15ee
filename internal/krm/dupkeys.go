package krm

import (
	"fmt"

	"sigs.k8s.io/kustomize/kyaml/fn/framework"
	"sigs.k8s.io/kustomize/kyaml/yaml"
)

// duplicateKeys finds a mapping that names one key twice in the items the
// function passes through. YAML forbids it and kyaml reads it anyway, but
// the ResourceList written back would then hold a document that kubectl's
// decoders refuse: mysqlgen writes nothing that does not parse back, so
// such an input is refused rather than passed on.
func duplicateKeys(items []*yaml.RNode) framework.Results {
	for i, item := range items {
		if n := firstDuplicate(item.YNode()); n != nil {
			return framework.Results{{
				Severity: framework.Error,
				Message:  fmt.Sprintf("items[%d]: line %d: mapping key %q is already defined: a ResourceList's items must be valid YAML", i, n.Line, n.Value),
			}}
		}
	}
	return nil
}

// firstDuplicate returns the second occurrence of a key in any mapping
// under n, or nil. Each node is visited once; an alias is not followed
// (its anchor is visited where it is defined).
func firstDuplicate(n *yaml.Node) *yaml.Node {
	if n == nil {
		return nil
	}
	if n.Kind == yaml.MappingNode {
		seen := make(map[string]bool, len(n.Content)/2)
		for i := 0; i+1 < len(n.Content); i += 2 {
			k := n.Content[i]
			// Only scalar keys can be compared by their text; kubectl's
			// decoders refuse the others anyway.
			if k.Kind == yaml.ScalarNode {
				if seen[k.Value] {
					return k
				}
				seen[k.Value] = true
			}
		}
	}
	for _, c := range n.Content {
		if d := firstDuplicate(c); d != nil {
			return d
		}
	}
	return nil
}
