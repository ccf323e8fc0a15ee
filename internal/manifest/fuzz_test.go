package manifest

import (
	"strings"
	"testing"
	"unicode/utf8"
)

// FuzzWriters is the writers' half of the parse-back invariant at fuzzing
// speed: a string from anywhere in Unicode as a key and as a value, at
// several depths, in a sequence and as a block; YAML, JSON, KRM items and
// the RNode round trip all read back as the tree. (cmd/mysqlgen's
// FuzzUnicode sends the same strings through a whole spec.)
func FuzzWriters(f *testing.F) {
	for _, s := range awkward {
		f.Add(s)
	}
	f.Add("\xff\xfe")
	f.Fuzz(func(t *testing.T, s string) {
		// The tree holds valid UTF-8: the builder replaces invalid bytes
		// as encoding/json does.
		s = strings.ToValidUTF8(s, "\ufffd")
		key := "k" + s
		if !utf8.ValidString(key) {
			t.Skip()
		}
		tree := writersTree(s, key)
		checkAll(t, "fuzzed", []*Tree{tree})
	})
}

// writersTree holds s as a key and as values at several depths, in a
// sequence and as a block.
func writersTree(s, key string) *Tree {
	tree := &Tree{Root: Map{
		{"apiVersion", "v1"},
		{"data", Map{{"a", s}, {"b", s + "\n"}, {"c", "#!/bin/sh\n" + s + "\n"}}},
		{"kind", "ConfigMap"},
		{"metadata", Map{{"annotations", Map{{key, s}}}, {"labels", Map{{"x", s}}}, {"name", "n"}}},
		{"spec", Map{{"items", []any{s, Map{{"deep", Map{{"deeper", []any{s}}}}}}}}},
	}}
	for _, m := range []Map{tree.Root, tree.Root.Get("metadata").(Map)} {
		sortPairs(m)
	}
	sortPairs(tree.Root.Get("metadata").(Map).Get("annotations").(Map))
	return tree
}
