package main

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"sigs.k8s.io/yaml"

	"github.com/mysqlgen/mysqlgen/internal/spec"
)

// docs splits a YAML stream into its documents, as plain values.
func docs(t *testing.T, stream string) []map[string]any {
	t.Helper()
	var out []map[string]any
	for _, d := range strings.Split(stream, "\n---\n") {
		var m map[string]any
		if err := yaml.Unmarshal([]byte(d), &m); err != nil {
			t.Fatal(err)
		}
		out = append(out, m)
	}
	return out
}

func kinds(objs []map[string]any) []string {
	var out []string
	for _, o := range objs {
		out = append(out, o["kind"].(string)+"/"+o["metadata"].(map[string]any)["name"].(string))
	}
	return out
}

func example(name string) string { return filepath.Join(repoRoot, "examples", name) }

func TestRenderJSON(t *testing.T) {
	y := run(t, "", "render", "-f", example("full.yaml"))
	j := run(t, "", "render", "-f", example("full.yaml"), "-o", "json")
	if j.code != 0 || j.err != "" {
		t.Fatalf("render -o json exited %d: %s", j.code, j.err)
	}
	var list struct {
		APIVersion, Kind string
		Items            []map[string]any
	}
	if err := json.Unmarshal([]byte(j.stdout), &list); err != nil {
		t.Fatal(err)
	}
	if list.APIVersion != "v1" || list.Kind != "List" {
		t.Errorf("-o json is a %s %s, want a v1 List", list.APIVersion, list.Kind)
	}
	if diff := cmp.Diff(docs(t, y.stdout), list.Items); diff != "" {
		t.Errorf("-o json items differ from -o yaml documents (-yaml +json):\n%s", diff)
	}
	if strings.Contains(j.stdout, `\u0026`) {
		t.Error("-o json escapes & as \\u0026")
	}
}

func TestRenderOrder(t *testing.T) {
	legacy := kinds(docs(t, run(t, "", "render").stdout))
	helm := kinds(docs(t, run(t, "", "render", "--order", "helm").stdout))
	wantLegacy := []string{"ConfigMap/mysql-config", "ConfigMap/mysql-scripts", "Service/mysql", "Service/mysql-primary", "Service/mysql-read", "StatefulSet/mysql"}
	wantHelm := []string{"ConfigMap/mysql-config", "ConfigMap/mysql-scripts", "Service/mysql", "Service/mysql-read", "Service/mysql-primary", "StatefulSet/mysql"}
	// Kinds added later keep their place in each order; check the ones above.
	filter := func(all []string) []string {
		var out []string
		for _, k := range all {
			if strings.HasPrefix(k, "ConfigMap/") || strings.HasPrefix(k, "Service/") || strings.HasPrefix(k, "StatefulSet/") {
				out = append(out, k)
			}
		}
		return out
	}
	if diff := cmp.Diff(wantLegacy, filter(legacy)); diff != "" {
		t.Errorf("default (legacy) order (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff(wantHelm, filter(helm)); diff != "" {
		t.Errorf("helm order (-want +got):\n%s", diff)
	}
	if r := run(t, "", "render", "--order", "alphabetical"); r.code != 1 || r.stdout != "" || !strings.Contains(r.err, "unknown document order") {
		t.Errorf("--order alphabetical = %+v", r)
	}
	if r := run(t, "", "render", "-o", "xml"); r.code != 1 || r.stdout != "" || !strings.Contains(r.err, `unknown output "xml": use yaml, json, or a directory ending in /`) {
		t.Errorf("-o xml = %+v", r)
	}
}

// The GitOps loop: render into a directory, check it, change the spec,
// see the check fail with a diff, render again.
func TestRenderDirAndDiff(t *testing.T) {
	work := t.TempDir()
	specPath := filepath.Join(work, "cluster.yaml")
	dir := filepath.Join(work, "deploy", "mysql") + "/"
	minimal, err := os.ReadFile(example("minimal.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(specPath, minimal, 0o644); err != nil {
		t.Fatal(err)
	}
	r := run(t, "", "render", "-f", specPath, "-o", dir)
	if r.code != 0 || r.stdout != "" || r.err != "" {
		t.Fatalf("render -o dir/ = %+v", r)
	}
	entries, _ := os.ReadDir(dir)
	stream := docs(t, run(t, "", "render", "-f", specPath).stdout)
	if len(entries) != len(stream)+1 {
		t.Errorf("%d files for %d objects: want one each and kustomization.yaml", len(entries), len(stream))
	}
	if r := run(t, "", "diff", "-f", specPath, dir); r.code != 0 || r.stdout != "" || r.err != "" {
		t.Errorf("diff of a current directory = %+v", r)
	}
	// What Argo CD and Flux do with the directory: kustomize build of it is
	// what render prints.
	built, err := krustyBuild(dir)
	if err != nil {
		t.Fatalf("kustomize build %s: %v", dir, err)
	}
	if diff := cmp.Diff(run(t, "", "render", "-f", specPath).stdout, string(built)); diff != "" {
		t.Errorf("kustomize build of the directory differs from render (-render +kustomize):\n%s", diff)
	}

	// A changed spec: diff fails and says what changed and how to fix it.
	if err := os.WriteFile(specPath, bytes.Replace(minimal, []byte("size: 1Gi"), []byte("size: 2Gi"), 1), 0o644); err != nil {
		t.Fatal(err)
	}
	r = run(t, "", "diff", "-f", specPath, dir)
	if r.code != 1 || !strings.Contains(r.stdout, "-          storage: 1Gi\n+          storage: 2Gi\n") {
		t.Errorf("diff of a stale directory: exit %d, stdout:\n%s", r.code, r.stdout)
	}
	// A new size is also an update Kubernetes refuses: the procedure follows.
	if want := dir + " is stale: run mysqlgen render -f " + specPath + " -o " + dir + "\n"; !strings.HasPrefix(r.err, want) || !strings.Contains(r.err, "delete statefulset dev-db --cascade=orphan") {
		t.Errorf("stderr = %q, want %q and the procedure", r.err, want)
	}

	// An invalid spec leaves the directory as it was.
	before := readFiles(t, dir)
	bad := filepath.Join(repoRoot, "testdata", "invalid", "replicas-zero.yaml")
	if r := run(t, "", "render", "-f", bad, "-o", dir); r.code != 1 || r.stdout != "" {
		t.Errorf("render of an invalid spec = %+v", r)
	}
	if diff := cmp.Diff(before, readFiles(t, dir)); diff != "" {
		t.Errorf("an invalid spec changed the directory:\n%s", diff)
	}

	// Rendering again brings it up to date; a spec that renders fewer
	// objects leaves no stale file behind.
	if r := run(t, "", "render", "-f", specPath, "-o", dir); r.code != 0 {
		t.Fatalf("render = %+v", r)
	}
	if r := run(t, "", "diff", "-f", specPath, dir); r.code != 0 {
		t.Errorf("diff after render = %+v", r)
	}
	if err := os.WriteFile(specPath, append(bytes.Replace(minimal, []byte("replicas: 1"), []byte("replicas: 3"), 1), "  podDisruptionBudget: {enabled: false}\n  networkPolicy: {enabled: false}\n"...), 0o644); err != nil {
		t.Fatal(err)
	}
	before = readFiles(t, dir)
	if r := run(t, "", "render", "-f", specPath, "-o", dir); r.code != 0 {
		t.Fatalf("render = %+v", r)
	}
	after := readFiles(t, dir)
	if len(after) >= len(before) {
		t.Errorf("files before %d, after %d: stale files remain", len(before), len(after))
	}

	// A directory holding a file of the user's is refused, untouched.
	os.WriteFile(filepath.Join(dir, "README.md"), []byte("mine"), 0o644)
	before = readFiles(t, dir)
	r = run(t, "", "render", "-f", specPath, "-o", dir)
	if r.code != 1 || !strings.Contains(r.err, "README.md, which mysqlgen did not write") {
		t.Errorf("render into a directory with a foreign file = %+v", r)
	}
	if diff := cmp.Diff(before, readFiles(t, dir)); diff != "" {
		t.Errorf("the refused directory changed:\n%s", diff)
	}
}

func readFiles(t *testing.T, dir string) map[string]string {
	t.Helper()
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]string{}
	for _, e := range entries {
		b, _ := os.ReadFile(filepath.Join(dir, e.Name()))
		out[e.Name()] = string(b)
	}
	return out
}

func TestDiffFile(t *testing.T) {
	work := t.TempDir()
	for _, format := range []string{"yaml", "json"} {
		t.Run(format, func(t *testing.T) {
			file := filepath.Join(work, "rendered."+format)
			if r := run(t, "", "diff", "-f", example("minimal.yaml"), "-o", format, file); r.code != 1 || !strings.HasPrefix(r.stdout, "--- /dev/null\n+++ "+file+"\n") {
				t.Errorf("diff against a missing file = %+v", r)
			}
			out := run(t, "", "render", "-f", example("minimal.yaml"), "-o", format).stdout
			os.WriteFile(file, []byte(out), 0o644)
			if r := run(t, "", "diff", "-f", example("minimal.yaml"), "-o", format, file); r.code != 0 || r.stdout != "" || r.err != "" {
				t.Errorf("diff against a current file = %+v", r)
			}
			r := run(t, "", "diff", "-f", example("default.yaml"), "-o", format, file)
			if r.code != 1 || !strings.HasPrefix(r.stdout, "--- "+file+"\n+++ "+file+"\n@@ ") {
				t.Errorf("diff against a stale file: exit %d\n%.300s", r.code, r.stdout)
			}
			wantHint := " > " + file + "\n"
			if !strings.HasSuffix(r.err, wantHint) || !strings.Contains(r.err, "is stale: run mysqlgen render -f ") {
				t.Errorf("stderr = %q", r.err)
			}
		})
	}
}

// diff exits 2 on any error, so that CI tells a stale output (1) from a
// broken step, as with diff(1) and kubectl diff.
func TestDiffUsageErrors(t *testing.T) {
	dir := t.TempDir()
	for _, args := range [][]string{
		{"diff"},
		{"diff", "--nope", dir},
		{"diff", "missing.yaml", dir},
		{"diff", "-n", "Not_A_Namespace", dir},
		{"diff", "-o", "json", dir},
		{"diff", "-o", dir + "/", dir},
		{"diff", "-f", filepath.Join(repoRoot, "testdata", "invalid", "replicas-zero.yaml"), dir},
	} {
		if r := run(t, "", args...); r.code != 2 || r.stdout != "" || r.err == "" {
			t.Errorf("%v = %+v: want exit 2, an error, no stdout", args, r)
		}
	}
}

// A patch that does not apply is reported with its file and line, and
// nothing is rendered.
func TestRenderPatchErrors(t *testing.T) {
	text := `apiVersion: mysqlgen.dev/v1alpha1
kind: MySQLCluster
metadata:
  name: db
spec:
  patches:
  - target: {kind: Service, name: db-readonly}
    patch: '[{"op": "remove", "path": "/spec/type"}]'
  - target: {kind: StatefulSet}
    patch: '[{"op": "remove", "path": "/spec/nothing"}]'
`
	r := run(t, text, "render", "-f", "-")
	want := "<stdin>:7: spec.patches[0]: Invalid value: the target selects none of the rendered objects ("
	if r.code != 1 || r.stdout != "" || !strings.HasPrefix(r.err, want) || !strings.Contains(r.err, "\n<stdin>:9: spec.patches[1]: Invalid value: error in remove for path: '/spec/nothing': Unable to remove nonexistent key: nothing") {
		t.Errorf("render = exit %d, stdout %d bytes, stderr:\n%s", r.code, len(r.stdout), r.err)
	}
}

func TestSchemaCommand(t *testing.T) {
	r := run(t, "", "schema")
	want, err := spec.JSONSchema()
	if err != nil {
		t.Fatal(err)
	}
	if r.code != 0 || r.stdout != string(want) || r.err != "" {
		t.Errorf("schema = exit %d, %d bytes, stderr %q", r.code, len(r.stdout), r.err)
	}
}

// mysqlgen with no command: help at a terminal (or with nothing on stdin),
// a KRM function when a runner pipes a ResourceList in, and an error that
// says what to do otherwise.
func TestNoCommand(t *testing.T) {
	devNull, err := os.Open(os.DevNull)
	if err != nil {
		t.Fatal(err)
	}
	defer devNull.Close()
	var out, errOut bytes.Buffer
	if code := Run(nil, devNull, &out, &errOut); code != 0 || !strings.Contains(out.String(), "Available Commands:") || errOut.Len() != 0 {
		t.Errorf("mysqlgen </dev/null = exit %d, stdout %.80q, stderr %q", code, out.String(), errOut.String())
	}
	if r := run(t, ""); r.code != 0 || !strings.Contains(r.stdout, "Available Commands:") {
		t.Errorf("mysqlgen with empty stdin = %+v", r)
	}

	rl := "apiVersion: config.kubernetes.io/v1\nkind: ResourceList\nitems: []\nfunctionConfig:\n" +
		"  apiVersion: mysqlgen.dev/v1alpha1\n  kind: MySQLCluster\n  metadata: {name: db}\n"
	r := run(t, rl)
	if r.code != 0 || r.err != "" || !strings.HasPrefix(r.stdout, "apiVersion: config.kubernetes.io/v1\nkind: ResourceList\nitems:\n") {
		t.Fatalf("mysqlgen with a ResourceList = exit %d, stderr %q, stdout %.200q", r.code, r.err, r.stdout)
	}
	if explicit := run(t, rl, "krm"); explicit.stdout != r.stdout {
		t.Error("mysqlgen krm differs from mysqlgen with a ResourceList on stdin")
	}
	var list struct{ Items []map[string]any }
	if err := yaml.Unmarshal([]byte(r.stdout), &list); err != nil {
		t.Fatal(err)
	}
	fromSpec := docs(t, run(t, "apiVersion: mysqlgen.dev/v1alpha1\nkind: MySQLCluster\nmetadata: {name: db}\n", "render", "-f", "-").stdout)
	if diff := cmp.Diff(fromSpec, list.Items); diff != "" {
		t.Errorf("the function's items differ from render's objects (-render +function):\n%s", diff)
	}

	bad := strings.Replace(rl, "metadata: {name: db}", "metadata: {name: db}\n  spec: {replicas: 0}", 1)
	r = run(t, bad)
	if r.code != 1 || r.err != "functionConfig MySQLCluster/db: spec.replicas: Invalid value: 0: must be between 1 and 16\n" || !strings.Contains(r.stdout, "results:\n- message: 'Invalid value: 0: must be between 1 and 16'\n  severity: error\n") {
		t.Errorf("mysqlgen with an invalid function config = exit %d, stderr %q, stdout:\n%s", r.code, r.err, r.stdout)
	}

	minimal, _ := os.ReadFile(example("minimal.yaml"))
	r = run(t, string(minimal))
	if r.code != 1 || r.stdout != "" || !strings.Contains(r.err, "stdin is not a KRM ResourceList") || !strings.Contains(r.err, "mysqlgen render -f -") {
		t.Errorf("mysqlgen with a spec on stdin = %+v", r)
	}
}
