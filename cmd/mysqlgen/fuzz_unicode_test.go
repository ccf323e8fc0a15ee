package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"regexp"
	"strings"
	"testing"

	"sigs.k8s.io/yaml"
)

// unicodeSeeds are the characters that end a line for some YAML parser, or
// that a parser may refuse raw, alone and where they would start a key.
var unicodeSeeds = []string{
	"\u2028", "\u2029", "\u0085", "\r", "\r\n", "\ufeff", "\ufeffnote", "\ud7ff", "\ue000", "\ufffe", "\uffff",
	"\x00", "\x07", "\x1b", "\x7f", "\u0080", "\u009f", "\xff", "\xed\xa0\x80", "a\u2028b", "x\u2028namespace: evil",
	"x\u2029  evil: 1", "line\nx\u2028y: z\n", "#!/bin/sh\necho\u2028metadata:\n  name: other\n", "\U0001F600", "",
}

// freeText are the free-text fields of a spec, each a function that puts
// s there: annotations, labels, pod annotations, a my.cnf setting, and
// values set by patches of both kinds. One field at a time, so that a
// field that refuses s does not hide what the others do with it.
var freeText = []func(m map[string]any, s string){
	func(m map[string]any, s string) { meta(m)["annotations"] = map[string]any{"note": s} },
	func(m map[string]any, s string) { meta(m)["labels"] = map[string]any{"team": s} },
	func(m map[string]any, s string) { specOf(m)["podAnnotations"] = map[string]any{"note": s} },
	func(m map[string]any, s string) { specOf(m)["config"] = map[string]any{"init_connect": s} },
	func(m map[string]any, s string) {
		specOf(m)["patches"] = []any{map[string]any{"target": map[string]any{"kind": "Service"},
			"patch": mustJSON(map[string]any{"apiVersion": "v1", "kind": "Service", "metadata": map[string]any{"name": "any", "annotations": map[string]any{"note": s}}})}}
	},
	func(m map[string]any, s string) {
		specOf(m)["patches"] = []any{map[string]any{"target": map[string]any{"kind": "ConfigMap", "name": "db-config"},
			"patch": mustJSON([]any{map[string]any{"op": "add", "path": "/data/extra", "value": s}})}}
	},
}

func meta(m map[string]any) map[string]any   { return m["metadata"].(map[string]any) }
func specOf(m map[string]any) map[string]any { return m["spec"].(map[string]any) }

// unicodeSpec is a spec with s in free-text field f.
func unicodeSpec(s string, f int) map[string]any {
	m := map[string]any{
		"apiVersion": "mysqlgen.dev/v1alpha1", "kind": "MySQLCluster",
		"metadata": map[string]any{"name": "db", "namespace": "ns"},
		"spec":     map[string]any{},
	}
	freeText[f](m, s)
	return m
}

// mustJSON writes v as JSON, which is YAML too: the one encoder that
// writes any string (yaml.v3 panics on control characters), escaping what
// YAML would not take raw.
func mustJSON(v any) string {
	b, err := json.Marshal(v)
	if err != nil {
		panic(err)
	}
	// JSON leaves C1 controls and non-characters raw, which YAML refuses
	// in its input: escaped, the spec is readable and the value reaches
	// the writers.
	var out strings.Builder
	for _, r := range string(b) {
		if r >= 0x80 && r <= 0x9f || r == 0xfeff || r == 0xfffe || r == 0xffff {
			fmt.Fprintf(&out, `\u%04x`, r)
			continue
		}
		out.WriteRune(r)
	}
	return out.String()
}

// asJSONString is s as it reads back from JSON: invalid UTF-8 replaced.
func asJSONString(s string) string {
	var out string
	if err := json.Unmarshal([]byte(mustJSON(s)), &out); err != nil {
		panic(err)
	}
	return out
}

// whereRE is a refusal that says where: the input, its line when the
// loader knows it, then what is wrong (a field path for a value the spec
// refuses).
var whereRE = regexp.MustCompile(`(?m)^<stdin>(:\d+)?: `)

// FuzzUnicode: a string from anywhere in Unicode (or not UTF-8 at all), in
// every free-text field, is either refused with its field path or written,
// in YAML, JSON and as KRM items, so that it reads back as exactly the
// trees the pipeline made: it never adds, removes or moves a key.
func FuzzUnicode(f *testing.F) {
	for _, s := range unicodeSeeds {
		for field := range freeText {
			f.Add(s, uint8(field))
		}
	}
	// One field an input: a whole render, parsed back three ways, is tens
	// of milliseconds, and the fuzzer should move on to the next string.
	f.Fuzz(func(t *testing.T, s string, field uint8) {
		checkUnicodeField(t, s, int(field)%len(freeText))
	})
}

func checkUnicodeField(t *testing.T, s string, field int) {
	t.Helper()
	specYAML := []byte(mustJSON(unicodeSpec(s, field)))
	var out, errOut bytes.Buffer
	code := Run([]string{"render", "-f", "-"}, bytes.NewReader(specYAML), &out, &errOut)
	if code != 0 {
		if out.Len() != 0 || !whereRE.MatchString(errOut.String()) {
			t.Fatalf("field %d: exit %d, %d bytes out, stderr not naming the input:\n%s", field, code, out.Len(), errOut.String())
		}
		return
	}
	checkParseBack(t, specYAML, out.Bytes())
	if field == 0 {
		for _, d := range bytes.Split(out.Bytes(), []byte("\n---\n")) {
			var doc struct {
				Kind     string
				Metadata struct{ Annotations map[string]string }
			}
			if err := yaml.Unmarshal(d, &doc); err != nil {
				t.Fatal(err)
			}
			if want := asJSONString(s); doc.Metadata.Annotations["note"] != want {
				t.Fatalf("%s: annotation note reads back as %q, want %q", doc.Kind, doc.Metadata.Annotations["note"], want)
			}
		}
	}
	rl := []byte(mustJSON(map[string]any{"apiVersion": "config.kubernetes.io/v1", "kind": "ResourceList", "items": []any{}, "functionConfig": unicodeSpec(s, field)}))
	var krmOut bytes.Buffer
	errOut.Reset()
	if code := Run([]string{"krm"}, bytes.NewReader(rl), &krmOut, &errOut); code != 0 {
		t.Fatalf("field %d: render took the spec, the KRM function did not: exit %d: %s", field, code, errOut.String())
	}
	checkKRMParseBack(t, rl, krmOut.Bytes())
}
