package spec

import (
	"os"
	"reflect"
	"strings"
	"testing"
)

// fieldPaths lists the dotted paths of a spec's fields, stopping at maps and
// at Resources, which the README documents whole.
func fieldPaths(t reflect.Type, prefix string) []string {
	var paths []string
	for i := range t.NumField() {
		f := t.Field(i)
		name := jsonName(f)
		if name == "" {
			continue
		}
		path := prefix + name
		ft := f.Type
		for ft.Kind() == reflect.Pointer {
			ft = ft.Elem()
		}
		if ft.Kind() == reflect.Struct && ft != reflect.TypeFor[Resources]() {
			paths = append(paths, fieldPaths(ft, path+".")...)
			continue
		}
		paths = append(paths, path)
	}
	return paths
}

// The README's reference names every field of the spec.
func TestREADMEDocumentsEveryField(t *testing.T) {
	readme, err := os.ReadFile("../../README.md")
	if err != nil {
		t.Fatal(err)
	}
	paths := fieldPaths(reflect.TypeFor[MySQLCluster](), "")
	if len(paths) < 15 {
		t.Fatalf("found only %d field paths: %v", len(paths), paths)
	}
	for _, p := range paths {
		if !strings.Contains(string(readme), "| `"+p+"` |") {
			t.Errorf("README.md's spec reference lacks a row for %s", p)
		}
	}
}
