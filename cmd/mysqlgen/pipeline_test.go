package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/mysqlgen/mysqlgen/internal/manifest"
)

const clusterHead = "apiVersion: mysqlgen.dev/v1alpha1\nkind: MySQLCluster\nmetadata:\n  name: "

// Issue 12 item 6: a $patch: delete without a target panicked in render
// and diff. Every command that runs the pipeline refuses it at the patch.
func TestDeletePatchIsAnErrorEverywhere(t *testing.T) {
	spec := clusterHead + "db\nspec:\n  patches:\n  - patch: |\n      apiVersion: apps/v1\n      kind: StatefulSet\n      metadata: {name: db}\n      $patch: delete\n"
	target := filepath.Join(t.TempDir(), "out.yaml")
	if err := os.WriteFile(target, []byte("x"), 0o644); err != nil {
		t.Fatal(err)
	}
	for _, args := range [][]string{
		{"render", "-f", "-"}, {"render", "-f", "-", "-o", "json"}, {"validate", "-f", "-"},
		{"diff", "-f", "-", target}, {"render", "-f", "-", "-o", t.TempDir() + "/"},
	} {
		r := run(t, spec, args...)
		want := 1
		if args[0] == "diff" {
			want = 2 // diff's 1 means "differs"
		}
		if r.code != want || r.stdout != "" || !strings.Contains(r.err, "<stdin>:7: spec.patches[0]: Invalid value: a patch may not delete an object, and this one deletes StatefulSet/db") || strings.Contains(r.err, "panic") {
			t.Errorf("%v: exit %d, stdout %q, stderr %q; want exit %d and the patch's error", args, r.code, r.stdout, r.err, want)
		}
	}
}

// Issue 12 item 7: cluster a's Service a-read and cluster a-read's headless
// Service are the same object; render, validate and diff refuse the batch
// and name both clusters and their files.
func TestDuplicateObjectsAcrossFiles(t *testing.T) {
	dir := t.TempDir()
	for name, doc := range map[string]string{"a.yaml": clusterHead + "a\n", "b.yaml": clusterHead + "a-read\n"} {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(doc), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	for _, args := range [][]string{{"render", "-f", dir}, {"validate", "-f", dir}} {
		r := run(t, "", args...)
		want := filepath.Join(dir, "b.yaml") + ":4: metadata.name: Duplicate value: \"a-read\": the cluster renders Service a-read, which cluster a in " + filepath.Join(dir, "a.yaml") + " renders too"
		if r.code != 1 || r.stdout != "" || !strings.Contains(r.err, want) {
			t.Errorf("%v: exit %d, stdout %d bytes, stderr %q; want exit 1 and\n%s", args, r.code, len(r.stdout), r.err, want)
		}
	}
}

// Bug 2 (issue 11): a U+2028 or U+2029 in any free-text field reads back as
// the trees in every format: YAML, JSON and KRM (checkUnicodeField), and
// each file of a directory.
func TestSeparatorsRoundTripInEveryFormat(t *testing.T) {
	for _, sep := range []string{"\u2028", "\u2029", "x\u2028metadata:\n  namespace: evil", "a\u2029  b: c\n"} {
		for field := range freeText {
			checkUnicodeField(t, sep, field)
			specYAML := []byte(mustJSON(unicodeSpec(sep, field)))
			dir := t.TempDir() + "/"
			r := run(t, string(specYAML), "render", "-f", "-", "-o", dir)
			if r.code != 0 {
				if field == 1 || field == 3 { // label values and my.cnf lines refuse line breaks
					continue
				}
				t.Fatalf("field %d: exit %d: %s", field, r.code, r.err)
			}
			for _, tree := range trees(t, specYAML) {
				name := strings.ToLower(tree.Kind()) + "-" + tree.Name() + ".yaml"
				data, err := os.ReadFile(filepath.Join(dir, name))
				if err != nil {
					t.Fatal(err)
				}
				if err := manifest.CheckYAML(data, []*manifest.Tree{tree}); err != nil {
					t.Errorf("field %d: %s: %v", field, name, err)
				}
			}
		}
	}
}

// Issue 12 item 7 for secret: two clusters naming one Secret get one, not
// two whose second would replace the first's passwords on apply.
func TestSecretSharedByClustersIsPrintedOnce(t *testing.T) {
	shared := "\nspec:\n  credentials:\n    secretName: shared\n"
	r := run(t, clusterHead+"a"+shared+"---\n"+clusterHead+"b"+shared+"---\n"+clusterHead+"c\n", "secret", "-f", "-")
	if r.code != 0 {
		t.Fatalf("exit %d: %s", r.code, r.err)
	}
	if n := strings.Count(r.stdout, "kind: Secret"); n != 2 || strings.Count(r.stdout, "name: shared\n") != 1 {
		t.Errorf("%d Secrets, want 2 (shared once, and c's own):\n%s", n, r.stdout)
	}
}
