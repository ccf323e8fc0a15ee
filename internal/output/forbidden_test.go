package output

import (
	"strings"
	"testing"
)

const stsTemplate = `apiVersion: apps/v1
kind: StatefulSet
metadata: {name: db, namespace: shop}
spec:
  replicas: 3
  serviceName: db
  selector: {matchLabels: {app: db}}
  template: {metadata: {labels: {app: db}}}
  volumeClaimTemplates:
  - metadata: {name: data}
    spec:
      accessModes: [ACCESS]
      storageClassName: CLASS
      resources: {requests: {storage: SIZE}}
`

func sts(size, class, access string) []byte {
	return []byte(strings.NewReplacer("SIZE", size, "CLASS", class, "ACCESS", access).Replace(stsTemplate))
}

func TestForbiddenUpdates(t *testing.T) {
	base := sts("10Gi", "standard", "ReadWriteOnce")
	for _, tc := range []struct {
		name     string
		rendered []byte
		changes  []string
		steps    []string
	}{
		{"same", base, nil, nil},
		{"same quantity written otherwise", sts("10240Mi", "standard", "ReadWriteOnce"), nil, nil},
		{"larger", sts("20Gi", "standard", "ReadWriteOnce"),
			[]string{"spec.volumeClaimTemplates[data].spec.resources.requests.storage: 10Gi -> 20Gi"},
			[]string{`for i in $(seq 0 2); do kubectl -n shop patch pvc data-db-$i -p '{"spec":{"resources":{"requests":{"storage":"20Gi"}}}}'; done`,
				"kubectl -n shop delete statefulset db --cascade=orphan", "3. apply the new output"}},
		{"class", sts("10Gi", "fast", "ReadWriteOnce"),
			[]string{`spec.volumeClaimTemplates[data].spec.storageClassName: "standard" -> "fast"`},
			[]string{"1. delete the StatefulSet", "--cascade=orphan", "Never do this to ordinal 0"}},
		{"access modes", sts("10Gi", "standard", "ReadWriteOncePod"),
			[]string{"spec.volumeClaimTemplates[data].spec.accessModes: [ReadWriteOnce] -> [ReadWriteOncePod]"},
			[]string{"--cascade=orphan", "only members created later"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := ForbiddenUpdates(base, tc.rendered)
			if err != nil {
				t.Fatal(err)
			}
			if len(tc.changes) == 0 {
				if len(got) != 0 {
					t.Fatalf("forbidden updates %+v, want none", got)
				}
				return
			}
			if len(got) != 1 || strings.Join(got[0].Changes, "\n") != strings.Join(tc.changes, "\n") {
				t.Fatalf("forbidden updates %+v, want changes %q", got, tc.changes)
			}
			proc := got[0].Procedure()
			for _, s := range tc.steps {
				if !strings.Contains(proc, s) {
					t.Errorf("procedure lacks %q:\n%s", s, proc)
				}
			}
		})
	}
}

// A JSON List is read as YAML documents are; a StatefulSet only in the
// rendered output is a creation, which Kubernetes allows.
func TestForbiddenUpdatesJSONAndNew(t *testing.T) {
	list := []byte(`{"apiVersion":"v1","kind":"List","items":[{"apiVersion":"apps/v1","kind":"StatefulSet","metadata":{"name":"db","namespace":"shop"},"spec":{"replicas":3,"volumeClaimTemplates":[{"metadata":{"name":"data"},"spec":{"accessModes":["ReadWriteOnce"],"storageClassName":"standard","resources":{"requests":{"storage":"5Gi"}}}}]}}]}`)
	got, err := ForbiddenUpdates(list, sts("10Gi", "standard", "ReadWriteOnce"))
	if err != nil || len(got) != 1 || got[0].Size != "10Gi" {
		t.Errorf("from a JSON List: %+v, %v", got, err)
	}
	if got, err := ForbiddenUpdates(nil, sts("10Gi", "standard", "ReadWriteOnce")); err != nil || len(got) != 0 {
		t.Errorf("a new StatefulSet: %+v, %v", got, err)
	}
}
