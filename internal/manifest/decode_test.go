package manifest

import (
	"bytes"
	"encoding/json"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// pruned is the definition the decoder implements in one pass: decode into
// map[string]any with encoding/json, then remove nulls in mappings (only:
// empty maps and lists mean something and stay), the status, and the claim
// templates' status, and turn whole numbers into int64.
func pruned(t *testing.T, raw []byte) map[string]any {
	t.Helper()
	var m map[string]any
	if err := json.Unmarshal(raw, &m); err != nil {
		t.Fatal(err)
	}
	delete(m, "status")
	var prune func(v any) bool
	prune = func(v any) bool {
		switch t := v.(type) {
		case nil:
			return true
		case map[string]any:
			for k, child := range t {
				if n, ok := child.(float64); ok {
					t[k] = number(n)
					continue
				}
				if k == "volumeClaimTemplates" {
					for _, claim := range asList(child) {
						if cm, ok := claim.(map[string]any); ok {
							delete(cm, "status")
						}
					}
				}
				if prune(child) {
					delete(t, k)
				}
			}
		case []any:
			for i, child := range t {
				if n, ok := child.(float64); ok {
					t[i] = number(n)
				}
				prune(child)
			}
		}
		return false
	}
	prune(m)
	return m
}

// decodeForTest decodes raw, checks that every mapping is in the writer's
// order, and returns the tree as Go maps.
func decodeForTest(t *testing.T, d *decoder, raw []byte) any {
	t.Helper()
	v, err := d.decodeJSON(bytes.NewBuffer(raw))
	if err != nil {
		t.Fatalf("%s: %v", raw, err)
	}
	got := v.(Map).without("status")
	m := toMap(got)
	if diff := cmp.Diff(fromMap(m), any(got), cmp.AllowUnexported(Pair{})); diff != "" {
		t.Errorf("%s: mappings out of order (-sorted +decoded):\n%s", raw, diff)
	}
	return m
}

func TestDecoderPrunesAsDefined(t *testing.T) {
	d := newDecoder() // one decoder for all: interning must not mix objects up
	for name, objs := range matrix(t) {
		for _, o := range objs {
			raw, err := json.Marshal(o)
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(any(pruned(t, raw)), decodeForTest(t, d, raw)); diff != "" {
				t.Errorf("%s: %s (-want +got):\n%s", name, o.GetName(), diff)
			}
		}
	}
	for _, raw := range []string{
		`{}`,
		`{"status":{"phase":"Bound"},"a":1}`,
		`{"a":null,"b":{},"c":[],"d":{"e":{"f":null}},"g":"","h":0,"i":false}`,
		`{"emptyDir":{},"podSelector":{"matchLabels":{}},"namespaceSelector":null}`,
		`{"list":[null,{},[],{"x":null},"",1.5,-3,1e3,9007199254740993,"\u003c\u0026\n\"\\"]}`,
		`{"spec":{"volumeClaimTemplates":[{"metadata":{"name":"data"},"status":{"phase":"Pending"}},{"status":{"x":1}}]}}`,
		`{"escaped \"key\"\t":"caf\u00e9 \ud83d\ude00","metadata":{"name":"metadata"}}`,
	} {
		if diff := cmp.Diff(any(pruned(t, []byte(raw))), decodeForTest(t, d, []byte(raw))); diff != "" {
			t.Errorf("%s (-want +got):\n%s", raw, diff)
		}
	}
}

func TestDecoderRejectsInvalidJSON(t *testing.T) {
	for _, raw := range []string{`{"a":`, `{"a":1,"a":2}`, ``, `{"a":1,}`, `[1,]`} {
		if v, err := newDecoder().decodeJSON(bytes.NewBufferString(raw)); err == nil {
			t.Errorf("%q: decoded as %v, want an error", raw, v)
		}
	}
}
