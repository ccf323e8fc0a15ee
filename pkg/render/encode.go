package render

import (
	"bytes"
	"fmt"

	yaml "go.yaml.in/yaml/v2"
	"k8s.io/apimachinery/pkg/runtime"
)

// Encode writes objects as YAML documents separated by "---", with sorted keys
// and none of the zero-value noise typed structs carry: no status, no
// creationTimestamp, no null, no empty {} or []. Equal input gives equal bytes.
func Encode(objs []Object) ([]byte, error) {
	var buf bytes.Buffer
	for i, obj := range objs {
		m, err := cleanMap(obj)
		if err != nil {
			return nil, err
		}
		// The pruned map goes straight to the YAML writer: sigs.k8s.io/yaml
		// would encode it to JSON and parse that back first.
		out, fast := writeFast(m)
		if !fast {
			if out, err = yaml.Marshal(ordered(m)); err != nil {
				return nil, fmt.Errorf("encoding %s %s: %w", obj.GetObjectKind().GroupVersionKind().Kind, obj.GetName(), err)
			}
		}
		if i > 0 {
			buf.WriteString("---\n")
		}
		buf.Write(out)
	}
	return buf.Bytes(), nil
}

// cleanMap converts a typed object to a map and prunes it.
func cleanMap(obj Object) (map[string]any, error) {
	m, err := runtime.DefaultUnstructuredConverter.ToUnstructured(obj)
	if err != nil {
		return nil, fmt.Errorf("converting %s: %w", obj.GetName(), err)
	}
	delete(m, "status")
	prune(m)
	return m, nil
}

// meaningfulEmpty are the keys whose empty map means something: an emptyDir
// volume, and selectors that match everything.
var meaningfulEmpty = map[string]bool{"emptyDir": true, "podSelector": true, "namespaceSelector": true}

// prune removes nulls and empty maps and lists, recursively, and the status
// of claim templates; it reports whether v itself is empty.
func prune(v any) bool {
	switch t := v.(type) {
	case nil:
		return true
	case map[string]any:
		for k, child := range t {
			if k == "volumeClaimTemplates" {
				for _, claim := range asList(child) {
					if cm, ok := claim.(map[string]any); ok {
						delete(cm, "status")
					}
				}
			}
			if prune(child) && !(meaningfulEmpty[k] && child != nil) {
				delete(t, k)
			}
		}
		return len(t) == 0
	case []any:
		for _, child := range t {
			prune(child)
		}
		return len(t) == 0
	}
	return false
}

func asList(v any) []any {
	l, _ := v.([]any)
	return l
}
