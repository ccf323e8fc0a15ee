package output

import (
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/mysqlgen/mysqlgen/internal/manifest"

	_ "github.com/mysqlgen/mysqlgen/internal/golden" // registers -update for go test ./... -update
)

func twoObjects() []*manifest.Tree {
	return trees(
		configMap("mysql-config", map[string]string{"my.cnf": "[mysqld]\n"}),
		obj("apps/v1", "StatefulSet", "db", "mysql"),
	)
}

// readTree reads every file under dir, by relative path.
func readTree(t *testing.T, dir string) map[string]string {
	t.Helper()
	out := map[string]string{}
	err := filepath.WalkDir(dir, func(p string, d os.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		b, err := os.ReadFile(p)
		rel, _ := filepath.Rel(dir, p)
		out[rel] = string(b)
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

func TestFiles(t *testing.T) {
	files, err := Files(twoObjects())
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]string{}
	for _, f := range files {
		got[f.Name] = string(f.Data)
	}
	want := map[string]string{
		"configmap-mysql-config.yaml": Header + "apiVersion: v1\ndata:\n  my.cnf: |\n    [mysqld]\nkind: ConfigMap\nmetadata:\n  name: mysql-config\n  namespace: db\n",
		"statefulset-mysql.yaml":      Header + "apiVersion: apps/v1\nkind: StatefulSet\nmetadata:\n  name: mysql\n  namespace: db\n",
		KustomizationFile: Header + `apiVersion: kustomize.config.k8s.io/v1beta1
kind: Kustomization
resources:
- configmap-mysql-config.yaml
- statefulset-mysql.yaml
`,
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("files (-want +got):\n%s", diff)
	}
}

func TestFilesRefusesCollisions(t *testing.T) {
	_, err := Files(trees(obj("v1", "Service", "a", "mysql"), obj("v1", "Service", "b", "mysql")))
	if err == nil || !strings.Contains(err.Error(), `Service mysql in namespace "a" and in namespace "b" would both be written to service-mysql.yaml`) {
		t.Errorf("err = %v", err)
	}
	_, err = Files(trees(obj("v1", "Service", "a", "../evil")))
	if err == nil || !strings.Contains(err.Error(), "cannot be written to a file of its own") {
		t.Errorf("err = %v", err)
	}
}

func TestWriteDir(t *testing.T) {
	root := t.TempDir()
	dir := filepath.Join(root, "deploy", "mysql")
	files, _ := Files(twoObjects())
	if err := WriteDir(dir+"/", files); err != nil {
		t.Fatal(err)
	}
	first := readTree(t, dir)
	if len(first) != 3 {
		t.Fatalf("wrote %v", slices.Sorted(maps.Keys(first)))
	}
	if info, _ := os.Stat(dir); info.Mode().Perm() != 0o755 {
		t.Errorf("directory mode %v, want 0755", info.Mode().Perm())
	}
	if info, _ := os.Stat(filepath.Join(dir, KustomizationFile)); info.Mode().Perm() != 0o644 {
		t.Errorf("file mode %v, want 0644", info.Mode().Perm())
	}

	// A render with one object fewer removes the stale file.
	fewer, _ := Files(twoObjects()[:1])
	if err := WriteDir(dir, fewer); err != nil {
		t.Fatal(err)
	}
	second := readTree(t, dir)
	if _, stale := second["statefulset-mysql.yaml"]; stale || len(second) != 2 {
		t.Errorf("after the second render: %v", slices.Sorted(maps.Keys(second)))
	}
	// Nothing is left beside it.
	if entries, _ := os.ReadDir(filepath.Dir(dir)); len(entries) != 1 {
		t.Errorf("%s holds %d entries, want only mysql", filepath.Dir(dir), len(entries))
	}
}

func TestWriteDirRefusesForeignFiles(t *testing.T) {
	files, _ := Files(twoObjects())
	cases := map[string]func(t *testing.T, dir string){
		"a file of the user's": func(t *testing.T, dir string) {
			os.WriteFile(filepath.Join(dir, "README.md"), []byte("mine\n"), 0o644)
		},
		"an edited file": func(t *testing.T, dir string) {
			os.WriteFile(filepath.Join(dir, "statefulset-mysql.yaml"), []byte("kind: StatefulSet\n"), 0o644)
		},
		"a subdirectory": func(t *testing.T, dir string) {
			os.Mkdir(filepath.Join(dir, ".git"), 0o755)
		},
	}
	for name, setup := range cases {
		t.Run(name, func(t *testing.T) {
			dir := filepath.Join(t.TempDir(), "out")
			if err := WriteDir(dir, files); err != nil {
				t.Fatal(err)
			}
			setup(t, dir)
			before := readTree(t, dir)
			err := WriteDir(dir, files[:1])
			if err == nil || !strings.Contains(err.Error(), "which mysqlgen did not write") {
				t.Fatalf("err = %v", err)
			}
			if diff := cmp.Diff(before, readTree(t, dir)); diff != "" {
				t.Errorf("the directory changed:\n%s", diff)
			}
			if entries, _ := os.ReadDir(filepath.Dir(dir)); len(entries) != 1 {
				t.Errorf("a temporary directory was left behind: %d entries", len(entries))
			}
		})
	}
	t.Run("a file where the directory goes", func(t *testing.T) {
		p := filepath.Join(t.TempDir(), "out")
		os.WriteFile(p, []byte("x"), 0o644)
		if err := WriteDir(p, files); err == nil || !strings.Contains(err.Error(), "is not a directory") {
			t.Errorf("err = %v", err)
		}
	})
	t.Run("an empty directory is taken", func(t *testing.T) {
		dir := t.TempDir()
		if err := WriteDir(dir, files); err != nil {
			t.Fatal(err)
		}
	})
}

// A link to a directory keeps pointing at it: the render lands there.
func TestWriteDirThroughSymlink(t *testing.T) {
	root := t.TempDir()
	real := filepath.Join(root, "real")
	if err := os.Mkdir(real, 0o755); err != nil {
		t.Fatal(err)
	}
	link := filepath.Join(root, "link")
	if err := os.Symlink(real, link); err != nil {
		t.Fatal(err)
	}
	files, _ := Files(twoObjects())
	if err := WriteDir(link, files); err != nil {
		t.Fatal(err)
	}
	if fi, err := os.Lstat(link); err != nil || fi.Mode()&os.ModeSymlink == 0 {
		t.Errorf("the link was replaced: %v", err)
	}
	if len(readTree(t, real)) != 3 {
		t.Error("the files are not in the linked directory")
	}
}

func TestExchangeByRenames(t *testing.T) {
	root := t.TempDir()
	a, b := filepath.Join(root, "a"), filepath.Join(root, "b")
	os.Mkdir(a, 0o755)
	os.Mkdir(b, 0o755)
	os.WriteFile(filepath.Join(a, "new"), nil, 0o644)
	os.WriteFile(filepath.Join(b, "old"), nil, 0o644)
	if oldAt, err := exchangeByRenames(a, b); err != nil || oldAt != a {
		t.Fatalf("old b at %q: %v", oldAt, err)
	}
	if _, err := os.Stat(filepath.Join(b, "new")); err != nil {
		t.Error("b does not hold the new files")
	}
	if _, err := os.Stat(filepath.Join(a, "old")); err != nil {
		t.Error("a does not hold the old files")
	}
}

func TestDiff(t *testing.T) {
	a := "a\nb\nc\nd\ne\nf\ng\nh\n"
	b := "a\nb\nc\nD\ne\nf\ng\nh\n"
	want := `--- a/x
+++ b/x
@@ -1,7 +1,7 @@
 a
 b
 c
-d
+D
 e
 f
 g
`
	if diff := cmp.Diff(want, Diff("a/x", "b/x", []byte(a), []byte(b))); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}
	if got := Diff("a", "b", []byte(a), []byte(a)); got != "" {
		t.Errorf("equal texts: %q", got)
	}
	if got := Diff("a", "b", []byte("x"), []byte("x\n")); !strings.Contains(got, "-x\n\\ No newline at end of file\n+x\n") {
		t.Errorf("missing newline:\n%s", got)
	}
}

func TestDiffDir(t *testing.T) {
	t.Chdir(t.TempDir())
	dir := "deploy/out"
	files, _ := Files(twoObjects())
	if got, err := DiffDir(dir, files[:1]); err != nil || !strings.HasPrefix(got, "--- /dev/null\n+++ b/"+dir+"/configmap-mysql-config.yaml\n@@ -0,0 +1,9 @@\n") {
		t.Errorf("a missing directory: %v\n%s", err, got)
	}
	if err := WriteDir(dir, files); err != nil {
		t.Fatal(err)
	}
	if got, err := DiffDir(dir, files); err != nil || got != "" {
		t.Errorf("a current directory: %v\n%s", err, got)
	}
	if from, to := DiffNames("/abs/x.yaml"); from != "/abs/x.yaml" || to != "/abs/x.yaml" {
		t.Errorf("DiffNames of an absolute path = %s, %s", from, to)
	}
	changed, _ := Files(trees(configMap("mysql-config", map[string]string{"my.cnf": "[mysqld]\nx=1\n"})))
	got, err := DiffDir(dir, changed)
	if err != nil {
		t.Fatal(err)
	}
	p := dir
	for _, want := range []string{
		"--- a/" + p + "/configmap-mysql-config.yaml\n+++ b/" + p + "/configmap-mysql-config.yaml\n",
		"     [mysqld]\n+    x=1\n",
		"--- a/" + p + "/Kustomization\n+++ b/" + p + "/Kustomization\n",
		"--- a/" + p + "/statefulset-mysql.yaml\n+++ /dev/null\n",
	} {
		if !strings.Contains(got, want) {
			t.Errorf("diff lacks %q:\n%s", want, got)
		}
	}
	os.WriteFile(filepath.Join(dir, "notes.txt"), nil, 0o644)
	if _, err := DiffDir(dir, files); err == nil || !strings.Contains(err.Error(), "notes.txt, which mysqlgen did not write") {
		t.Errorf("a foreign file: %v", err)
	}
}
