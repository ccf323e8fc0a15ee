package manifest

import (
	"reflect"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"k8s.io/apimachinery/pkg/api/equality"
	"sigs.k8s.io/yaml"
)

// Building and writing drop only noise: decoding the YAML gives back equal
// objects.
func TestEncodeRoundTrip(t *testing.T) {
	for name, objs := range matrix(t) {
		out, err := YAML(buildAll(t, objs))
		if err != nil {
			t.Fatal(err)
		}
		docs := strings.Split(string(out), "\n---\n")
		if len(docs) != len(objs) {
			t.Fatalf("%s: %d documents for %d objects", name, len(docs), len(objs))
		}
		for i, o := range objs {
			// A fresh zero object: decoding into a copy would hide losses.
			back := reflect.New(reflect.TypeOf(o).Elem()).Interface().(Object)
			if err := yaml.UnmarshalStrict([]byte(docs[i]), back); err != nil {
				t.Fatalf("%s: document %d: %v", name, i, err)
			}
			if !equality.Semantic.DeepEqual(o, back) {
				t.Errorf("%s: %s changed in encoding:\n%s", name, o.GetName(), cmp.Diff(o, back))
			}
		}
	}
}

// A prewritten document is the document Documents writes, and Set drops
// it: a tree changed after Prewrite is written as changed.
func TestPrewrite(t *testing.T) {
	for _, objs := range matrix(t) {
		b := NewBuilder()
		for _, o := range objs {
			tree := build(t, o)
			want, err := YAML([]*Tree{tree})
			if err != nil {
				t.Fatal(err)
			}
			if err := b.Prewrite(tree); err != nil {
				t.Fatal(err)
			}
			if got, _ := YAML([]*Tree{tree}); string(got) != string(want) {
				t.Fatalf("%s: the prewritten document differs", tree.Name())
			}
			if err := tree.Set("changed", "metadata", "annotations", "x"); err != nil {
				t.Fatal(err)
			}
			if got, _ := YAML([]*Tree{tree}); !strings.Contains(string(got), "x: changed") {
				t.Fatalf("%s: Set after Prewrite is not written", tree.Name())
			}
		}
		break
	}
}
