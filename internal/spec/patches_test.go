package spec

import (
	"strings"
	"testing"
)

// validatePatchSpec loads a spec whose spec.patches is patches (YAML,
// indented under spec:), defaults and validates it, and returns the errors
// as the CLI prints them.
func validatePatchSpec(t *testing.T, patches string) string {
	t.Helper()
	text := "apiVersion: mysqlgen.dev/v1alpha1\nkind: MySQLCluster\nmetadata:\n  name: db\nspec:\n  patches:\n" + patches
	docs, err := Load(strings.NewReader(text), "test.yaml")
	if err != nil {
		return err.Error()
	}
	SetDefaults(docs[0].Cluster)
	if err := docs[0].Annotate(Validate(docs[0].Cluster)); err != nil {
		return err.Error()
	}
	return ""
}

func TestValidatePatches(t *testing.T) {
	cases := []struct {
		name, patches, want string
	}{
		{"strategic merge naming its object", `
  - patch: |
      apiVersion: apps/v1
      kind: StatefulSet
      metadata: {name: db}
      spec: {template: {metadata: {annotations: {a: b}}}}
`, ""},
		{"strategic merge with a target", `
  - target: {kind: Service, labelSelector: "app.kubernetes.io/instance=db"}
    patch: |
      kind: Service
      metadata: {name: any, labels: {a: b}}
`, ""},
		{"two strategic-merge documents", `
  - patch: |
      apiVersion: v1
      kind: Service
      metadata: {name: db}
      ---
      apiVersion: v1
      kind: Service
      metadata: {name: db-read}
`, ""},
		{"JSON 6902 in YAML", `
  - target: {kind: StatefulSet, name: "db|other"}
    patch: |
      - op: replace
        path: /spec/replicas
        value: 5
      - op: remove
        path: /metadata/labels/x
      - op: move
        from: /a
        path: /b
`, ""},
		{"JSON 6902 in JSON", `
  - target: {group: apps, version: v1, kind: StatefulSet}
    patch: '[{"op": "add", "path": "/spec/minReadySeconds", "value": 10}]'
`, ""},
		{"empty patch", `
  - patch: "  "
`, "test.yaml:7: spec.patches[0].patch: Required value: a strategic-merge patch (a partial object) or a JSON 6902 patch (a list of operations)\n"},
		{"not YAML", `
  - patch: "a: [1"
`, "test.yaml:7: spec.patches[0].patch: Invalid value: must be a strategic-merge patch (a partial object) or a JSON 6902 patch (a list of operations), in YAML or JSON: line 1: did not find expected ',' or ']'\n"},
		{"a scalar", `
  - patch: hello
`, "test.yaml:7: spec.patches[0].patch: Invalid value: the patch must be a partial object (a strategic-merge patch) or a list of operations (a JSON 6902 patch), not hello\n"},
		{"strategic merge without identity or target", `
  - patch: |
      spec: {replicas: 1}
`, "test.yaml:7: spec.patches[0].patch: Invalid value: the patch lacks apiVersion, kind, metadata.name: with no target, they name the object it patches\n"},
		{"strategic merge with a target but no kind", `
  - target: {kind: Service}
    patch: |
      metadata: {labels: {a: b}}
`, "test.yaml:8: spec.patches[0].patch: Invalid value: the patch lacks kind, metadata.name: kustomize reads it as an object (with a target, the name need not match)\n"},
		{"several documents with a target", `
  - target: {kind: Service}
    patch: |
      kind: Service
      metadata: {name: a}
      ---
      kind: Service
      metadata: {name: b}
`, "test.yaml:8: spec.patches[0].patch: Invalid value: a patch with a target must be a single strategic-merge patch; give each document a patches entry of its own\n"},
		{"JSON 6902 without a target", `
  - patch: |
      - {op: replace, path: /spec/replicas, value: 5}
`, "test.yaml:7: spec.patches[0].target: Required value: a JSON 6902 patch needs a target to select the objects it patches\n"},
		{"bad operations", `
  - target: {kind: StatefulSet}
    patch: |
      - {op: rename, path: /a}
      - {op: add, path: spec/x, value: 1}
      - {op: replace, path: /a}
      - {op: copy, path: /a}
      - hello
      - []
`, `test.yaml:8: spec.patches[0].patch: Invalid value: operation 1: op "rename" is not one of add, copy, move, remove, replace, test
test.yaml:8: spec.patches[0].patch: Invalid value: operation 2 (add): path must be a JSON pointer such as /spec/replicas
test.yaml:8: spec.patches[0].patch: Invalid value: operation 3 (replace): needs a value
test.yaml:8: spec.patches[0].patch: Invalid value: operation 4 (copy): from must be a JSON pointer such as /metadata/labels/a
test.yaml:8: spec.patches[0].patch: Invalid value: operation 5 must be a mapping with op and path, not hello
test.yaml:8: spec.patches[0].patch: Invalid value: operation 6 must be a mapping with op and path, not a list
`},
		{"no operations", `
  - target: {kind: StatefulSet}
    patch: "[]"
`, "test.yaml:8: spec.patches[0].patch: Invalid value: the JSON 6902 patch has no operations\n"},
		{"bad target", `
  - target: {kind: "State(", name: "[", labelSelector: "a b c", annotationSelector: "x in (a"}
    patch: |
      kind: StatefulSet
      metadata: {name: db}
`, `test.yaml:7: spec.patches[0].target.kind: Invalid value: "State(": must be a regular expression: missing closing ): ` + "`State(`" + `
test.yaml:7: spec.patches[0].target.name: Invalid value: "[": must be a regular expression: missing closing ]: ` + "`[`" + `
test.yaml:7: spec.patches[0].target.labelSelector: Invalid value: "a b c": must be a selector such as app=x,tier!=y: unable to parse requirement: found 'b', expected: in, notin, =, ==, !=, gt, lt
test.yaml:7: spec.patches[0].target.annotationSelector: Invalid value: "x in (a": must be a selector such as app=x,tier!=y: unable to parse requirement: found '', expected: ',' or ')'
`},
		// The loader's type errors lose the index of a list item (see load.go's
		// typeError); the line still points at the patch.
		{"patch given as a mapping", `
  - patch: {kind: Service}
`, "test.yaml:7: spec.patches.patch: Invalid value: \"object\": must be a string\n"},
		{"unknown field", `
  - patch: "{apiVersion: v1, kind: Service, metadata: {name: db}}"
    path: patch.yaml
`, "test.yaml:8: spec.patches[0].path: Forbidden: unknown field \"path\"; allowed here: patch, target\n"},
		{"aliases", `
  - patch: |
      base: &b {x: 1}
      other: *b
`, "test.yaml:7: spec.patches[0].patch: Invalid value: must be a strategic-merge patch (a partial object) or a JSON 6902 patch (a list of operations), in YAML or JSON: YAML anchors, aliases and merge keys are not supported in patches\n"},
		{"errors name their patch", `
  - patch: |
      kind: StatefulSet
      metadata: {name: db}
      apiVersion: apps/v1
  - patch: ""
`, "test.yaml:11: spec.patches[1].patch: Required value: a strategic-merge patch (a partial object) or a JSON 6902 patch (a list of operations)\n"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			got := validatePatchSpec(t, strings.TrimPrefix(c.patches, "\n"))
			if got != "" {
				got += "\n"
			}
			if got != c.want {
				t.Errorf("errors:\n%s\nwant:\n%s", got, c.want)
			}
		})
	}
}

func TestTooManyPatches(t *testing.T) {
	patches := strings.Repeat("  - patch: \"{apiVersion: v1, kind: Service, metadata: {name: db}}\"\n", MaxPatches+1)
	if got, want := validatePatchSpec(t, patches), "test.yaml:7: spec.patches: Too many: 101: must have at most 100 items"; got != want {
		t.Errorf("errors:\n%s\nwant:\n%s", got, want)
	}
}

func TestFunctionAnnotationsAreNotTheClusters(t *testing.T) {
	text := `apiVersion: mysqlgen.dev/v1alpha1
kind: MySQLCluster
metadata:
  name: db
  annotations:
    owner: dba@example.com
    config.kubernetes.io/function: |
      exec: {path: mysqlgen}
    config.kubernetes.io/local-config: "true"
    internal.config.kubernetes.io/path: cluster.yaml
    config.k8s.io/function: x
`
	docs, err := Load(strings.NewReader(text), "test.yaml")
	if err != nil {
		t.Fatal(err)
	}
	if got := docs[0].Cluster.Metadata.Annotations; len(got) != 1 || got["owner"] != "dba@example.com" {
		t.Errorf("annotations = %v, want only owner", got)
	}
}
