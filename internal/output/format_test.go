package output

import (
	"testing"

	"github.com/google/go-cmp/cmp"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

func configMap(name string, data map[string]string) *corev1.ConfigMap {
	return &corev1.ConfigMap{
		TypeMeta:   metav1.TypeMeta{APIVersion: "v1", Kind: "ConfigMap"},
		ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: "db"},
		Data:       data,
	}
}

func TestEncode(t *testing.T) {
	objs := trees(
		configMap("a", map[string]string{"run.sh": "test -f x && echo <ok>\n"}),
		&corev1.Service{
			TypeMeta:   metav1.TypeMeta{APIVersion: "v1", Kind: "Service"},
			ObjectMeta: metav1.ObjectMeta{Name: "b"},
			Spec:       corev1.ServiceSpec{Ports: []corev1.ServicePort{{Name: "mysql", Port: 3306}}},
		},
	)
	cases := map[Format]string{
		FormatYAML: `apiVersion: v1
data:
  run.sh: |
    test -f x && echo <ok>
kind: ConfigMap
metadata:
  name: a
  namespace: db
---
apiVersion: v1
kind: Service
metadata:
  name: b
spec:
  ports:
  - name: mysql
    port: 3306
    targetPort: 0
`,
		// A v1 List, as kubectl get -o json prints several objects: sorted
		// keys, no status, and shell operators left legible.
		FormatJSON: `{
  "apiVersion": "v1",
  "kind": "List",
  "items": [
    {
      "apiVersion": "v1",
      "data": {
        "run.sh": "test -f x && echo <ok>\n"
      },
      "kind": "ConfigMap",
      "metadata": {
        "name": "a",
        "namespace": "db"
      }
    },
    {
      "apiVersion": "v1",
      "kind": "Service",
      "metadata": {
        "name": "b"
      },
      "spec": {
        "ports": [
          {
            "name": "mysql",
            "port": 3306,
            "targetPort": 0
          }
        ]
      }
    }
  ]
}
`,
	}
	for format, want := range cases {
		t.Run(string(format), func(t *testing.T) {
			got, err := Encode(objs, format)
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(want, string(got)); diff != "" {
				t.Errorf("(-want +got):\n%s", diff)
			}
		})
	}
}
