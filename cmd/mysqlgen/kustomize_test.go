package main

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"sigs.k8s.io/kustomize/api/krusty"
	"sigs.k8s.io/kustomize/api/types"
	"sigs.k8s.io/kustomize/kyaml/filesys"
)

// exampleKustomization is examples/kustomize/, whose kustomization lists
// cluster.yaml under generators: with mysqlgen (on PATH) as an exec function.
var exampleKustomization = filepath.Join(repoRoot, "examples", "kustomize")

// withMysqlgenOnPath puts the built binary first on PATH, where the
// example's "path: mysqlgen" finds it.
func withMysqlgenOnPath(t *testing.T) {
	t.Helper()
	bin := mysqlgenBinary(t)
	t.Setenv("PATH", filepath.Dir(bin)+string(os.PathListSeparator)+os.Getenv("PATH"))
}

func krustyBuild(dir string) ([]byte, error) {
	opts := krusty.MakeDefaultOptions()
	opts.Reorder = krusty.ReorderOptionUnspecified // legacy order, as the kustomize CLI
	opts.PluginConfig = types.EnabledPluginConfig(types.BploUseStaticallyLinked)
	opts.PluginConfig.FnpLoadingOptions.EnableExec = true
	abs, err := filepath.Abs(dir)
	if err != nil {
		return nil, err
	}
	m, err := krusty.MakeKustomizer(opts).Run(filesys.MakeFsOnDisk(), abs)
	if err != nil {
		return nil, err
	}
	return m.AsYaml()
}

// The kustomize library, running mysqlgen as a generator, builds exactly
// what mysqlgen render prints for the same spec.
func TestKustomizeGeneratorWithKrusty(t *testing.T) {
	withMysqlgenOnPath(t)
	got, err := krustyBuild(exampleKustomization)
	if err != nil {
		t.Fatalf("kustomize build: %v", err)
	}
	r := run(t, "", "render", "-f", filepath.Join(exampleKustomization, "cluster.yaml"))
	if r.code != 0 {
		t.Fatalf("render: %s", r.err)
	}
	if diff := cmp.Diff(r.stdout, string(got)); diff != "" {
		t.Errorf("kustomize build differs from mysqlgen render (-render +kustomize):\n%s", diff)
	}
	for _, want := range []string{"name: TZ", "aws-load-balancer-internal", "namespace: shop"} {
		if !strings.Contains(string(got), want) {
			t.Errorf("the build lacks %q (from the example's patches and metadata)", want)
		}
	}
	if strings.Contains(string(got), "config.kubernetes.io") {
		t.Error("the function's annotations reached the objects")
	}
}

// A bad spec fails the build.
func TestKustomizeGeneratorErrorWithKrusty(t *testing.T) {
	withMysqlgenOnPath(t)
	dir := badKustomization(t)
	if _, err := krustyBuild(dir); err == nil || !strings.Contains(err.Error(), "couldn't execute function") {
		t.Errorf("kustomize build of a bad spec: err = %v", err)
	}
}

// badKustomization copies the example with an invalid spec.
func badKustomization(t *testing.T) string {
	t.Helper()
	dir := t.TempDir()
	for _, name := range []string{"kustomization.yaml", "cluster.yaml"} {
		b, err := os.ReadFile(filepath.Join(exampleKustomization, name))
		if err != nil {
			t.Fatal(err)
		}
		if name == "cluster.yaml" {
			b = bytes.Replace(b, []byte("replicas: 2"), []byte("replicas: 0"), 1)
		}
		if err := os.WriteFile(filepath.Join(dir, name), b, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

// The kustomize CLI, as a user runs it: the same objects as mysqlgen render,
// and a bad spec's errors on stderr. make kustomize-test runs this with -v,
// where a missing kustomize shows as SKIP.
func TestKustomizeCLI(t *testing.T) {
	kustomize := kustomizeBinary()
	if kustomize == "" {
		if os.Getenv("CI") != "" {
			t.Fatal("no kustomize CLI in bin/ or on PATH, and CI must run this test: make kustomize")
		}
		t.Skip("SKIP: no kustomize CLI in bin/ or on PATH; make kustomize installs v5.7.1 into bin/")
	}
	withMysqlgenOnPath(t)
	build := func(dir string) (string, string, error) {
		var out, errOut bytes.Buffer
		cmd := exec.Command(kustomize, "build", "--enable-alpha-plugins", "--enable-exec", dir)
		cmd.Stdout, cmd.Stderr = &out, &errOut
		err := cmd.Run()
		return out.String(), errOut.String(), err
	}
	stdout, stderr, err := build(exampleKustomization)
	if err != nil {
		t.Fatalf("%s build: %v\n%s", kustomize, err, stderr)
	}
	r := run(t, "", "render", "-f", filepath.Join(exampleKustomization, "cluster.yaml"))
	if diff := cmp.Diff(r.stdout, stdout); diff != "" {
		t.Errorf("kustomize build differs from mysqlgen render (-render +kustomize):\n%s", diff)
	}

	stdout, stderr, err = build(badKustomization(t))
	want := "functionConfig MySQLCluster/shop-db: spec.replicas: Invalid value: 0: must be between 1 and 16\n"
	if err == nil || stdout != "" || !strings.Contains(stderr, want) {
		t.Errorf("kustomize build of a bad spec: err %v, stdout %d bytes, stderr:\n%s", err, len(stdout), stderr)
	}
}
