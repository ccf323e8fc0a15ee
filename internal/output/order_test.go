package output

import (
	"fmt"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"sigs.k8s.io/kustomize/api/krusty"
	"sigs.k8s.io/kustomize/kyaml/filesys"

	"github.com/mysqlgen/mysqlgen/internal/manifest"
	"github.com/mysqlgen/mysqlgen/internal/render"
)

// trees builds the trees of objs.
func trees(objs ...render.Object) []*manifest.Tree {
	b := manifest.NewBuilder()
	out := make([]*manifest.Tree, len(objs))
	for i, o := range objs {
		t, err := b.Build(o)
		if err != nil {
			panic(err)
		}
		out[i] = t
	}
	return out
}

func obj(apiVersion, kind, namespace, name string) render.Object {
	u := &unstructured.Unstructured{}
	u.SetAPIVersion(apiVersion)
	u.SetKind(kind)
	u.SetNamespace(namespace)
	u.SetName(name)
	return u
}

// mixed holds every kind mysqlgen renders and the awkward cases of both
// orders: kinds neither list knows, objects of one kind in several
// namespaces, and cluster-scoped objects.
func mixed() []*manifest.Tree {
	return trees(
		obj("apps/v1", "StatefulSet", "db", "mysql"),
		obj("v1", "Service", "db", "mysql-read"),
		obj("v1", "Service", "db", "mysql-primary"),
		obj("v1", "Service", "db", "mysql"),
		obj("v1", "Service", "", "mysql"),
		obj("v1", "ConfigMap", "db", "mysql-scripts"),
		obj("v1", "ConfigMap", "db", "mysql-config"),
		obj("policy/v1", "PodDisruptionBudget", "db", "mysql"),
		obj("networking.k8s.io/v1", "NetworkPolicy", "db", "mysql"),
		obj("monitoring.coreos.com/v1", "ServiceMonitor", "db", "mysql"),
		obj("example.com/v1", "Backup", "db", "nightly"),
		obj("v1", "Namespace", "", "db"),
		obj("v1", "Secret", "db", "mysql-credentials"),
		obj("admissionregistration.k8s.io/v1", "ValidatingWebhookConfiguration", "", "hook"),
		obj("rbac.authorization.k8s.io/v1", "Role", "db", "reader"),
		obj("apps/v1", "Deployment", "db", "app"),
	)
}

func names(objs []*manifest.Tree) []string {
	out := make([]string, len(objs))
	for i, o := range objs {
		out[i] = fmt.Sprintf("%s %s/%s", gvk(o).Kind, o.Namespace(), o.Name())
	}
	return out
}

func TestSortHelm(t *testing.T) {
	want := []string{
		"Namespace /db",
		"NetworkPolicy db/mysql",
		"PodDisruptionBudget db/mysql",
		"Secret db/mysql-credentials",
		"ConfigMap db/mysql-scripts", // one kind keeps its order, as in Helm
		"ConfigMap db/mysql-config",
		"Role db/reader",
		"Service db/mysql-read",
		"Service db/mysql-primary",
		"Service db/mysql",
		"Service /mysql",
		"Deployment db/app",
		"StatefulSet db/mysql",
		"ValidatingWebhookConfiguration /hook",
		"Backup db/nightly", // kinds Helm does not know: last, by kind
		"ServiceMonitor db/mysql",
	}
	if diff := cmp.Diff(want, names(Sort(mixed(), OrderHelm))); diff != "" {
		t.Errorf("helm order (-want +got):\n%s", diff)
	}
}

func TestSortLegacy(t *testing.T) {
	want := []string{
		"Namespace /db",
		"Role db/reader",
		"ConfigMap db/mysql-config",
		"ConfigMap db/mysql-scripts",
		"Secret db/mysql-credentials",
		"Service db/mysql",
		"Service db/mysql-primary",
		"Service db/mysql-read",
		"Service /mysql", // no namespace sorts last ("~X")
		"Deployment db/app",
		"StatefulSet db/mysql",
		"PodDisruptionBudget db/mysql",
		"Backup db/nightly", // then unknown kinds by group_version_kind
		"ServiceMonitor db/mysql",
		"NetworkPolicy db/mysql",
		"ValidatingWebhookConfiguration /hook",
	}
	if diff := cmp.Diff(want, names(Sort(mixed(), OrderLegacy))); diff != "" {
		t.Errorf("legacy order (-want +got):\n%s", diff)
	}
}

// The legacy order is kustomize's own: kustomize build of the same objects,
// in any order, prints them in the order Sort gives.
func TestSortLegacyIsKustomizes(t *testing.T) {
	objs := mixed()
	for seed := range uint64(5) {
		shuffled := slices.Clone(objs)
		r := rand.New(rand.NewPCG(seed, seed))
		r.Shuffle(len(shuffled), func(i, j int) { shuffled[i], shuffled[j] = shuffled[j], shuffled[i] })
		y, err := manifest.YAML(shuffled)
		if err != nil {
			t.Fatal(err)
		}
		fs := filesys.MakeFsInMemory()
		if err := fs.WriteFile("/app/objects.yaml", y); err != nil {
			t.Fatal(err)
		}
		if err := fs.WriteFile("/app/kustomization.yaml", []byte("resources: [objects.yaml]\n")); err != nil {
			t.Fatal(err)
		}
		opts := krusty.MakeDefaultOptions()
		opts.Reorder = krusty.ReorderOptionUnspecified // as the kustomize CLI: legacy unless the kustomization says
		m, err := krusty.MakeKustomizer(opts).Run(fs, "/app")
		if err != nil {
			t.Fatal(err)
		}
		var got []string
		for _, r := range m.Resources() {
			got = append(got, fmt.Sprintf("%s %s/%s", r.GetKind(), r.GetNamespace(), r.GetName()))
		}
		if diff := cmp.Diff(got, names(Sort(shuffled, OrderLegacy))); diff != "" {
			t.Errorf("seed %d: Sort(legacy) differs from kustomize build (-kustomize +Sort):\n%s", seed, diff)
		}
	}
}

func TestParseOrderAndFormat(t *testing.T) {
	for _, s := range []string{"legacy", "helm"} {
		if o, err := ParseOrder(s); err != nil || string(o) != s {
			t.Errorf("ParseOrder(%q) = %q, %v", s, o, err)
		}
	}
	for _, s := range []string{"yaml", "json"} {
		if f, err := ParseFormat(s); err != nil || string(f) != s {
			t.Errorf("ParseFormat(%q) = %q, %v", s, f, err)
		}
	}
	if _, err := ParseOrder("kind"); err == nil || !strings.Contains(err.Error(), "legacy") {
		t.Errorf("ParseOrder(kind) = %v", err)
	}
	if _, err := ParseFormat("xml"); err == nil || !strings.Contains(err.Error(), "directory ending in /") {
		t.Errorf("ParseFormat(xml) = %v", err)
	}
}
