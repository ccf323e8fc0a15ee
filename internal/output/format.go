package output

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"slices"

	"sigs.k8s.io/yaml"

	"github.com/mysqlgen/mysqlgen/internal/render"
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

// Write writes objs, in their order, in format f to w. Everything is
// encoded before the first byte is written, so that an error leaves w
// untouched; YAML documents then go out through a small buffer rather than
// joined into one copy of the whole output first.
func Write(w io.Writer, objs []render.Object, f Format) error {
	if f == FormatJSON {
		out, err := Encode(objs, f)
		if err != nil {
			return err
		}
		_, err = w.Write(out)
		return err
	}
	docs, err := render.EncodeDocuments(objs)
	if err != nil {
		return err
	}
	size := 0
	for _, d := range docs {
		size += len(d) + len(render.Separator)
	}
	bw := bufio.NewWriterSize(w, min(size, 64<<10))
	for i, d := range docs {
		if i > 0 {
			bw.WriteString(render.Separator)
		}
		bw.Write(d)
	}
	return bw.Flush()
}

// Encode returns objs, in their order, in format f.
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
