package render

import (
	"testing"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"

	"github.com/mysqlgen/mysqlgen/internal/spec"
)

// spec.primary reaches the two places that name the primary: the -primary
// Service's selector (by pod index, which a kustomize namePrefix leaves
// alone) and the scripts' environment. No pod name or host is rendered.
func TestPrimaryIsRendered(t *testing.T) {
	for _, primary := range []*int32{nil, ptrTo[int32](0), ptrTo[int32](2)} {
		c := defaulted(t, func(s *spec.ClusterSpec) { s.Flavor, s.Version, s.Primary = spec.FlavorMariaDB, "10.11", primary })
		want := "0"
		if primary != nil && *primary == 2 {
			want = "2"
		}
		objs := Objects(c)
		svc := find[*corev1.Service](objs, "db-primary")
		if got := svc.Spec.Selector[labelPodIndex]; got != want {
			t.Errorf("primary %v: -primary selects pod index %q, want %q", primary, got, want)
		}
		if _, ok := svc.Spec.Selector["statefulset.kubernetes.io/pod-name"]; ok {
			t.Errorf("primary %v: -primary selects by pod name", primary)
		}
		sts := find[*appsv1.StatefulSet](objs, "db")
		for _, ctr := range append(sts.Spec.Template.Spec.InitContainers, sts.Spec.Template.Spec.Containers[:2]...) {
			env := map[string]string{}
			for _, e := range ctr.Env {
				env[e.Name] = e.Value
			}
			if env["MYSQLGEN_PRIMARY_ORDINAL"] != want {
				t.Errorf("primary %v: %s has MYSQLGEN_PRIMARY_ORDINAL=%q, want %q", primary, ctr.Name, env["MYSQLGEN_PRIMARY_ORDINAL"], want)
			}
			if _, ok := env["MYSQLGEN_PRIMARY_HOST"]; ok {
				t.Errorf("%s: the primary's host is rendered; the pods derive it", ctr.Name)
			}
		}
	}
}
