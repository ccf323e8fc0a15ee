package main

import (
	"encoding/json"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	corev1 "k8s.io/api/core/v1"
	"sigs.k8s.io/yaml"

	"github.com/mysqlgen/mysqlgen/internal/spec"
)

// asKubectlPrints turns mysqlgen secret's output into the Secret as the API
// server stores it and kubectl get -o yaml prints it: data in base64, no
// stringData, server fields added.
func asKubectlPrints(t *testing.T, out string, namespace string) string {
	t.Helper()
	var s corev1.Secret
	if err := yaml.UnmarshalStrict([]byte(out), &s); err != nil {
		t.Fatalf("%v\n%s", err, out)
	}
	if s.Data == nil {
		s.Data = map[string][]byte{}
	}
	for k, v := range s.StringData {
		s.Data[k] = []byte(v)
	}
	s.StringData = nil
	s.Namespace, s.ResourceVersion, s.UID = namespace, "4711", "0b5e3c4a-0000-4000-8000-000000000001"
	b, err := yaml.Marshal(&s)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func secretValues(t *testing.T, out string) map[string]string {
	t.Helper()
	var s corev1.Secret
	if err := yaml.UnmarshalStrict([]byte(out), &s); err != nil {
		t.Fatalf("%v\n%s", err, out)
	}
	return s.StringData
}

const usersSpec = `apiVersion: mysqlgen.dev/v1alpha1
kind: MySQLCluster
metadata: {name: db, namespace: prod}
spec:
  users:
    - name: app
      passwordSecretKeyRef: {name: db-credentials, key: app-password}
    - name: other
      passwordSecretKeyRef: {name: other-secret, key: password}
`

// Running the quick start's pipeline twice changes nothing; a Secret that
// lacks keys gets only those; --rotate changes exactly the keys named.
func TestSecretKeepsExistingPasswords(t *testing.T) {
	dir := t.TempDir()
	specFile := writeFile(t, dir, "db.yaml", usersSpec)
	first := run(t, "", "secret", "-f", specFile, "--existing", "-")
	if first.code != 0 {
		t.Fatalf("exit %d: %s", first.code, first.err)
	}
	v1 := secretValues(t, first.stdout)
	want := append(slices.Clone(spec.SecretKeys), "app-password")
	if got := slices.Sorted(maps.Keys(v1)); !slices.Equal(got, slices.Sorted(slices.Values(want))) {
		t.Errorf("keys %v, want %v (the other Secret's key is not this one's)", got, want)
	}
	live := asKubectlPrints(t, first.stdout, "prod")
	second := run(t, live, "secret", "-f", specFile, "--existing", "-")
	if second.code != 0 || second.stdout != first.stdout {
		t.Errorf("second run changed the Secret (exit %d, %s):\n%s\nfirst:\n%s", second.code, second.err, second.stdout, first.stdout)
	}
	// A live Secret without metrics-password and app-password: only those
	// are generated.
	var partial map[string]any
	mustOK(t, yaml.Unmarshal([]byte(live), &partial))
	data := partial["data"].(map[string]any)
	delete(data, spec.SecretKeyMetrics)
	delete(data, "app-password")
	b, _ := json.Marshal(partial) // kubectl get -o json, too
	third := run(t, string(b), "secret", "-f", specFile, "--existing", "-")
	v3 := secretValues(t, third.stdout)
	for k, v := range v1 {
		if changed := v3[k] != v; changed != (k == spec.SecretKeyMetrics || k == "app-password") {
			t.Errorf("%s: changed %v", k, changed)
		}
	}
	rotated := run(t, live, "secret", "-f", specFile, "--existing", "-", "--rotate", "replication-password,app-password")
	v4 := secretValues(t, rotated.stdout)
	for k, v := range v1 {
		if changed := v4[k] != v; changed != (k == spec.SecretKeyReplication || k == "app-password") {
			t.Errorf("--rotate: %s changed %v", k, changed)
		}
	}
	all := secretValues(t, run(t, live, "secret", "-f", specFile, "--existing", "-", "--rotate", "all").stdout)
	for k, v := range v1 {
		if all[k] == v || len(all[k]) != passwordLength {
			t.Errorf("--rotate all kept %s", k)
		}
	}
	// stderr names keys, never values.
	for _, r := range []result{first, second, third, rotated} {
		for _, v := range slices.Concat(slices.Collect(maps.Values(v1)), slices.Collect(maps.Values(v4))) {
			if strings.Contains(r.err, v) {
				t.Errorf("a password on stderr: %s", r.err)
			}
		}
	}
	if !strings.Contains(rotated.err, "rotated [replication-password app-password]") {
		t.Errorf("rotate report: %q", rotated.err)
	}
}

func TestSecretRefusesAnotherSecret(t *testing.T) {
	dir := t.TempDir()
	specFile := writeFile(t, dir, "db.yaml", usersSpec)
	live := asKubectlPrints(t, run(t, "", "secret", "-f", specFile).stdout, "prod")
	for name, c := range map[string]struct {
		input string
		args  []string
		want  string
	}{
		"other name":      {strings.Replace(live, "name: db-credentials", "name: other-secret", 1), nil, "is not the Secret of any cluster given"},
		"other namespace": {strings.Replace(live, "namespace: prod", "namespace: dev", 1), nil, "is in namespace dev, the cluster's is prod"},
		"not a Secret":    {strings.Replace(live, "kind: Secret", "kind: ConfigMap", 1), nil, "not a v1 Secret"},
		"garbage":         {"data: {root-password: [s3cr3t", nil, "not a Secret in YAML or JSON"},
		"unknown key":     {live, []string{"--rotate", "nope"}, "neither holds nor needs that key"},
		"stdin twice":     {live, []string{"-f", "-"}, "both read stdin"},
	} {
		t.Run(name, func(t *testing.T) {
			args := append([]string{"secret", "-f", specFile, "--existing", "-"}, c.args...)
			r := run(t, c.input, args...)
			if r.code != 1 || r.stdout != "" || !strings.Contains(r.err, c.want) || strings.Contains(r.err, "s3cr3t") {
				t.Errorf("exit %d, stdout %q, stderr %q: want exit 1 and %q", r.code, r.stdout, r.err, c.want)
			}
		})
	}
	// kubectl get A B -o yaml prints a List; a spec without a namespace
	// takes the one kubectl printed.
	list := "apiVersion: v1\nkind: List\nitems:\n- " + strings.ReplaceAll(strings.TrimSpace(live), "\n", "\n  ") + "\n"
	noNS := writeFile(t, dir, "nons.yaml", strings.Replace(usersSpec, ", namespace: prod", "", 1))
	r := run(t, list, "secret", "-f", noNS, "--existing", "-")
	var s corev1.Secret
	mustOK(t, yaml.Unmarshal([]byte(live), &s))
	if r.code != 0 || secretValues(t, r.stdout)[spec.SecretKeyRoot] != string(s.Data[spec.SecretKeyRoot]) {
		t.Errorf("a List: exit %d: %s", r.code, r.err)
	}
}

func writeFile(t *testing.T, dir, name, text string) string {
	t.Helper()
	p := filepath.Join(dir, name)
	mustOK(t, os.WriteFile(p, []byte(text), 0o600))
	return p
}

func mustOK(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}
