//go:build cluster

package cluster

import (
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// tlsSpecs are issue 15's renders: the cluster's own CA from cert-manager
// with users (examples/tls-cert-manager.yaml), a ClusterIssuer with no
// namespace in the spec (the namespace comes from kubectl -n), and a Secret
// named by the user with users and init SQL (examples/users.yaml).
var tlsSpecs = map[string]string{
	"clusterissuer": `apiVersion: mysqlgen.dev/v1alpha1
kind: MySQLCluster
metadata: {name: ci}
spec:
  replicas: 2
  tls:
    certManager:
      issuerRef: {name: corp-ca, kind: ClusterIssuer}
      duration: 720h
      renewBefore: 240h
  users:
    - name: app
      passwordSecretKeyRef: {name: ci-credentials, key: app-password}
      grants: [{privileges: [SELECT, SHOW VIEW], database: app, table: orders}]
`,
}

// TestTLS applies the TLS, cert-manager and account objects to a control
// plane that has cert-manager's own CRDs (bin/crds, from its module): the
// Certificates and Issuers validate server-side, apply with zero drift and
// read back as rendered; the CRDs' schemas are not vacuous (a Certificate
// with a usage cert-manager does not know is refused).
func TestTLS(t *testing.T) {
	c := StartCluster(t, Options{Nodes: 3})
	ctx := testContext(t)
	renders := map[string][]byte{
		"tls-cert-manager": renderFile(t, filepath.Join(repoRoot(t), "examples", "tls-cert-manager.yaml")),
		"users":            renderFile(t, filepath.Join(repoRoot(t), "examples", "users.yaml")),
		"clusterissuer":    renderSpec(t, tlsSpecs["clusterissuer"]),
	}
	for _, name := range sortedKeys(renders) {
		t.Run(name, func(t *testing.T) {
			d := NewDeployment(t, c, ctx, "tls-"+name, renders[name])
			replicas := int(*d.STS.Spec.Replicas)
			d.Prepare(t, "", replicas)
			d.PrepareScheduling(t, replicas)
			d.Apply(t)
			d.WaitRolledOut(t, int32(replicas), 3*time.Minute)
			d.CheckNoDrift(t)
			d.checkCertificates(t, map[string]int{"tls-cert-manager": 4, "clusterissuer": 1}[name])
		})
	}
	t.Run("crd-refuses", func(t *testing.T) {
		bad := strings.Replace(string(renders["tls-cert-manager"]), "- client auth", "- client authentication", 1)
		if bad == string(renders["tls-cert-manager"]) {
			t.Fatal("no usage to plant a defect in")
		}
		_, failures := dryRunBoth(t, c, ctx, "bad usage", []byte(bad), nil)
		if len(failures) != 2 || !strings.Contains(failures[0], "client authentication") {
			t.Errorf("a Certificate with an unknown usage was not refused by both applies: %v", failures)
		}
	})
}

// checkCertificates reads every rendered Certificate and Issuer back and
// compares the fields cert-manager acts on.
func (d *Deployment) checkCertificates(t *testing.T, want int) {
	t.Helper()
	n := 0
	for _, o := range d.Objs {
		if o.APIVersion() != "cert-manager.io/v1" {
			continue
		}
		n++
		var live Object
		if err := d.getJSON(&live, "get", strings.ToLower(o.Kind())+".cert-manager.io", o.Name()); err != nil {
			t.Errorf("%s: %v", o, err)
			continue
		}
		if drift := fieldDrift(o.Kind()+"/"+o.Name()+".spec", o["spec"], live["spec"]); len(drift) > 0 {
			t.Errorf("%s: the live spec differs from the render: %v", o, drift)
		}
	}
	if n != want {
		t.Errorf("%d cert-manager objects rendered, want %d", n, want)
	}
	t.Logf("check cert-manager objects: %d read back as rendered", n)
}
