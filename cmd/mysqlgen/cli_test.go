package main

import (
	"bytes"
	"os"
	"path/filepath"
	"runtime/debug"
	"slices"
	"strings"
	"testing"

	"sigs.k8s.io/yaml"

	"github.com/mysqlgen/mysqlgen/internal/spec"
)

// kubectl users type the spec as an argument; it is the same as -f.
func TestPositionalSpecs(t *testing.T) {
	mariadb, minimal := example("mariadb.yaml"), example("minimal.yaml")
	withF := run(t, "", "render", "-f", mariadb, "-f", minimal)
	for name, args := range map[string][]string{
		"arguments":       {"render", mariadb, minimal},
		"-f and argument": {"render", "-f", mariadb, minimal},
	} {
		if r := run(t, "", args...); r.code != 0 || r.stdout != withF.stdout {
			t.Errorf("%s: %v = exit %d, %s; want render -f's output", name, args, r.code, r.err)
		}
	}
	if r := run(t, "", "validate", mariadb); r.code != 0 || r.stdout != mariadb+": MySQLCluster maria is valid\n" {
		t.Errorf("validate file = %+v", r)
	}
	if r := run(t, "", "secret", mariadb); r.code != 0 || !strings.Contains(r.stdout, "name: maria-passwords") {
		t.Errorf("secret file = %+v", r)
	}
	dir := filepath.Join(t.TempDir(), "out.yaml")
	if r := run(t, "", "render", "-f", minimal, "-o", dir); r.code != 1 {
		t.Fatalf("render to a missing file name = %+v", r)
	}
	os.WriteFile(dir, []byte(run(t, "", "render", mariadb).stdout), 0o644)
	if r := run(t, "", "diff", mariadb, dir); r.code != 0 || r.stdout != "" {
		t.Errorf("diff spec target = %+v", r)
	}
	if r := run(t, "", "diff", minimal, dir); r.code != 1 || r.stdout == "" {
		t.Errorf("diff of another spec: exit %d, want 1 and a diff", r.code)
	}
}

func TestValidateQuiet(t *testing.T) {
	if r := run(t, "", "validate", "-q", example("mariadb.yaml")); r.code != 0 || r.stdout != "" || r.err != "" {
		t.Errorf("validate -q of a valid spec = %+v: want nothing", r)
	}
	bad := filepath.Join(repoRoot, "testdata", "invalid", "replicas-zero.yaml")
	if r := run(t, "", "validate", "-q", bad); r.code != 1 || !strings.Contains(r.err, "spec.replicas") {
		t.Errorf("validate -q of an invalid spec = %+v: want its error", r)
	}
}

// -o takes an existing directory without its slash; --output-dir names a
// directory whether or not it exists; -o of neither says how.
func TestOutputDirectory(t *testing.T) {
	spec := example("minimal.yaml")
	work := t.TempDir()
	existing := filepath.Join(work, "deploy")
	if err := os.Mkdir(existing, 0o755); err != nil {
		t.Fatal(err)
	}
	if r := run(t, "", "render", spec, "-o", existing); r.code != 0 || r.stdout != "" {
		t.Fatalf("render -o existing-dir = %+v", r)
	}
	fresh := filepath.Join(work, "fresh")
	if r := run(t, "", "render", spec, "--output-dir", fresh); r.code != 0 || r.stdout != "" {
		t.Fatalf("render --output-dir = %+v", r)
	}
	if diff := readFiles(t, existing); len(diff) < 5 || !mapsEqual(diff, readFiles(t, fresh)) {
		t.Errorf("-o dir and --output-dir wrote different files")
	}
	r := run(t, "", "render", spec, "-o", filepath.Join(work, "new"))
	if want := "-o " + filepath.Join(work, "new") + "/ or --output-dir"; r.code != 1 || !strings.Contains(r.err, want) {
		t.Errorf("render -o new = %+v: want a hint %q", r, want)
	}
	if r := run(t, "", "render", spec, "-o", "json", "--output-dir", fresh); r.code != 1 || !strings.Contains(r.err, "give one") {
		t.Errorf("-o json --output-dir = %+v", r)
	}
}

func mapsEqual(a, b map[string]string) bool {
	if len(a) != len(b) {
		return false
	}
	for k, v := range a {
		if b[k] != v {
			return false
		}
	}
	return true
}

// -n gives a namespace to a spec without one and, as kubectl apply -n,
// refuses a spec that names another.
func TestNamespaceFlag(t *testing.T) {
	minimal, mariadb := example("minimal.yaml"), example("mariadb.yaml")
	for _, args := range [][]string{{"render", "-n", "team-a", minimal}, {"secret", "--namespace=team-a", minimal}} {
		r := run(t, "", args...)
		for _, d := range docs(t, r.stdout) {
			if ns, _ := d["metadata"].(map[string]any)["namespace"].(string); ns != "team-a" {
				t.Errorf("%v: %v %v is in namespace %q", args, d["kind"], d["metadata"].(map[string]any)["name"], ns)
			}
		}
		if r.code != 0 || len(docs(t, r.stdout)) == 0 {
			t.Errorf("%v = exit %d: %s", args, r.code, r.err)
		}
	}
	if r, same := run(t, "", "render", "-n", "shop", mariadb), run(t, "", "render", mariadb); r.code != 0 || r.stdout != same.stdout {
		t.Errorf("-n of the spec's own namespace changed the output (exit %d): %s", r.code, r.err)
	}
	r := run(t, "", "validate", "-n", "other", mariadb)
	want := mariadb + `:6: metadata.namespace: Invalid value: "shop": does not match --namespace=other: pass --namespace=shop, or no --namespace` + "\n"
	if r.code != 1 || r.stdout != "" || r.err != want {
		t.Errorf("validate -n other of a spec in shop:\n%q\nwant\n%q", r.err, want)
	}
	if r := run(t, "", "render", "-n", "Bad_NS", minimal); r.code != 1 || !strings.Contains(r.err, `--namespace "Bad_NS"`) {
		t.Errorf("render -n Bad_NS = %+v", r)
	}
}

// complete runs cobra's completion request as a shell does and returns the
// offered words and the directive number.
func complete(t *testing.T, args ...string) ([]string, string) {
	t.Helper()
	r := run(t, "", append([]string{"__complete"}, args...)...)
	lines := strings.Split(strings.TrimSuffix(r.stdout, "\n"), "\n")
	if r.code != 0 || len(lines) == 0 {
		t.Fatalf("__complete %v = %+v", args, r)
	}
	return lines[:len(lines)-1], lines[len(lines)-1]
}

func TestCompletion(t *testing.T) {
	const filterExt, noFile = ":8", ":4"
	for _, tc := range []struct {
		args      []string
		words     []string
		directive string
	}{
		{[]string{"render", "-f", ""}, []string{"yaml", "yml"}, filterExt},
		{[]string{"validate", ""}, []string{"yaml", "yml"}, filterExt},
		{[]string{"secret", "--filename", ""}, []string{"yaml", "yml"}, filterExt},
		{[]string{"render", "-o", ""}, []string{"yaml", "json"}, noFile},
		{[]string{"diff", "-o", ""}, []string{"yaml", "json"}, noFile},
		{[]string{"render", "--order", ""}, []string{"legacy", "helm"}, noFile},
		{[]string{"render", "-n", ""}, nil, noFile},
	} {
		words, directive := complete(t, tc.args...)
		if !slices.Equal(words, tc.words) || directive != tc.directive {
			t.Errorf("complete %v = %q %s, want %q %s", tc.args, words, directive, tc.words, tc.directive)
		}
	}
	if _, directive := complete(t, "render", "--output-dir", ""); directive != ":16" {
		t.Errorf("--output-dir completes with directive %s, want :16 (directories)", directive)
	}
}

func TestVersionString(t *testing.T) {
	checkout := &debug.BuildInfo{GoVersion: "go1.26.0", Main: debug.Module{Version: "v0.0.0-20261202120000-0123456789ab+dirty"},
		Settings: []debug.BuildSetting{{Key: "vcs", Value: "git"}, {Key: "vcs.revision", Value: "0123456789abcdef0123456789abcdef01234567"},
			{Key: "vcs.time", Value: "2026-12-02T12:00:00Z"}, {Key: "vcs.modified", Value: "true"}}}
	for _, tc := range []struct {
		name, linked string
		info         *debug.BuildInfo
		want         string
	}{
		{"checkout", "", checkout, "v0.0.0-20261202120000-0123456789ab+dirty (commit 0123456789abcdef0123456789abcdef01234567, 2026-12-02T12:00:00Z, with uncommitted changes, go1.26.0)"},
		{"linked", "v1.2.3", checkout, "v1.2.3 (commit 0123456789abcdef0123456789abcdef01234567, 2026-12-02T12:00:00Z, with uncommitted changes, go1.26.0)"},
		{"go install", "", &debug.BuildInfo{GoVersion: "go1.26.0", Main: debug.Module{Version: "v1.2.3"}}, "v1.2.3 (go1.26.0)"},
		{"no build info", "", nil, "(devel)"},
	} {
		if got := versionString(tc.linked, tc.info); got != tc.want {
			t.Errorf("%s: %q, want %q", tc.name, got, tc.want)
		}
	}
}

// The help of secret names every key the Secret it prints holds.
func TestSecretHelpNamesEveryKey(t *testing.T) {
	help := run(t, "", "secret", "--help").stdout
	for _, k := range spec.SecretKeys {
		if !strings.Contains(help, k) {
			t.Errorf("secret --help does not name %s", k)
		}
	}
}

// kubectl apply -f dir/ reads every file of the directory whose name ends
// in .json, .yaml or .yml (FileExtensions and ignoreFile in k8s.io/cli-runtime's
// pkg/resource/visitor.go) and fails on one that is not an object of the API
// server; kubectl apply -k dir/ needs a kustomization file. A rendered
// directory serves both.
func TestRenderedDirectoryServesApplyFAndK(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "deploy") + "/"
	if r := run(t, "", "render", example("full.yaml"), "-o", dir); r.code != 0 {
		t.Fatalf("render = %+v", r)
	}
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	kustomizations := 0
	for _, e := range entries {
		data, _ := os.ReadFile(filepath.Join(dir, e.Name()))
		var obj struct{ APIVersion, Kind string }
		if err := yaml.Unmarshal(data, &obj); err != nil {
			t.Fatalf("%s: %v", e.Name(), err)
		}
		if slices.Contains([]string{"kustomization.yaml", "kustomization.yml", "Kustomization"}, e.Name()) {
			kustomizations++
		}
		if ext := filepath.Ext(e.Name()); slices.Contains([]string{".json", ".yaml", ".yml"}, ext) &&
			(obj.Kind == "" || strings.HasPrefix(obj.APIVersion, "kustomize.config.k8s.io/")) {
			t.Errorf("kubectl apply -f %s would read %s, which is no API object (%s %s)", dir, e.Name(), obj.APIVersion, obj.Kind)
		}
	}
	if kustomizations != 1 {
		t.Errorf("%d kustomization files: kubectl apply -k needs one", kustomizations)
	}
}

// A new storage size renders a StatefulSet update Kubernetes refuses: diff
// (still exit 1) and validate --against (exit 1) say so, with the procedure;
// a change Kubernetes takes says nothing of the kind.
func TestImmutableClaimTemplates(t *testing.T) {
	work := t.TempDir()
	specPath, dir, file := filepath.Join(work, "cluster.yaml"), filepath.Join(work, "deploy")+"/", filepath.Join(work, "out.json")
	mariadb, err := os.ReadFile(example("mariadb.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	os.WriteFile(specPath, mariadb, 0o644)
	if r := run(t, "", "render", specPath, "-o", dir); r.code != 0 {
		t.Fatal(r.err)
	}
	os.WriteFile(file, []byte(run(t, "", "render", specPath, "-o", "json").stdout), 0o644)
	if r := run(t, "", "validate", "-q", specPath, "--against", dir); r.code != 0 || r.err != "" {
		t.Errorf("validate --against current output = %+v", r)
	}
	os.WriteFile(specPath, bytes.Replace(mariadb, []byte("replicas: 3"), []byte("replicas: 4"), 1), 0o644)
	if r := run(t, "", "diff", specPath, dir); r.code != 1 || strings.Contains(r.err, "kubectl apply will fail") {
		t.Errorf("diff of a scale-up (allowed) = exit %d, stderr %s", r.code, r.err)
	}
	os.WriteFile(specPath, bytes.Replace(mariadb, []byte("size: 20Gi"), []byte("size: 40Gi"), 1), 0o644)
	want := []string{
		"StatefulSet shop/maria: kubectl apply will fail",
		"spec.volumeClaimTemplates[data].spec.resources.requests.storage: 20Gi -> 40Gi",
		"kubectl -n shop patch pvc data-maria-$i",
		"kubectl -n shop delete statefulset maria --cascade=orphan",
	}
	for _, args := range [][]string{
		{"diff", specPath, dir},
		{"diff", "-o", "json", specPath, file},
		{"validate", specPath, "--against", dir},
		{"validate", "-q", specPath, "--against", file},
	} {
		r := run(t, "", args...)
		if r.code != 1 {
			t.Errorf("%v: exit %d, want 1", args, r.code)
		}
		for _, w := range want {
			if !strings.Contains(r.err, w) {
				t.Errorf("%v: stderr lacks %q:\n%s", args, w, r.err)
			}
		}
	}
}
