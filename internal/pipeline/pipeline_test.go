package pipeline

import (
	"strings"
	"testing"

	"github.com/mysqlgen/mysqlgen/internal/manifest"
	"github.com/mysqlgen/mysqlgen/internal/output"
	"github.com/mysqlgen/mysqlgen/internal/render"

	_ "github.com/mysqlgen/mysqlgen/internal/golden" // registers -update for go test ./... -update
)

func run(t *testing.T, specs ...string) ([]*manifest.Tree, []error) {
	t.Helper()
	var srcs []Source
	for i, s := range specs {
		srcs = append(srcs, Reader("spec"+string(rune('0'+i))+".yaml", strings.NewReader(s)))
	}
	_, trees, errs := Run(srcs, Options{Order: output.OrderLegacy})
	return trees, errs
}

const head = "apiVersion: mysqlgen.dev/v1alpha1\nkind: MySQLCluster\nmetadata:\n  name: "

// Issue 12 item 7: cluster a's Service a-read and cluster a-read's headless
// Service are one object; the batch is refused, naming both clusters.
func TestDuplicateObjectsAcrossTheBatch(t *testing.T) {
	trees, errs := run(t, head+"a\n", head+"a-read\n")
	if trees != nil || len(errs) != 1 {
		t.Fatalf("%d trees, errors %v; want one error", len(trees), errs)
	}
	msg := errs[0].Error()
	for _, want := range []string{"spec1.yaml:4: metadata.name: Duplicate value: \"a-read\"", "Service a-read", "cluster a in spec0.yaml"} {
		if !strings.Contains(msg, want) {
			t.Errorf("error %q lacks %q", msg, want)
		}
	}
	if _, errs := run(t, head+"a\n", head+"b\n"); len(errs) > 0 {
		t.Errorf("distinct clusters: %v", errs)
	}
}

func digest(t *testing.T, trees []*manifest.Tree) string {
	t.Helper()
	for _, tr := range trees {
		if tr.Kind() == "StatefulSet" {
			a, _ := tr.Root.Get("spec").(manifest.Map).Get("template").(manifest.Map).Get("metadata").(manifest.Map).Get("annotations").(manifest.Map).Get(render.ConfigDigestAnnotation).(string)
			return a
		}
	}
	t.Fatal("no StatefulSet")
	return ""
}

// Issue 12 item 12: the digest is of the ConfigMaps as written, patches
// included; a patch elsewhere leaves it as it was.
func TestDigestFollowsPatches(t *testing.T) {
	plain, errs := run(t, head+"db\n")
	if len(errs) > 0 {
		t.Fatal(errs)
	}
	patched := func(target, p string) string {
		trees, errs := run(t, head+"db\nspec:\n  patches:\n  - target: {kind: "+target+"}\n    patch: '"+p+"'\n")
		if len(errs) > 0 {
			t.Fatal(errs)
		}
		return digest(t, trees)
	}
	base := digest(t, plain)
	if got := patched("ConfigMap, name: db-config", `[{"op": "add", "path": "/data/extra.cnf", "value": "[mysqld]\n"}]`); got == base {
		t.Error("a patch adding a file to the config ConfigMap left the digest as it was")
	}
	if got := patched("Service, name: db-read", `[{"op": "add", "path": "/metadata/labels/x", "value": "y"}]`); got != base {
		t.Errorf("a patch to a Service changed the digest: %s, want %s", got, base)
	}
}
