package manifest

import (
	"fmt"
	"math"
	"strconv"
	"strings"

	"sigs.k8s.io/kustomize/kyaml/yaml"
)

// The tree as kyaml's RNode, for what speaks kyaml: kustomize's patch
// filters (internal/patch) and a KRM ResourceList's items (internal/krm).
// The nodes are built from the tree and read back from nodes, never through
// YAML text.

// ToRNode is t as a kyaml node. Strings keep the quoting yaml/v2 would give
// them, so that a YAML 1.1 reader (kubectl's) reads "on" and "8.4" as the
// strings they are.
func ToRNode(t *Tree) *yaml.RNode {
	c := newWriterCache()
	return yaml.NewRNode(toNode(t.Root, c))
}

func toNode(v any, c *writerCache) *yaml.Node {
	switch t := v.(type) {
	case Map:
		n := &yaml.Node{Kind: yaml.MappingNode, Tag: yaml.NodeTagMap, Content: make([]*yaml.Node, 0, 2*len(t))}
		for _, p := range t {
			n.Content = append(n.Content, &yaml.Node{Kind: yaml.ScalarNode, Tag: yaml.NodeTagString, Value: p.Key, Style: styleOf(p.Key, c)}, toNode(p.Value, c))
		}
		return n
	case []any:
		n := &yaml.Node{Kind: yaml.SequenceNode, Tag: yaml.NodeTagSeq, Content: make([]*yaml.Node, len(t))}
		for i, item := range t {
			n.Content[i] = toNode(item, c)
		}
		return n
	case string:
		return &yaml.Node{Kind: yaml.ScalarNode, Tag: yaml.NodeTagString, Value: t, Style: styleOf(t, c)}
	case int64:
		return &yaml.Node{Kind: yaml.ScalarNode, Tag: yaml.NodeTagInt, Value: strconv.FormatInt(t, 10)}
	case float64:
		return &yaml.Node{Kind: yaml.ScalarNode, Tag: yaml.NodeTagFloat, Value: formatFloat(t)}
	case bool:
		return &yaml.Node{Kind: yaml.ScalarNode, Tag: yaml.NodeTagBool, Value: strconv.FormatBool(t)}
	}
	return &yaml.Node{Kind: yaml.ScalarNode, Tag: yaml.NodeTagNull, Value: "null"}
}

// styleOf is the style yaml/v2 writes s in, as a yaml.v3 node style.
func styleOf(s string, c *writerCache) yaml.Style {
	f := c.formOf(s)
	switch {
	case f.header != "":
		return yaml.LiteralStyle
	case strings.HasPrefix(f.line, `"`):
		return yaml.DoubleQuotedStyle
	case strings.HasPrefix(f.line, `'`):
		return yaml.SingleQuotedStyle
	case f.line == "":
		return yaml.DoubleQuotedStyle
	}
	return 0
}

func formatFloat(f float64) string {
	switch {
	case math.IsInf(f, 1):
		return ".inf"
	case math.IsInf(f, -1):
		return "-.inf"
	case math.IsNaN(f):
		return ".nan"
	}
	return strconv.FormatFloat(f, 'g', -1, 64)
}

// FromRNode is the tree of a kyaml node: keys in the writer's order, nulls
// and the status dropped.
func FromRNode(rn *yaml.RNode) (*Tree, error) {
	v, err := fromNode(rn.YNode())
	if err != nil {
		return nil, err
	}
	m, ok := v.(Map)
	if !ok {
		return nil, fmt.Errorf("not an object but %T", v)
	}
	return &Tree{Root: m.without("status")}, nil
}

func fromNode(n *yaml.Node) (any, error) {
	switch n.Kind {
	case yaml.DocumentNode:
		if len(n.Content) != 1 {
			return nil, fmt.Errorf("a document of %d nodes", len(n.Content))
		}
		return fromNode(n.Content[0])
	case yaml.AliasNode:
		return fromNode(n.Alias)
	case yaml.MappingNode:
		m := make(Map, 0, len(n.Content)/2)
		for i := 0; i+1 < len(n.Content); i += 2 {
			k := n.Content[i]
			if k.Kind != yaml.ScalarNode {
				return nil, fmt.Errorf("line %d: a key that is not a string", k.Line)
			}
			v, err := fromNode(n.Content[i+1])
			if err != nil {
				return nil, err
			}
			if v != nil {
				m = append(m, Pair{k.Value, v})
			}
		}
		sortPairs(m)
		return m, nil
	case yaml.SequenceNode:
		l := make([]any, len(n.Content))
		for i, c := range n.Content {
			v, err := fromNode(c)
			if err != nil {
				return nil, err
			}
			l[i] = v
		}
		return l, nil
	}
	return scalar(n)
}

// scalar is a scalar node's value as yaml.v3 (kyaml) reads it.
func scalar(n *yaml.Node) (any, error) {
	var v any
	if err := n.Decode(&v); err != nil {
		return nil, err
	}
	switch t := v.(type) {
	case nil, string, bool:
		return t, nil
	case int:
		return int64(t), nil
	case int64:
		return t, nil
	case uint64:
		if t <= math.MaxInt64 {
			return int64(t), nil
		}
		return float64(t), nil
	case float64:
		return number(t), nil
	}
	// Timestamps and binary: kept as the text they were written as.
	return n.Value, nil
}
