package patch

import (
	"slices"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	policyv1 "k8s.io/api/policy/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/util/validation/field"
	"sigs.k8s.io/yaml"

	"github.com/mysqlgen/mysqlgen/internal/manifest"
	"github.com/mysqlgen/mysqlgen/internal/render"
	"github.com/mysqlgen/mysqlgen/internal/spec"

	_ "github.com/mysqlgen/mysqlgen/internal/golden" // registers -update for go test ./... -update
)

// rendered is the trees of a cluster's objects.
func rendered(t *testing.T, c *spec.MySQLCluster) []*manifest.Tree {
	t.Helper()
	b := manifest.NewBuilder()
	var out []*manifest.Tree
	for _, o := range render.Objects(c) {
		tree, err := b.Build(o)
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, tree)
	}
	return out
}

func cluster(t *testing.T, namespace string) *spec.MySQLCluster {
	t.Helper()
	c := &spec.MySQLCluster{
		APIVersion: spec.APIVersion, Kind: spec.Kind,
		Metadata: spec.ObjectMeta{Name: "db", Namespace: namespace},
	}
	spec.SetDefaults(c)
	if errs := spec.Validate(c); len(errs) > 0 {
		t.Fatal(errs)
	}
	return c
}

var path = field.NewPath("spec", "patches")

// byName finds a patched object and converts it back to its type.
func byName[T any](t *testing.T, objs []*manifest.Tree, kind, name string) *T {
	t.Helper()
	for _, o := range objs {
		if o.Kind() == kind && o.Name() == name {
			out := new(T)
			if err := runtime.DefaultUnstructuredConverter.FromUnstructured(o.Plain(), out); err != nil {
				t.Fatal(err)
			}
			return out
		}
	}
	t.Fatalf("no %s %s", kind, name)
	return nil
}

func container(sts *appsv1.StatefulSet, name string) *corev1.Container {
	for i := range sts.Spec.Template.Spec.Containers {
		if c := &sts.Spec.Template.Spec.Containers[i]; c.Name == name {
			return c
		}
	}
	return nil
}

func TestNoPatchesLeavesObjectsAlone(t *testing.T) {
	objs := rendered(t, cluster(t, ""))
	got, errs := Apply(objs, nil, path)
	if len(errs) > 0 || len(got) != len(objs) || got[0] != objs[0] {
		t.Errorf("Apply with no patches = %d objects, %v; want the same objects", len(got), errs)
	}
}

func TestApply(t *testing.T) {
	for _, ns := range []string{"", "shop"} {
		t.Run("namespace "+ns, func(t *testing.T) {
			c := cluster(t, ns)
			objs := rendered(t, c)
			before := byName[appsv1.StatefulSet](t, objs, "StatefulSet", "db")
			got, errs := Apply(objs, []spec.Patch{
				{Patch: `apiVersion: apps/v1
kind: StatefulSet
metadata:
  name: db
spec:
  template:
    spec:
      containers:
      - name: mysql
        env:
        - name: TZ
          value: Europe/Berlin
`},
				{Target: &spec.PatchTarget{Kind: "Service", Name: "db-(read|primary)"}, Patch: `
- op: add
  path: /metadata/annotations
  value: {internal: "true"}
`},
				{Target: &spec.PatchTarget{Kind: "StatefulSet"}, Patch: `kind: StatefulSet
metadata: {name: ignored}
spec: {minReadySeconds: 10}
`},
			}, path)
			if len(errs) > 0 {
				t.Fatal(errs)
			}
			if len(got) != len(objs) {
				t.Fatalf("%d objects, want %d", len(got), len(objs))
			}
			for i := range objs {
				if got[i].Name() != objs[i].Name() || got[i].Namespace() != ns {
					t.Errorf("object %d is %s in %q, want %s in %q", i, got[i].Name(), got[i].Namespace(), objs[i].Name(), ns)
				}
			}
			sts := byName[appsv1.StatefulSet](t, got, "StatefulSet", "db")
			mysql := container(sts, "mysql")
			if mysql == nil || mysql.Image != container(before, "mysql").Image {
				t.Fatal("the strategic merge lost the mysql container's other fields")
			}
			if !slices.Contains(mysql.Env, corev1.EnvVar{Name: "TZ", Value: "Europe/Berlin"}) {
				t.Errorf("env of mysql = %+v, want TZ among them", mysql.Env)
			}
			if len(mysql.Env) != len(container(before, "mysql").Env)+1 {
				t.Errorf("mysql has %d env vars, want one more than %d: a strategic merge adds by name", len(mysql.Env), len(container(before, "mysql").Env))
			}
			if len(sts.Spec.Template.Spec.Containers) != len(before.Spec.Template.Spec.Containers) {
				t.Error("the strategic merge replaced the container list")
			}
			if sts.Spec.MinReadySeconds != 10 {
				t.Errorf("minReadySeconds = %d, want 10 (a targeted strategic merge)", sts.Spec.MinReadySeconds)
			}
			for name, want := range map[string]string{"db": "", "db-read": "true", "db-primary": "true"} {
				if got := byName[corev1.Service](t, got, "Service", name).Annotations["internal"]; got != want {
					t.Errorf("Service %s annotation internal = %q, want %q", name, got, want)
				}
			}
			// Nothing of kustomize's bookkeeping is left behind.
			out, err := manifest.YAML(got)
			if err != nil {
				t.Fatal(err)
			}
			unpatched, _ := manifest.YAML(objs)
			for _, bad := range []string{"config.kubernetes.io", "kustomize", "\nstatus:", ": null\n", ": {}\n", ": []\n"} {
				// emptyDir: {} and podSelector: {} mean something.
				if strings.Count(string(out), bad) != strings.Count(string(unpatched), bad) {
					t.Errorf("patched output holds %q", bad)
				}
			}
		})
	}
}

// Patched output is what the patch says, and only that: equal to the
// unpatched objects but for the patched field.
func TestApplyChangesOnlyWhatThePatchSays(t *testing.T) {
	objs := rendered(t, cluster(t, "ns"))
	got, errs := Apply(objs, []spec.Patch{{
		Target: &spec.PatchTarget{Kind: "ConfigMap", Name: "db-config"},
		Patch:  `[{"op": "add", "path": "/data/extra.cnf", "value": "[mysqld]\n"}]`,
	}}, path)
	if len(errs) > 0 {
		t.Fatal(errs)
	}
	want, _ := manifest.YAML(objs)
	have, _ := manifest.YAML(got)
	var wantDocs, haveDocs []map[string]any
	for _, d := range strings.Split(string(want), "\n---\n") {
		var m map[string]any
		_ = yaml.Unmarshal([]byte(d), &m)
		wantDocs = append(wantDocs, m)
	}
	for _, d := range strings.Split(string(have), "\n---\n") {
		var m map[string]any
		_ = yaml.Unmarshal([]byte(d), &m)
		haveDocs = append(haveDocs, m)
	}
	wantDocs[0]["data"].(map[string]any)["extra.cnf"] = "[mysqld]\n"
	if diff := cmp.Diff(wantDocs, haveDocs); diff != "" {
		t.Errorf("patched objects differ from the expected (-want +got):\n%s", diff)
	}
}

func TestApplyErrors(t *testing.T) {
	objs := rendered(t, cluster(t, ""))
	rendered := "ConfigMap/db-config, ConfigMap/db-scripts"
	_, errs := Apply(objs, []spec.Patch{
		{Patch: "apiVersion: apps/v1\nkind: StatefulSet\nmetadata: {name: dbb}\nspec: {minReadySeconds: 1}\n"},
		{Target: &spec.PatchTarget{Kind: "Deployment"}, Patch: "[{op: remove, path: /spec}]"},
		{Target: &spec.PatchTarget{Kind: "StatefulSet"}, Patch: "[{op: replace, path: /spec/nope/x, value: 1}]"},
		{Target: &spec.PatchTarget{Kind: "StatefulSet"}, Patch: "[{op: test, path: /spec/replicas, value: 5}]"},
		{Target: &spec.PatchTarget{Kind: "StatefulSet"}, Patch: "[{op: replace, path: /spec/replicas, value: 2}]"},
		{Target: &spec.PatchTarget{Kind: "StatefulSet"}, Patch: "kind: StatefulSet\nmetadata: {name: x}\nspec: {minReadySecond: 5}\n"},
		{Target: &spec.PatchTarget{Kind: "Service", Name: "db"}, Patch: "[{op: replace, path: /spec/clusterIP, value: 5}]"},
		{Target: &spec.PatchTarget{Kind: "Service", Name: "db-read"}, Patch: "[{op: replace, path: /metadata/name, value: db-ro}]"},
		{Target: &spec.PatchTarget{Kind: "ConfigMap", Name: "db-config"}, Patch: "[{op: replace, path: /kind, value: Secret}]"},
	}, path)
	want := []string{
		"spec.patches[0]: Invalid value: the patch's apiVersion, kind and metadata.name match none of the rendered objects (" + rendered,
		"spec.patches[1]: Invalid value: the target selects none of the rendered objects (" + rendered,
		"spec.patches[2]: Invalid value: replace operation does not apply: doc is missing path: /spec/nope/x: missing value",
		"spec.patches[3]: Invalid value: testing value /spec/replicas failed: test failed",
		`spec.patches[5]: Invalid value: the patched StatefulSet db is not a valid StatefulSet: unknown field "spec.minReadySecond"`,
		"spec.patches[6]: Invalid value: the patched Service db is not a valid Service: cannot unmarshal number into Go struct field ServiceSpec.spec.clusterIP of type string",
		"spec.patches[7]: Invalid value: a patch may not change an object's apiVersion, kind, name or namespace: Service db-read became Service db-ro",
		"spec.patches[8]: Invalid value: a patch may not change an object's apiVersion, kind, name or namespace: ConfigMap db-config became Secret db-config",
	}
	if len(errs) != len(want) {
		t.Fatalf("%d errors, want %d:\n%v", len(errs), len(want), errs)
	}
	for i, e := range errs {
		if !strings.HasPrefix(e.Error(), want[i]) {
			t.Errorf("error %d:\n%s\nwant a prefix of\n%s", i, e, want[i])
		}
	}
}

// Bug 1: a patch's empty selector means every pod and must be written, not
// pruned as noise (a missing selector selects nothing).
func TestApplyKeepsMeaningfulEmpties(t *testing.T) {
	objs := rendered(t, cluster(t, "ns"))
	got, errs := Apply(objs, []spec.Patch{
		{Target: &spec.PatchTarget{Kind: "PodDisruptionBudget"}, Patch: "[{op: replace, path: /spec/selector, value: {}}]"},
		{Target: &spec.PatchTarget{Kind: "StatefulSet"}, Patch: `spec:
  template:
    spec:
      topologySpreadConstraints:
      - maxSkew: 1
        topologyKey: zone
        whenUnsatisfiable: ScheduleAnyway
        labelSelector: {}
`},
	}, path)
	if len(errs) > 0 {
		t.Fatal(errs)
	}
	out, err := manifest.YAML(got)
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"\n  selector: {}\n", "\n      - labelSelector: {}\n"} {
		if !strings.Contains(string(out), want) {
			t.Errorf("patched output lacks %q", want)
		}
	}
	pdb := byName[policyv1.PodDisruptionBudget](t, got, "PodDisruptionBudget", "db")
	if pdb.Spec.Selector == nil || len(pdb.Spec.Selector.MatchLabels) != 0 {
		t.Errorf("PDB selector = %v, want an empty selector", pdb.Spec.Selector)
	}
}

// Issue 12 item 6: a $patch: delete without a target panicked. Deleting an
// object is refused at the patch's index, for every way to write it.
func TestApplyDeleteIsAnError(t *testing.T) {
	objs := rendered(t, cluster(t, "ns"))
	for _, p := range []spec.Patch{
		{Patch: "apiVersion: apps/v1\nkind: StatefulSet\nmetadata: {name: db}\n$patch: delete\n"},
		{Patch: "$patch: delete\n"},
		{Patch: "apiVersion: v1\nkind: Service\nmetadata: {name: db-read, namespace: ns}\n$patch: delete\n---\napiVersion: v1\nkind: Service\nmetadata: {name: db}\n$patch: delete\n"},
		{Target: &spec.PatchTarget{Kind: "Service"}, Patch: "$patch: delete\n"},
		{Target: &spec.PatchTarget{Kind: "ConfigMap", Name: "db-config"}, Patch: "[{op: remove, path: /metadata}]"},
	} {
		got, errs := Apply(objs, []spec.Patch{p}, path)
		if len(errs) != 1 || got != nil || !strings.HasPrefix(errs[0].Error(), "spec.patches[0]: Invalid value: ") {
			t.Errorf("%q: %d objects, errors %v; want one error at spec.patches[0]", p.Patch, len(got), errs)
		}
	}
}
