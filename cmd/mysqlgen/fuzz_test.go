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

	"github.com/mysqlgen/mysqlgen/pkg/render"
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
	}
	return nil
}

// addSeeds adds every example and every invalid case to the corpus.
func addSeeds(f *testing.F) {
	for _, pattern := range []string{"examples/*.yaml", "testdata/invalid/*.yaml"} {
		files, _ := filepath.Glob(filepath.Join(repoRoot, pattern))
		for _, file := range files {
			data, err := os.ReadFile(file)
			if err != nil {
				f.Fatal(err)
			}
			f.Add(data)
		}
	}
}

// FuzzRender: whatever the input, no panic, and either an error with nothing
// on stdout, or documents that decode strictly into the typed objects.
func FuzzRender(f *testing.F) {
	addSeeds(f)
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
			if err := yaml.UnmarshalStrict([]byte(doc), obj); err != nil {
				t.Fatalf("document %d (%s) does not decode into its type: %v", i, meta.Kind, err)
			}
		}
	})
}
