package manifest

import (
	"fmt"
	"math/rand/v2"
	"strings"
	"testing"

	yaml "go.yaml.in/yaml/v2"
)

// The fast writer writes every rendered object, byte for byte as yaml/v2
// does, and so does the fallback in orderOf's order.
func TestFastWriterMatchesYAML(t *testing.T) {
	for name, objs := range matrix(t) {
		for _, o := range objs {
			m := build(t, o).Root
			want, err := yaml.Marshal(toMap(m))
			if err != nil {
				t.Fatal(err)
			}
			if fallback, _ := yaml.Marshal(ordered(m)); string(fallback) != string(want) {
				t.Errorf("%s: %s: the ordered fallback differs from yaml/v2:\n%s", name, o.GetName(), lineDiff(string(want), string(fallback)))
			}
			got, ok := writeFast(m, newWriterCache())
			if !ok {
				t.Errorf("%s: the fast writer declined %s", name, o.GetName())
				continue
			}
			if string(got) != string(want) {
				t.Errorf("%s: %s differs from yaml/v2:\n%s", name, o.GetName(), lineDiff(string(want), string(got)))
			}
		}
	}
}

// Random documents with the awkward strings YAML has: where the fast writer
// does not decline, it must agree with yaml/v2.
func TestFastWriterRandom(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	atoms := []string{"", " ", "a", "8.4", "true", "yes", "on", "ON", "null", "~", "0x1F", "1e3", "-", "- a", ": x",
		"a: b", "#c", "a #c", "'q'", "\"dq\"", "x\ny", "x\n", "x\n\n", "\nx", " x", "x ", "\tx", "a\tb", "é", "☃",
		"*a", "&a", "!t", "%p", "@a", "`b", "{a}", "[a]", "a,b", "?", "? a", "|", ">", "a|b", "10.20.0.0/16",
		"key=value", "app.kubernetes.io/name", "000", "0777", "+1", ".5", "1_000", "2001-12-14", "<<", "=",
		strings.Repeat("word ", 30), strings.Repeat("x", 120), "line one\nline two\n", "  indented\nblock\n",
		"trailing space \nx\n", "#!/bin/bash\nset -e\n\necho \"$x\"\n"}
	var gen func(depth int) any
	gen = func(depth int) any {
		switch n := r.IntN(10); {
		case depth > 3 || n < 5:
			switch r.IntN(4) {
			case 0:
				return int64(r.IntN(5000) - 100)
			case 1:
				return r.IntN(2) == 0
			default:
				a := atoms[r.IntN(len(atoms))]
				if r.IntN(3) == 0 {
					a += atoms[r.IntN(len(atoms))]
				}
				return a
			}
		case n < 8:
			m := map[string]any{}
			for range r.IntN(5) {
				m[atoms[r.IntN(len(atoms))]+fmt.Sprint(r.IntN(12))] = gen(depth + 1)
			}
			return m
		default:
			var l []any
			for range r.IntN(4) {
				l = append(l, gen(depth+1))
			}
			return l
		}
	}
	agreed := 0
	for i := range 3000 {
		m := map[string]any{}
		for range 1 + r.IntN(6) {
			m[atoms[r.IntN(len(atoms))]+fmt.Sprint(r.IntN(30))] = gen(0)
		}
		// yaml/v2 in our deterministic key order: on a map its order may
		// vary from run to run where its comparison is not transitive.
		want, err := yaml.Marshal(ordered(fromMap(m)))
		if err != nil {
			continue
		}
		got, ok := writeFast(fromMap(m).(Map), newWriterCache())
		if !ok {
			continue
		}
		agreed++
		if string(got) != string(want) {
			t.Fatalf("document %d differs from yaml/v2:\n%s", i, lineDiff(string(want), string(got)))
		}
	}
	if agreed < 500 {
		t.Errorf("the fast writer wrote only %d of 3000 random documents: the test proves little", agreed)
	}
}

// toMap turns every Map in v into a Go map.
func toMap(v any) any {
	switch t := v.(type) {
	case Map:
		m := make(map[string]any, len(t))
		for _, p := range t {
			m[p.Key] = toMap(p.Value)
		}
		return m
	case []any:
		l := make([]any, len(t))
		for i, c := range t {
			l[i] = toMap(c)
		}
		return l
	}
	return v
}

// fromMap turns every Go map in v into a Map in sortPairs's order.
func fromMap(v any) any {
	switch t := v.(type) {
	case map[string]any:
		m := make(Map, 0, len(t))
		for k, c := range t {
			m = append(m, Pair{k, fromMap(c)})
		}
		sortPairs(m)
		return m
	case []any:
		l := make([]any, len(t))
		for i, c := range t {
			l[i] = fromMap(c)
		}
		return l
	}
	return v
}

func lineDiff(want, got string) string {
	wl, gl := strings.Split(want, "\n"), strings.Split(got, "\n")
	for i := range max(len(wl), len(gl)) {
		var w, g string
		if i < len(wl) {
			w = wl[i]
		}
		if i < len(gl) {
			g = gl[i]
		}
		if w != g {
			return fmt.Sprintf("line %d:\nyaml/v2: %q\nfast:    %q", i+1, w, g)
		}
	}
	return "(equal)"
}

// A batch is encoded on several CPUs and must come out as the objects
// encoded one by one, in their order.
func TestEncodeBatchInOrder(t *testing.T) {
	var all []*Tree
	var want []string
	for _, objs := range matrix(t) {
		for _, o := range objs {
			tree := build(t, o)
			all = append(all, tree)
			one, err := YAML([]*Tree{tree})
			if err != nil {
				t.Fatal(err)
			}
			want = append(want, string(one))
		}
	}
	if len(all) <= parallelMin {
		t.Fatalf("only %d objects: the batch would not run in parallel", len(all))
	}
	got, err := YAML(all)
	if err != nil {
		t.Fatal(err)
	}
	if string(got) != strings.Join(want, "---\n") {
		t.Error("a parallel batch differs from its objects encoded one by one")
	}
}

// A document the fast writer declines (here for a key holding a line
// break) goes to yaml/v2, which must never be handed a string with another
// line break: those come back as one double-quoted line each, keys and
// values, at any depth. A string that holds the placeholders' stem stays
// as it is.
func TestFallbackOtherBreaks(t *testing.T) {
	long := strings.Repeat("a", 1100) // past the 1024 characters of an implicit key
	for _, s := range []string{"\n\u2029", "a\u2028b", "x\ry", "\u0085", "zqoddn0z\u2029", "\n\u2029zqoddn",
		long + "\u2028", strings.Repeat("é", 70) + "\r", long[:120] + "\u2029"} {
		tree := writersTree(s, "k\n"+s)
		if _, ok := writeFast(tree.Root, newWriterCache()); ok {
			t.Fatalf("%q: the fast writer took the document; the test needs one it declines", s)
		}
		checkAll(t, fmt.Sprintf("fallback %q", s), []*Tree{tree})
	}
}
