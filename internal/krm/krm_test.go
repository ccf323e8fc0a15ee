package krm

import (
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"sigs.k8s.io/yaml"

	"github.com/mysqlgen/mysqlgen/internal/manifest"
	"github.com/mysqlgen/mysqlgen/internal/output"
	"github.com/mysqlgen/mysqlgen/internal/render"
	"github.com/mysqlgen/mysqlgen/internal/spec"

	_ "github.com/mysqlgen/mysqlgen/internal/golden" // registers -update for go test ./... -update
)

const spec1 = `apiVersion: mysqlgen.dev/v1alpha1
kind: MySQLCluster
metadata:
  name: db
  namespace: shop
  annotations:
    owner: dba
    config.kubernetes.io/function: |
      exec:
        path: mysqlgen
    config.kubernetes.io/local-config: "true"
spec:
  replicas: 2
  patches:
  - target: {kind: Service, name: db-primary}
    patch: '[{"op": "add", "path": "/metadata/labels/exposed", "value": "yes"}]'
`

// resourceList wraps items and a function config as a runner sends them.
func resourceList(apiVersion, items, config string) string {
	var b strings.Builder
	b.WriteString("apiVersion: " + apiVersion + "\nkind: ResourceList\nitems:")
	if items == "" {
		b.WriteString(" []\n")
	} else {
		b.WriteString("\n" + indent(items, "  "))
	}
	if config != "" {
		b.WriteString("functionConfig:\n" + indent(config, "  "))
	}
	return b.String()
}

func indent(s, prefix string) string {
	lines := strings.SplitAfter(s, "\n")
	for i, l := range lines {
		if l != "" && l != "\n" {
			lines[i] = prefix + l
		}
	}
	return strings.Join(lines, "")
}

// decoded is a ResourceList's items and results as plain values.
type decoded struct {
	Items   []map[string]any `json:"items"`
	Results []map[string]any `json:"results"`
}

func decode(t *testing.T, s string) decoded {
	t.Helper()
	var d decoded
	if err := yaml.Unmarshal([]byte(s), &d); err != nil {
		t.Fatalf("output is not a ResourceList: %v\n%s", err, s)
	}
	return d
}

// expected renders spec1 as mysqlgen render does.
func expected(t *testing.T) []map[string]any {
	t.Helper()
	docs, err := spec.Load(strings.NewReader(spec1), "test")
	if err != nil {
		t.Fatal(err)
	}
	c := docs[0].Cluster
	spec.SetDefaults(c)
	b := manifest.NewBuilder()
	var trees []*manifest.Tree
	for _, o := range render.Objects(c) {
		tree, err := b.Build(o)
		if err != nil {
			t.Fatal(err)
		}
		trees = append(trees, tree)
	}
	var out []map[string]any
	for _, o := range output.Sort(trees, output.OrderLegacy) {
		y, err := manifest.YAML([]*manifest.Tree{o})
		if err != nil {
			t.Fatal(err)
		}
		var m map[string]any
		if err := yaml.Unmarshal(y, &m); err != nil {
			t.Fatal(err)
		}
		out = append(out, m)
	}
	// The one patch of spec1.
	for _, m := range out {
		if m["kind"] == "Service" && m["metadata"].(map[string]any)["name"] == "db-primary" {
			m["metadata"].(map[string]any)["labels"].(map[string]any)["exposed"] = "yes"
		}
	}
	return out
}

func TestRun(t *testing.T) {
	existing := `- apiVersion: v1
  kind: ConfigMap
  metadata:
    name: other
    annotations:
      config.kubernetes.io/index: "0"
  data:
    n: "1"
`
	for _, apiVersion := range []string{"config.kubernetes.io/v1", "config.kubernetes.io/v1alpha1"} {
		t.Run(apiVersion, func(t *testing.T) {
			in := resourceList(apiVersion, existing, spec1)
			var out strings.Builder
			if err := Run(strings.NewReader(in), &out); err != nil {
				t.Fatal(err)
			}
			if !strings.HasPrefix(out.String(), "apiVersion: "+apiVersion+"\nkind: ResourceList\n") {
				t.Errorf("output does not start as a %s ResourceList:\n%.200s", apiVersion, out.String())
			}
			got := decode(t, out.String())
			if len(got.Results) != 0 {
				t.Errorf("results: %v", got.Results)
			}
			var in0 decoded
			_ = yaml.Unmarshal([]byte(in), &in0)
			if diff := cmp.Diff(in0.Items[0], got.Items[0]); diff != "" {
				t.Errorf("the existing item changed (-in +out):\n%s", diff)
			}
			if diff := cmp.Diff(expected(t), got.Items[1:]); diff != "" {
				t.Errorf("rendered items differ from mysqlgen render (-render +function):\n%s", diff)
			}
			if strings.Contains(out.String(), "local-config") && strings.Count(out.String(), "config.kubernetes.io/local-config") != 1 {
				t.Error("the function's annotations reached the rendered objects")
			}
		})
	}
}

func TestRunInvalidSpec(t *testing.T) {
	bad := strings.Replace(strings.Replace(spec1, "replicas: 2", "replicas: 0\n  storage: {size: ten}\n  replicaz: 1", 1), "name: db-primary", "name: db-nope", 1)
	in := resourceList("config.kubernetes.io/v1", "- {apiVersion: v1, kind: ConfigMap, metadata: {name: other}}\n", bad)
	var out strings.Builder
	err := Run(strings.NewReader(in), &out)
	var ke *Error
	if !errors.As(err, &ke) {
		t.Fatalf("err = %v, want an *Error", err)
	}
	// In the order of the lines of the function config.
	want := `functionConfig MySQLCluster/db: spec.replicas: Invalid value: 0: must be between 1 and 16
functionConfig MySQLCluster/db: spec.storage.size: Invalid value: "ten": must be a quantity such as 10Gi or 500M
functionConfig MySQLCluster/db: spec.replicaz: Forbidden: unknown field "replicaz"; allowed here: ` + strings.Join(specFields(t), ", ")
	if diff := cmp.Diff(want, err.Error()); diff != "" {
		t.Errorf("error (-want +got):\n%s", diff)
	}
	got := decode(t, out.String())
	if len(got.Items) != 1 {
		t.Errorf("%d items, want the one given", len(got.Items))
	}
	if len(got.Results) != 3 {
		t.Fatalf("%d results, want 3: %v", len(got.Results), got.Results)
	}
	r := got.Results[0]
	wantResult := map[string]any{
		"message":     "Invalid value: 0: must be between 1 and 16",
		"severity":    "error",
		"resourceRef": map[string]any{"apiVersion": "mysqlgen.dev/v1alpha1", "kind": "MySQLCluster", "name": "db", "namespace": "shop"},
		"field":       map[string]any{"path": "spec.replicas", "currentValue": float64(0)},
	}
	if diff := cmp.Diff(wantResult, r); diff != "" {
		t.Errorf("result (-want +got):\n%s", diff)
	}

	// A patch that selects nothing is found only when it is applied.
	badPatch := strings.Replace(spec1, "name: db-primary", "name: db-nope", 1)
	out.Reset()
	err = Run(strings.NewReader(resourceList("config.kubernetes.io/v1", "", badPatch)), &out)
	if err == nil || !strings.Contains(err.Error(), "functionConfig MySQLCluster/db: spec.patches[0]: Invalid value: the target selects none of the rendered objects") {
		t.Errorf("err = %v", err)
	}
}

func specFields(t *testing.T) []string {
	t.Helper()
	// The loader's own list, so that new spec fields need no edit here.
	_, err := spec.Load(strings.NewReader("apiVersion: mysqlgen.dev/v1alpha1\nkind: MySQLCluster\nmetadata: {name: x}\nspec: {x: 1}\n"), "t")
	_, list, _ := strings.Cut(err.Error(), "allowed here: ")
	fields := strings.Split(list, ", ")
	if len(fields) < 10 {
		t.Fatalf("spec fields: %v", fields)
	}
	return fields
}

func TestRunWithoutFunctionConfig(t *testing.T) {
	var out strings.Builder
	err := Run(strings.NewReader(resourceList("config.kubernetes.io/v1", "", "")), &out)
	if err == nil || !strings.Contains(err.Error(), "no functionConfig: mysqlgen needs a MySQLCluster spec") {
		t.Errorf("err = %v", err)
	}
	if got := decode(t, out.String()); len(got.Results) != 1 || got.Results[0]["severity"] != "error" {
		t.Errorf("results = %v", got.Results)
	}
	out.Reset()
	err = Run(strings.NewReader(resourceList("config.kubernetes.io/v1", "", "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: x}\n")), &out)
	if err == nil || !strings.Contains(err.Error(), "functionConfig ConfigMap/x: apiVersion: Unsupported value") {
		t.Errorf("err = %v", err)
	}
}

func TestIsResourceList(t *testing.T) {
	cases := map[string]bool{
		"apiVersion: config.kubernetes.io/v1\nkind: ResourceList\nitems: []\n":       true,
		"kind: ResourceList\napiVersion: config.kubernetes.io/v1alpha1\n":            true,
		"{\"apiVersion\": \"config.kubernetes.io/v1\", \"kind\": \"ResourceList\"}":  true,
		"# a comment first\napiVersion: config.kubernetes.io/v1\nkind: ResourceList": true,
		spec1:                                  false,
		"apiVersion: v1\nkind: ResourceList\n": false,
		"apiVersion: config.kubernetes.io/v1\nkind: ConfigMap\n": false,
		"not: [yaml": false,
		"":           false,
		"\x00\x01":   false,
		"- apiVersion: config.kubernetes.io/v1\n  kind: ResourceList": false,
	}
	for in, want := range cases {
		if got := IsResourceList([]byte(in)); got != want {
			t.Errorf("IsResourceList(%.40q) = %v, want %v", in, got, want)
		}
	}
}

// A spec with thousands of errors comes back as the first
// spec.MaxPrintedErrors results and one saying how many more, as the CLI
// prints them: a ResourceList of every one would only be megabytes of noise.
func TestRunCapsResults(t *testing.T) {
	var cfg strings.Builder
	cfg.WriteString("apiVersion: mysqlgen.dev/v1alpha1\nkind: MySQLCluster\nmetadata:\n  name: db\n  labels:\n")
	const bad = 250
	for i := range bad {
		fmt.Fprintf(&cfg, "    l%d: -not a label value-\n", i)
	}
	var out strings.Builder
	err := Run(strings.NewReader(resourceList("config.kubernetes.io/v1", "", cfg.String())), &out)
	var ke *Error
	if !errors.As(err, &ke) {
		t.Fatalf("err = %v, want an *Error", err)
	}
	got := decode(t, out.String())
	if len(got.Results) != spec.MaxPrintedErrors+1 {
		t.Fatalf("%d results, want %d", len(got.Results), spec.MaxPrintedErrors+1)
	}
	last := got.Results[len(got.Results)-1]
	if want := fmt.Sprintf("and %d more errors", bad-spec.MaxPrintedErrors); last["message"] != want {
		t.Errorf("last result %v, want the message %q", last, want)
	}
}

// An item that names one key twice would be passed through into output
// that kubectl's decoders refuse: it is refused, and nothing is rendered.
func TestRunRefusesDuplicateKeys(t *testing.T) {
	items := "- apiVersion: v1\n  kind: ConfigMap\n  metadata: {name: other}\n  data:\n    a: x\n    a: y\n"
	var out strings.Builder
	err := Run(strings.NewReader(resourceList("config.kubernetes.io/v1", items, spec1)), &out)
	var ke *Error
	if !errors.As(err, &ke) {
		t.Fatalf("err = %v, want an *Error", err)
	}
	if want := `items[0]: line 9: mapping key "a" is already defined`; !strings.Contains(err.Error(), want) {
		t.Errorf("err = %v, want it to say %q", err, want)
	}
	if got := decode(t, out.String()); len(got.Items) != 1 {
		t.Errorf("%d items, want only the one given", len(got.Items))
	}
}
