package manifest

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"reflect"
	"sort"

	yaml3 "go.yaml.in/yaml/v3"
	k8syaml "k8s.io/apimachinery/pkg/util/yaml"
	"sigs.k8s.io/yaml"
)

// The parse-back invariant: every byte mysqlgen writes, read back with the
// decoders kubectl (sigs.k8s.io/yaml, apimachinery's document reader,
// encoding/json) and kustomize (yaml.v3, which kyaml wraps) use, is exactly
// the trees it meant to write; no value can add, remove or move a key. Tests
// and the fuzz targets hold every output format to it.

// CheckYAML checks YAML documents against trees.
func CheckYAML(data []byte, trees []*Tree) error {
	r := k8syaml.NewYAMLReader(bufio.NewReader(bytes.NewReader(data)))
	var viaSigs []any
	for {
		doc, err := r.Read()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return fmt.Errorf("splitting documents: %w", err)
		}
		var v any
		if err := yaml.Unmarshal(doc, &v); err != nil {
			return fmt.Errorf("sigs.k8s.io/yaml: document %d: %w", len(viaSigs), err)
		}
		viaSigs = append(viaSigs, v)
	}
	if err := compareAll("sigs.k8s.io/yaml", viaSigs, trees); err != nil {
		return err
	}
	var viaV3 []any
	dec := yaml3.NewDecoder(bytes.NewReader(data))
	for {
		var v any
		err := dec.Decode(&v)
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return fmt.Errorf("yaml.v3: document %d: %w", len(viaV3), err)
		}
		viaV3 = append(viaV3, v)
	}
	return compareAll("yaml.v3", viaV3, trees)
}

// CheckJSON checks a v1 List against trees.
func CheckJSON(data []byte, trees []*Tree) error {
	var list struct {
		APIVersion, Kind string
		Items            []any
	}
	if err := json.Unmarshal(data, &list); err != nil {
		return fmt.Errorf("encoding/json: %w", err)
	}
	if list.APIVersion != "v1" || list.Kind != "List" {
		return fmt.Errorf("not a v1 List but %s %s", list.APIVersion, list.Kind)
	}
	return compareAll("encoding/json", list.Items, trees)
}

// CheckKRM checks that the last items of a ResourceList are trees.
func CheckKRM(data []byte, trees []*Tree) error {
	var viaSigs, viaV3 struct{ Items []any }
	if err := yaml.Unmarshal(data, &viaSigs); err != nil {
		return fmt.Errorf("sigs.k8s.io/yaml: %w", err)
	}
	if err := yaml3.Unmarshal(data, &viaV3); err != nil {
		return fmt.Errorf("yaml.v3: %w", err)
	}
	for name, items := range map[string][]any{"sigs.k8s.io/yaml": viaSigs.Items, "yaml.v3": viaV3.Items} {
		if len(items) < len(trees) {
			return fmt.Errorf("%s: %d items, want at least the %d rendered", name, len(items), len(trees))
		}
		if err := compareAll(name, items[len(items)-len(trees):], trees); err != nil {
			return err
		}
	}
	return nil
}

func compareAll(decoder string, got []any, trees []*Tree) error {
	if len(got) != len(trees) {
		return fmt.Errorf("%s: %d documents, want %d", decoder, len(got), len(trees))
	}
	for i, t := range trees {
		if path, ok := equal(normal(got[i]), normal(t.Plain()), ""); !ok {
			return fmt.Errorf("%s: %s %s reads back differently at %s", decoder, t.Kind(), t.Name(), orRoot(path))
		}
	}
	return nil
}

func orRoot(p string) string {
	if p == "" {
		return "the top"
	}
	return p
}

// normal puts decoded values in one form: maps with string keys, numbers as
// float64.
func normal(v any) any {
	switch t := v.(type) {
	case map[string]any:
		out := make(map[string]any, len(t))
		for k, c := range t {
			out[k] = normal(c)
		}
		return out
	case map[any]any:
		out := make(map[string]any, len(t))
		for k, c := range t {
			out[fmt.Sprint(k)] = normal(c)
		}
		return out
	case []any:
		out := make([]any, len(t))
		for i, c := range t {
			out[i] = normal(c)
		}
		return out
	case int:
		return float64(t)
	case int64:
		return float64(t)
	case uint64:
		return float64(t)
	}
	return v
}

// equal compares a and b and returns the first path where they differ.
func equal(a, b any, path string) (string, bool) {
	am, aok := a.(map[string]any)
	bm, bok := b.(map[string]any)
	if aok && bok {
		keys := make([]string, 0, len(am)+len(bm))
		for k := range am {
			keys = append(keys, k)
		}
		for k := range bm {
			if _, ok := am[k]; !ok {
				keys = append(keys, k)
			}
		}
		sort.Strings(keys)
		for _, k := range keys {
			if p, ok := equal(am[k], bm[k], path+"."+k); !ok {
				return p, false
			}
		}
		return "", true
	}
	al, aok := a.([]any)
	bl, bok := b.([]any)
	if aok && bok && len(al) == len(bl) {
		for i := range al {
			if p, ok := equal(al[i], bl[i], fmt.Sprintf("%s[%d]", path, i)); !ok {
				return p, false
			}
		}
		return "", true
	}
	return path, reflect.DeepEqual(a, b)
}
