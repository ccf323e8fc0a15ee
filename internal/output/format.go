package output

import (
	"fmt"
	"io"
	"slices"

	"github.com/mysqlgen/mysqlgen/internal/manifest"
)

// Format is a stream format.
type Format string

const (
	// FormatYAML is YAML documents separated by "---", as manifest.WriteYAML
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

// Write writes trees, in their order, in format f to w. Everything is
// encoded before the first byte is written, so that an error leaves w
// untouched.
func Write(w io.Writer, trees []*manifest.Tree, f Format) error {
	if f == FormatJSON {
		out, err := manifest.JSONList(trees)
		if err != nil {
			return err
		}
		_, err = w.Write(out)
		return err
	}
	return manifest.WriteYAML(w, trees)
}

// Encode returns trees, in their order, in format f.
func Encode(trees []*manifest.Tree, f Format) ([]byte, error) {
	if f == FormatJSON {
		return manifest.JSONList(trees)
	}
	return manifest.YAML(trees)
}
