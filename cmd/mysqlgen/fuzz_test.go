package main

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	networkingv1 "k8s.io/api/networking/v1"
	policyv1 "k8s.io/api/policy/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"sigs.k8s.io/yaml"

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

// addSeeds adds every example and every invalid case to the corpus, each
// passed through wrap.
func addSeeds(f *testing.F, wrap func([]byte) []byte) {
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
