package manifest

import (
	"bytes"
	"encoding/json"
)

// JSONList writes trees as one JSON object, a v1 List of them, as
// kubectl get -o json prints several objects: keys sorted, two-space
// indentation, HTML characters not escaped (scripts are full of && and >).
func JSONList(trees []*Tree) ([]byte, error) {
	items := make([]any, len(trees))
	for i, t := range trees {
		items[i] = plain(t.Root)
	}
	list := struct {
		APIVersion string `json:"apiVersion"`
		Kind       string `json:"kind"`
		Items      []any  `json:"items"`
	}{"v1", "List", items}
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	enc.SetIndent("", "  ")
	if err := enc.Encode(list); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

// plain is v with every Map replaced by a Go map, the form encoding/json
// and the YAML parsers' generic decoders use.
func plain(v any) any {
	switch t := v.(type) {
	case Map:
		m := make(map[string]any, len(t))
		for _, p := range t {
			m[p.Key] = plain(p.Value)
		}
		return m
	case []any:
		l := make([]any, len(t))
		for i, c := range t {
			l[i] = plain(c)
		}
		return l
	}
	return v
}

// Plain is the tree as the generic form encoding/json and the YAML
// parsers decode to: Go maps, []any, strings, int64, float64, bool.
func (t *Tree) Plain() map[string]any {
	return plain(t.Root).(map[string]any)
}
