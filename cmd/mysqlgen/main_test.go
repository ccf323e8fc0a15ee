package main

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	corev1 "k8s.io/api/core/v1"
	"sigs.k8s.io/yaml"

	"github.com/mysqlgen/mysqlgen/internal/golden"
	"github.com/mysqlgen/mysqlgen/internal/spec"
)

const repoRoot = "../.."

// result is what a user sees of one run.
type result struct {
	code        int
	stdout, err string
}

func run(t *testing.T, stdin string, args ...string) result {
	t.Helper()
	var out, errOut bytes.Buffer
	code := Run(args, strings.NewReader(stdin), &out, &errOut)
	return result{code, out.String(), errOut.String()}
}

func examples(t *testing.T) []string {
	t.Helper()
	files, err := filepath.Glob(filepath.Join(repoRoot, "examples", "*.yaml"))
	if err != nil || len(files) == 0 {
		t.Fatalf("no examples found: %v", err)
	}
	return files
}

// TestGolden renders every example, each a golden case, through the CLI.
func TestGolden(t *testing.T) {
	for _, f := range examples(t) {
		name := filepath.Base(f)
		t.Run(name, func(t *testing.T) {
			r := run(t, "", "render", "-f", f)
			if r.code != 0 || r.err != "" {
				t.Fatalf("render exited %d: %s", r.code, r.err)
			}
			golden.Check(t, filepath.Join(repoRoot, "testdata", "golden", name), []byte(r.stdout))
		})
	}
}

// TestEveryGoldenHasAnExample keeps stale golden files from lingering.
func TestEveryGoldenHasAnExample(t *testing.T) {
	goldens, _ := filepath.Glob(filepath.Join(repoRoot, "testdata", "golden", "*.yaml"))
	for _, g := range goldens {
		if _, err := os.Stat(filepath.Join(repoRoot, "examples", filepath.Base(g))); err != nil {
			t.Errorf("%s has no example spec: delete it", g)
		}
	}
}

// The default render (no -f) is the default example's golden file.
func TestRenderDefault(t *testing.T) {
	r := run(t, "", "render")
	if r.code != 0 || r.err != "" {
		t.Fatalf("render exited %d: %s", r.code, r.err)
	}
	golden.Check(t, filepath.Join(repoRoot, "testdata", "golden", "default.yaml"), []byte(r.stdout))
	example, err := os.ReadFile(filepath.Join(repoRoot, "examples", "default.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	if string(example) != spec.DefaultSpec {
		t.Error("examples/default.yaml differs from the embedded default spec (internal/spec/default.yaml)")
	}
}

func TestRenderIsDeterministic(t *testing.T) {
	args := []string{"render"}
	for _, f := range examples(t) {
		args = append(args, "-f", f)
	}
	first := run(t, "", args...)
	if first.code != 0 {
		t.Fatalf("render exited %d: %s", first.code, first.err)
	}
	for range 5 {
		if again := run(t, "", args...); again.stdout != first.stdout {
			t.Fatal("two renders of the same specs differ")
		}
	}
}

func TestRenderStdinAndDirectory(t *testing.T) {
	minimal, err := os.ReadFile(filepath.Join(repoRoot, "examples", "minimal.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	fromFile := run(t, "", "render", "-f", filepath.Join(repoRoot, "examples", "minimal.yaml"))
	fromStdin := run(t, string(minimal), "render", "-f", "-")
	if fromStdin.code != 0 || fromStdin.stdout != fromFile.stdout {
		t.Errorf("render -f - differs from render -f file (exit %d): %s", fromStdin.code, fromStdin.err)
	}

	dir := run(t, "", "render", "-f", filepath.Join(repoRoot, "examples"))
	var each strings.Builder
	for i, f := range examples(t) {
		if i > 0 {
			each.WriteString("---\n")
		}
		each.WriteString(run(t, "", "render", "-f", f).stdout)
	}
	if dir.code != 0 || dir.stdout != each.String() {
		t.Errorf("render -f examples/ is not the examples' renders in name order (exit %d): %s", dir.code, dir.err)
	}
}

func TestOutputIsClean(t *testing.T) {
	for _, f := range examples(t) {
		out := run(t, "", "render", "-f", f).stdout
		if strings.HasPrefix(out, "---") || strings.Contains(out, "\n---\n---") {
			t.Errorf("%s: empty document or leading separator", filepath.Base(f))
		}
		for i, doc := range strings.Split(out, "\n---\n") {
			var m map[string]any
			if err := yaml.Unmarshal([]byte(doc), &m); err != nil {
				t.Fatalf("%s: document %d: %v", filepath.Base(f), i, err)
			}
			if _, has := m["status"]; has {
				t.Errorf("%s: document %d has a status", filepath.Base(f), i)
			}
			checkNoNoise(t, filepath.Base(f), "", m)
		}
	}
}

// checkNoNoise fails on nulls, empty lists and empty maps other than the
// ones that mean something, and on timestamps.
func checkNoNoise(t *testing.T, file, path string, v any) {
	switch v := v.(type) {
	case nil:
		t.Errorf("%s: null at %s", file, path)
	case map[string]any:
		// emptyDir: {} is a volume; podSelector: {} selects every pod;
		// selfSigned: {} is a cert-manager Issuer's kind.
		if len(v) == 0 && !strings.HasSuffix(path, ".emptyDir") && !strings.HasSuffix(path, ".podSelector") && !strings.HasSuffix(path, ".selfSigned") {
			t.Errorf("%s: empty map at %s", file, path)
		}
		for k, child := range v {
			if k == "creationTimestamp" || (k == "status" && strings.Contains(path, "volumeClaimTemplates")) {
				t.Errorf("%s: %s at %s", file, k, path)
			}
			checkNoNoise(t, file, path+"."+k, child)
		}
	case []any:
		if len(v) == 0 {
			t.Errorf("%s: empty list at %s", file, path)
		}
		for i, child := range v {
			checkNoNoise(t, file, fmt.Sprintf("%s[%d]", path, i), child)
		}
	}
}

func TestValidate(t *testing.T) {
	r := run(t, "", "validate", "-f", filepath.Join(repoRoot, "examples", "mariadb.yaml"))
	if r.code != 0 || r.stdout != "../../examples/mariadb.yaml: MySQLCluster maria is valid\n" || r.err != "" {
		t.Errorf("validate = %+v", r)
	}
}

// The starter spec is valid and renders exactly as the default cluster does.
func TestInitRendersAsDefault(t *testing.T) {
	initOut := run(t, "", "init")
	if initOut.code != 0 || !strings.Contains(initOut.stdout, "kind: MySQLCluster") {
		t.Fatalf("init = %+v", initOut)
	}
	fromInit := run(t, initOut.stdout, "render", "-f", "-")
	if fromInit.code != 0 {
		t.Fatalf("render of init's spec exited %d: %s", fromInit.code, fromInit.err)
	}
	if def := run(t, "", "render"); fromInit.stdout != def.stdout {
		t.Error("init's starter spec renders differently from the default cluster")
	}
}

func TestSecret(t *testing.T) {
	first := run(t, "", "secret", "-f", filepath.Join(repoRoot, "examples", "mariadb.yaml"))
	if first.code != 0 {
		t.Fatalf("secret exited %d: %s", first.code, first.err)
	}
	var s corev1.Secret
	if err := yaml.UnmarshalStrict([]byte(first.stdout), &s); err != nil {
		t.Fatal(err)
	}
	if s.Kind != "Secret" || s.Name != "maria-passwords" || s.Namespace != "shop" {
		t.Errorf("secret = %s %s/%s", s.Kind, s.Namespace, s.Name)
	}
	for _, k := range spec.SecretKeys {
		pw := s.StringData[k]
		if len(pw) != passwordLength || strings.Trim(pw, passwordAlphabet) != "" {
			t.Errorf("%s = %q: want %d characters of the alphabet", k, pw, passwordLength)
		}
	}
	if len(s.StringData) != len(spec.SecretKeys) {
		t.Errorf("secret keys = %v, want %v", s.StringData, spec.SecretKeys)
	}
	if second := run(t, "", "secret", "-f", filepath.Join(repoRoot, "examples", "mariadb.yaml")); second.stdout == first.stdout {
		t.Error("two secrets have the same passwords")
	}
}

// The rendered output never carries a password.
func TestRenderHasNoSecret(t *testing.T) {
	for _, f := range examples(t) {
		out := run(t, "", "render", "-f", f).stdout
		if strings.Contains(out, "kind: Secret") || strings.Contains(strings.ToLower(out), "password:") {
			t.Errorf("%s: output holds a Secret or a password", filepath.Base(f))
		}
	}
}

func TestVersionAndCompletion(t *testing.T) {
	if r := run(t, "", "version"); r.code != 0 || !strings.HasPrefix(r.stdout, "mysqlgen ") {
		t.Errorf("version = %+v", r)
	}
	if r := run(t, "", "completion", "bash"); r.code != 0 || !strings.Contains(r.stdout, "mysqlgen") {
		t.Errorf("completion bash exited %d: %s", r.code, r.err)
	}
	if r := run(t, "", "--help"); r.code != 0 || !strings.Contains(r.stdout, "mysqlgen render | kubectl apply -f -") {
		t.Errorf("help lacks the examples: %+v", r)
	}
}

func TestUsageErrors(t *testing.T) {
	for _, args := range [][]string{{"render", "extra"}, {"render", "--nope"}, {"nope"}, {"render", "-f", "missing.yaml"}, {"render", "-f", "-", "-f", "-"}} {
		r := run(t, "", args...)
		if r.code != 1 || r.stdout != "" || !strings.HasPrefix(r.err, "error: ") {
			t.Errorf("%v = %+v: want exit 1, an error on stderr, nothing on stdout", args, r)
		}
	}
}

// TestRenderBatch renders a directory of specs large enough to be loaded,
// rendered and encoded on several goroutines: the output must be each spec's
// render in file order, and errors must come in file order too.
func TestRenderBatch(t *testing.T) {
	dir := t.TempDir()
	releases := []string{"flavor: mysql\n  version: \"8.0\"", "flavor: mysql\n  version: \"8.4\"", "flavor: mariadb\n  version: \"10.11\""}
	var files []string
	for i := range 120 {
		doc := fmt.Sprintf("apiVersion: mysqlgen.dev/v1alpha1\nkind: MySQLCluster\nmetadata:\n  name: db%03d\nspec:\n  %s\n  replicas: %d\n", i, releases[i%len(releases)], i%5+1)
		f := filepath.Join(dir, fmt.Sprintf("c%03d.yaml", i))
		if err := os.WriteFile(f, []byte(doc), 0o644); err != nil {
			t.Fatal(err)
		}
		files = append(files, f)
	}
	batch := run(t, "", "render", "-f", dir)
	var each strings.Builder
	for i, f := range files {
		if i > 0 {
			each.WriteString("---\n")
		}
		each.WriteString(run(t, "", "render", "-f", f).stdout)
	}
	if batch.code != 0 || batch.stdout != each.String() {
		t.Fatalf("render -f dir/ of 120 specs is not each spec's render in name order (exit %d): %s", batch.code, batch.err)
	}

	for _, i := range []int{7, 64, 119} {
		bad := fmt.Sprintf("apiVersion: mysqlgen.dev/v1alpha1\nkind: MySQLCluster\nmetadata:\n  name: db%03d\nspec:\n  replicas: -%d\n", i, i)
		if err := os.WriteFile(files[i], []byte(bad), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	failed := run(t, "", "render", "-f", dir)
	var want strings.Builder
	for _, i := range []int{7, 64, 119} {
		fmt.Fprintf(&want, "%s:6: spec.replicas: Invalid value: -%d: must be between 1 and 16\n", files[i], i)
	}
	if failed.code == 0 || failed.stdout != "" || !strings.HasPrefix(failed.err, want.String()) {
		t.Errorf("three invalid specs in a batch: exit %d, %d bytes on stdout, stderr:\n%s\nwant it to start with:\n%s", failed.code, len(failed.stdout), failed.err, want.String())
	}
}
