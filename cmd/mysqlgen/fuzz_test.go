package main

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"

	appsv1 "k8s.io/api/apps/v1"
	batchv1 "k8s.io/api/batch/v1"
	corev1 "k8s.io/api/core/v1"
	networkingv1 "k8s.io/api/networking/v1"
	policyv1 "k8s.io/api/policy/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"sigs.k8s.io/kustomize/kyaml/kio"
	"sigs.k8s.io/yaml"

	"github.com/mysqlgen/mysqlgen/internal/manifest"
	"github.com/mysqlgen/mysqlgen/internal/output"
	"github.com/mysqlgen/mysqlgen/internal/pipeline"
	"github.com/mysqlgen/mysqlgen/internal/render"
)

// typedFor returns an empty typed object for a rendered kind.
func typedFor(kind string) runtime.Object {
	switch kind {
	case "ConfigMap":
		return &corev1.ConfigMap{}
	case "Service":
		return &corev1.Service{}
	case "StatefulSet":
		return &appsv1.StatefulSet{}
	case "PersistentVolumeClaim":
		return &corev1.PersistentVolumeClaim{}
	case "CronJob":
		return &batchv1.CronJob{}
	case "PodDisruptionBudget":
		return &policyv1.PodDisruptionBudget{}
	case "NetworkPolicy":
		return &networkingv1.NetworkPolicy{}
	case "ServiceMonitor":
		return &render.ServiceMonitor{}
	case "PrometheusRule":
		return &render.PrometheusRule{}
	}
	return nil
}

// issueSeeds are the inputs issues 11 and 12 found wrong: a delete patch
// without a target (a panic), two clusters rendering one object, and line
// and paragraph separators in free text and patch values.
var issueSeeds = []string{
	"apiVersion: mysqlgen.dev/v1alpha1\nkind: MySQLCluster\nmetadata:\n  name: db\nspec:\n  patches:\n  - patch: |\n      apiVersion: apps/v1\n      kind: StatefulSet\n      metadata: {name: db}\n      $patch: delete\n",
	"apiVersion: mysqlgen.dev/v1alpha1\nkind: MySQLCluster\nmetadata:\n  name: a\n---\napiVersion: mysqlgen.dev/v1alpha1\nkind: MySQLCluster\nmetadata:\n  name: a-read\n",
	"apiVersion: mysqlgen.dev/v1alpha1\nkind: MySQLCluster\nmetadata:\n  name: db\n  annotations:\n    note: \"x\\Lnamespace: evil\"\nspec:\n  podAnnotations:\n    note: \"a\\Pb\\Nc\"\n",
	"apiVersion: mysqlgen.dev/v1alpha1\nkind: MySQLCluster\nmetadata:\n  name: db\nspec:\n  patches:\n  - target: {kind: PodDisruptionBudget}\n    patch: '[{op: replace, path: /spec/selector, value: {}}]'\n  - target: {kind: ConfigMap, name: db-config}\n    patch: '[{\"op\": \"add\", \"path\": \"/data/x\", \"value\": \"a\\u2028b: c\"}]'\n",
}

// addSeeds adds every example, every invalid case and the issues' inputs
// to the corpus, each passed through wrap.
func addSeeds(f *testing.F, wrap func([]byte) []byte) {
	for _, s := range issueSeeds {
		f.Add(wrap([]byte(s)))
	}
	for _, pattern := range []string{"examples/*.yaml", "testdata/invalid/*.yaml"} {
		files, _ := filepath.Glob(filepath.Join(repoRoot, pattern))
		for _, file := range files {
			data, err := os.ReadFile(file)
			if err != nil {
				f.Fatal(err)
			}
			f.Add(wrap(data))
		}
	}
}

// FuzzRender: whatever the input, no panic, and either an error with nothing
// on stdout, or documents that decode strictly into the typed objects.
func FuzzRender(f *testing.F) {
	addSeeds(f, func(b []byte) []byte { return b })
	f.Fuzz(func(t *testing.T, data []byte) {
		var out, errOut bytes.Buffer
		code := Run([]string{"render", "-f", "-"}, bytes.NewReader(data), &out, &errOut)
		if code != 0 {
			if out.Len() != 0 {
				t.Fatalf("exit %d with %d bytes on stdout", code, out.Len())
			}
			if errOut.Len() == 0 {
				t.Fatalf("exit %d with no error message", code)
			}
			return
		}
		checkParseBack(t, data, out.Bytes())
		for i, doc := range strings.Split(out.String(), "\n---\n") {
			var meta struct{ Kind string }
			if err := yaml.Unmarshal([]byte(doc), &meta); err != nil {
				t.Fatalf("document %d does not parse: %v", i, err)
			}
			obj := typedFor(meta.Kind)
			if obj == nil {
				t.Fatalf("document %d has an unexpected kind %q", i, meta.Kind)
			}
			// Patches may add fields to the custom resources that their CRDs have
			// and mysqlgen's partial type lacks: strict for core kinds only.
			decode := yaml.UnmarshalStrict
			if meta.Kind == "ServiceMonitor" || meta.Kind == "PrometheusRule" {
				decode = func(y []byte, o any, _ ...yaml.JSONOpt) error { return yaml.Unmarshal(y, o) }
			}
			if err := decode([]byte(doc), obj); err != nil {
				t.Fatalf("document %d (%s) does not decode into its type: %v", i, meta.Kind, err)
			}
		}
	})
}

// trees is what the pipeline makes of specs, as render -f - does.
func trees(t *testing.T, specs []byte) []*manifest.Tree {
	t.Helper()
	_, trees, errs := pipeline.Run([]pipeline.Source{pipeline.Reader("<stdin>", bytes.NewReader(specs))}, pipeline.Options{Order: output.OrderLegacy})
	if len(errs) > 0 {
		t.Fatalf("render succeeded, the pipeline did not: %v", errs)
	}
	return trees
}

// checkParseBack holds render's YAML, and its -o json of the same specs,
// to the parse-back invariant: read back, they are the pipeline's trees.
func checkParseBack(t *testing.T, specs, yamlOut []byte) {
	t.Helper()
	want := trees(t, specs)
	if err := manifest.CheckYAML(yamlOut, want); err != nil {
		t.Fatalf("YAML output: %v", err)
	}
	var j, errOut bytes.Buffer
	if code := Run([]string{"render", "-f", "-", "-o", "json"}, bytes.NewReader(specs), &j, &errOut); code != 0 {
		t.Fatalf("-o json: exit %d: %s", code, errOut.String())
	}
	if err := manifest.CheckJSON(j.Bytes(), want); err != nil {
		t.Fatalf("JSON output: %v", err)
	}
}

// checkKRMParseBack holds the KRM function's output to the invariant: its
// last items, read back, are the trees of its function config.
func checkKRMParseBack(t *testing.T, in, out []byte) {
	t.Helper()
	r := &kio.ByteReader{Reader: bytes.NewReader(in), OmitReaderAnnotations: true}
	if _, err := r.Read(); err != nil || r.FunctionConfig == nil {
		t.Fatalf("the function succeeded on input kyaml cannot read: %v", err)
	}
	cfg, err := r.FunctionConfig.String()
	if err != nil {
		t.Fatal(err)
	}
	if err := manifest.CheckKRM(out, trees(t, []byte(cfg))); err != nil {
		t.Fatalf("KRM output: %v", err)
	}
}

// resourceList wraps a spec as the functionConfig of a ResourceList, as
// kustomize sends it to a generator.
func resourceList(specYAML []byte) []byte {
	var b bytes.Buffer
	b.WriteString("apiVersion: config.kubernetes.io/v1\nkind: ResourceList\nitems:\n- apiVersion: v1\n  kind: ConfigMap\n  metadata:\n    name: kept\nfunctionConfig:\n")
	for _, line := range strings.Split(strings.TrimRight(string(specYAML), "\n"), "\n") {
		b.WriteString("  " + line + "\n")
	}
	return b.Bytes()
}

// FuzzKRM: whatever the ResourceList, no panic; success writes a
// ResourceList that keeps the input's items; failure says why on stderr.
func FuzzKRM(f *testing.F) {
	addSeeds(f, resourceList)
	f.Add([]byte("apiVersion: config.kubernetes.io/v1\nkind: ResourceList\nitems: []\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		var out, errOut bytes.Buffer
		code := Run([]string{"krm"}, bytes.NewReader(data), &out, &errOut)
		if code != 0 {
			if errOut.Len() == 0 {
				t.Fatalf("exit %d with no error message", code)
			}
			return
		}
		var rl resourceListItems
		if err := yaml.Unmarshal(out.Bytes(), &rl); err != nil {
			t.Fatalf("output does not parse: %v", err)
		}
		// kyaml also takes a v1 List as its input, and answers in kind.
		if rl.Kind != "ResourceList" && rl.Kind != "List" {
			t.Fatalf("output kind %q, want ResourceList", rl.Kind)
		}
		var in resourceListItems
		if yaml.Unmarshal(data, &in) == nil && in.has("kept") && !rl.has("kept") {
			t.Fatal("the input's item was dropped")
		}
		checkKRMParseBack(t, data, out.Bytes())
	})
}

// resourceListItems is as much of a ResourceList as FuzzKRM checks.
type resourceListItems struct {
	Kind  string `json:"kind"`
	Items []struct {
		Metadata struct {
			Name any `json:"name"`
		} `json:"metadata"`
	} `json:"items"`
}

func (r resourceListItems) has(name string) bool {
	for _, it := range r.Items {
		if it.Metadata.Name == name {
			return true
		}
	}
	return false
}
