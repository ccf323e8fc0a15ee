package spec

// Helpers on YAML nodes: the typed conversion the loader decodes from, and
// lookups by field path for errors found later.

import (
	"fmt"
	"math"
	"reflect"
	"strconv"
	"strings"

	yaml "go.yaml.in/yaml/v3"
	"k8s.io/apimachinery/pkg/util/validation/field"
)

// toJSONValue converts a YAML node to the value encoding/json would have
// decoded, expanding aliases within budget. Where the Go type t wants a
// string, a scalar keeps its literal text: "cpu: 2", "max_connections: 500"
// and "version: 8.0" mean what they say.
func toJSONValue(n *yaml.Node, path *field.Path, t reflect.Type, budget *int) (any, error) {
	*budget--
	if *budget < 0 {
		return nil, fmt.Errorf("document expands to more than %d YAML nodes (aliases included)", maxNodes)
	}
	switch n.Kind {
	case yaml.AliasNode:
		return toJSONValue(n.Alias, path, t, budget)
	case yaml.MappingNode:
		m := make(map[string]any, len(n.Content)/2)
		for i := 0; i+1 < len(n.Content); i += 2 {
			k := n.Content[i]
			if k.Kind != yaml.ScalarNode || k.Tag == "!!merge" {
				return nil, field.Invalid(path, describeNode(k), "mapping keys must be plain strings (YAML merge keys and complex keys are not supported)")
			}
			v, err := toJSONValue(n.Content[i+1], childPath(path, k.Value), fieldType(t, k.Value), budget)
			if err != nil {
				return nil, err
			}
			m[k.Value] = v
		}
		return m, nil
	case yaml.SequenceNode:
		s := make([]any, 0, len(n.Content))
		for i, c := range n.Content {
			v, err := toJSONValue(c, indexPath(path, i), elemType(t), budget)
			if err != nil {
				return nil, err
			}
			s = append(s, v)
		}
		return s, nil
	case yaml.ScalarNode:
		if t != nil && t.Kind() == reflect.String && n.Tag != "!!null" {
			return n.Value, nil
		}
		switch n.Tag {
		case "!!null":
			return nil, nil
		case "!!bool":
			var b bool
			if err := n.Decode(&b); err != nil {
				return nil, field.Invalid(path, n.Value, "not a boolean")
			}
			return b, nil
		case "!!int":
			if i, err := strconv.ParseInt(strings.ReplaceAll(n.Value, "_", ""), 0, 64); err == nil {
				return i, nil
			}
			return nil, field.Invalid(path, n.Value, "integer out of range")
		case "!!float":
			var f float64
			if err := n.Decode(&f); err != nil {
				return nil, field.Invalid(path, n.Value, "not a number")
			}
			if math.IsInf(f, 0) || math.IsNaN(f) {
				// JSON has no such numbers: say so here, where the
				// line and field are known.
				return nil, field.TypeInvalid(path, n.Value, "must be "+numberWords(t))
			}
			return f, nil
		default:
			return n.Value, nil
		}
	}
	return nil, fmt.Errorf("unexpected YAML node kind %d", n.Kind)
}

// fieldType is the type of the field or map value named key in t, or nil.
func fieldType(t reflect.Type, key string) reflect.Type {
	for t != nil && t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	switch {
	case t == nil:
		return nil
	case t.Kind() == reflect.Map:
		return elemType(t)
	case t.Kind() == reflect.Struct:
		for i := range t.NumField() {
			if jsonName(t.Field(i)) == key {
				return t.Field(i).Type
			}
		}
	}
	return nil
}

// elemType is the element type of a slice or map (through pointers), or nil.
func elemType(t reflect.Type) reflect.Type {
	for t != nil && t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	if t != nil && (t.Kind() == reflect.Slice || t.Kind() == reflect.Map) {
		return t.Elem()
	}
	return nil
}

func describeNode(n *yaml.Node) string {
	switch n.Kind {
	case yaml.MappingNode:
		return "a mapping"
	case yaml.SequenceNode:
		return "a list"
	case yaml.AliasNode:
		return "an alias"
	default:
		return n.Value
	}
}

func scalarAt(m *yaml.Node, key string) string {
	if n := nodeAt(m, key); n != nil && n.Kind == yaml.ScalarNode {
		return n.Value
	}
	return ""
}

// nodeAt follows mapping keys from n.
func nodeAt(n *yaml.Node, keys ...string) *yaml.Node {
	for _, k := range keys {
		for n != nil && n.Kind == yaml.AliasNode {
			n = n.Alias
		}
		if n == nil || n.Kind != yaml.MappingNode {
			return nil
		}
		var next *yaml.Node
		for i := 0; i+1 < len(n.Content); i += 2 {
			if n.Content[i].Value == k {
				next = n.Content[i+1]
			}
		}
		n = next
	}
	return n
}

// nodeAtPath follows a field path such as spec.config[key] or a.b[0].c.
func nodeAtPath(n *yaml.Node, path string) *yaml.Node {
	if n != nil && n.Kind == yaml.DocumentNode && len(n.Content) > 0 {
		n = n.Content[0]
	}
	for _, part := range splitPath(path) {
		if n == nil {
			return nil
		}
		if i, err := strconv.Atoi(part); err == nil && n.Kind == yaml.SequenceNode {
			if i < 0 || i >= len(n.Content) {
				return nil
			}
			n = n.Content[i]
			continue
		}
		n = nodeAt(n, part)
	}
	return n
}

// splitPath splits "spec.config[a.b].x[0]" into spec, config, a.b, x, 0.
func splitPath(path string) []string {
	var parts []string
	for path != "" {
		switch path[0] {
		case '.':
			path = path[1:]
		case '[':
			end := strings.IndexByte(path, ']')
			if end < 0 {
				return append(parts, path[1:])
			}
			parts = append(parts, path[1:end])
			path = path[end+1:]
		default:
			end := strings.IndexAny(path, ".[")
			if end < 0 {
				end = len(path)
			}
			parts = append(parts, path[:end])
			path = path[end:]
		}
	}
	return parts
}
