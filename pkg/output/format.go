package output

import (
	"bytes"
	"encoding/json"
	"fmt"
	"slices"

	"sigs.k8s.io/yaml"

	"github.com/mysqlgen/mysqlgen/pkg/render"
)

// Format is a stream format.
type Format string

const (
	// FormatYAML is YAML documents separated by "---", as render.Encode
	// writes them.
	FormatYAML Format = "yaml"
	// FormatJSON is one JSON object, a v1 List of the objects, as
	// kubectl get -o json prints several objects.
	FormatJSON Format = "json"
)

// Formats lists the formats, the default first.
var Formats = []Format{FormatYAML, FormatJSON}

// ParseFormat checks the name of a format.
func ParseFormat(s string) (Format, error) {
	if f := Format(s); slices.Contains(Formats, f) {
		return f, nil
	}
	return "", fmt.Errorf("unknown output %q: use yaml, json, or a directory ending in /", s)
}

// Encode writes objs, in their order, in format f.
func Encode(objs []render.Object, f Format) ([]byte, error) {
	if f != FormatJSON {
		return render.Encode(objs)
	}
	// Each object goes through render.Encode, which owns what a clean object
	// is (no status, no null, no empty {}), then to JSON.
	items := make([]any, 0, len(objs))
	for _, o := range objs {
		y, err := render.Encode([]render.Object{o})
		if err != nil {
			return nil, err
		}
		j, err := yaml.YAMLToJSON(y)
		if err != nil {
			return nil, fmt.Errorf("converting %s %s to JSON: %w", gvk(o).Kind, o.GetName(), err)
		}
		// Decoded again, so that the encoder below writes every string
		// (YAMLToJSON escapes HTML characters), numbers as they were.
		dec := json.NewDecoder(bytes.NewReader(j))
		dec.UseNumber()
		var item any
		if err := dec.Decode(&item); err != nil {
			return nil, err
		}
		items = append(items, item)
	}
	list := struct {
		APIVersion string `json:"apiVersion"`
		Kind       string `json:"kind"`
		Items      []any  `json:"items"`
	}{"v1", "List", items}
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	// Scripts are full of && and >: keep them legible.
	enc.SetEscapeHTML(false)
	enc.SetIndent("", "  ")
	if err := enc.Encode(list); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}
