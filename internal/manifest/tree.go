// Package manifest owns the tree each rendered object becomes: built once
// from the typed object (walk.go, decode.go), patched in place by
// internal/patch, and written from by every output format (YAML documents,
// a JSON v1 List, a KRM ResourceList's items, a directory's files). The tree
// prunes only nulls and status: an empty map or list that a typed object or
// a patch carries means something (emptyDir: {}, a PDB's selector: {}) and
// is kept.
package manifest

import (
	"fmt"
	"strings"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
)

// Object is a typed Kubernetes object, what internal/render builds.
type Object interface {
	runtime.Object
	metav1.Object
}

// Map is a mapping of the tree: its pairs in yaml/v2's key order
// (sortPairs). A slice of pairs, not a Go map: a cluster's objects hold
// thousands of small mappings, and a map is several times the memory and
// must be sorted again each time it is written. Values are Map, []any,
// string, int64, float64, bool; never nil.
type Map []Pair

// Pair is one key and its value.
type Pair struct {
	Key   string
	Value any
}

// Get returns the value of key k, or nil.
func (m Map) Get(k string) any {
	for _, p := range m {
		if p.Key == k {
			return p.Value
		}
	}
	return nil
}

// Tree is one object. Change Root only before Prewrite, or through Set.
type Tree struct {
	Root Map
	doc  []byte // Root as a YAML document, when Prewrite wrote it
}

// str is the string at a path of keys, or "".
func (t *Tree) str(keys ...string) string {
	var v any = t.Root
	for _, k := range keys {
		m, ok := v.(Map)
		if !ok {
			return ""
		}
		v = m.Get(k)
	}
	s, _ := v.(string)
	return s
}

// APIVersion, Kind, Name and Namespace are the object's identity.
func (t *Tree) APIVersion() string { return t.str("apiVersion") }
func (t *Tree) Kind() string       { return t.str("kind") }
func (t *Tree) Name() string       { return t.str("metadata", "name") }
func (t *Tree) Namespace() string  { return t.str("metadata", "namespace") }

// GVK is the object's group, version and kind.
func (t *Tree) GVK() schema.GroupVersionKind {
	return schema.FromAPIVersionAndKind(t.APIVersion(), t.Kind())
}

// Set puts the string v at a path of keys, making the mappings on the way.
func (t *Tree) Set(v string, keys ...string) error {
	m, err := set(t.Root, v, keys)
	if err != nil {
		return fmt.Errorf("setting %s: %w", strings.Join(keys, "."), err)
	}
	t.Root = m
	t.doc = nil
	return nil
}

func set(m Map, v string, keys []string) (Map, error) {
	var value any = v
	if len(keys) > 1 {
		inner, ok := m.Get(keys[0]).(Map)
		if !ok && m.Get(keys[0]) != nil {
			return nil, fmt.Errorf("%s is not a mapping", keys[0])
		}
		next, err := set(inner, v, keys[1:])
		if err != nil {
			return nil, err
		}
		value = next
	}
	for i, p := range m {
		if p.Key == keys[0] {
			m[i].Value = value
			return m, nil
		}
	}
	m = append(m, Pair{keys[0], value})
	sortPairs(m)
	return m, nil
}
