package render

import (
	"slices"
	"strings"
	"testing"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"

	"github.com/mysqlgen/mysqlgen/internal/spec"
)

func tlsCluster(t *testing.T, ns string, tls *spec.TLS) *spec.MySQLCluster {
	t.Helper()
	c := accountsCluster(false, []spec.Database{{Name: "app"}}, []spec.User{
		{Name: "app", PasswordSecretKeyRef: &spec.SecretKeyRef{Name: "app-db", Key: "password"}, Grants: []spec.Grant{{Privileges: []string{"SELECT"}, Database: "app"}}},
		{Name: "gone", State: spec.UserStateAbsent},
		{Name: "ro", PasswordSecretKeyRef: &spec.SecretKeyRef{Name: "app-db", Key: "ro"}},
		{Name: "ops", PasswordSecretKeyRef: &spec.SecretKeyRef{Name: "db-credentials", Key: "ops"}},
	})
	c.Metadata.Namespace = ns
	c.Spec.TLS = tls
	c.Spec.InitSQL = &spec.InitSQL{ConfigMapName: "db-init"}
	spec.SetDefaults(c)
	if errs := spec.Validate(c); len(errs) > 0 {
		t.Fatal(errs)
	}
	return c
}

func objectNames(objs []Object) []string {
	var out []string
	for _, o := range objs {
		out = append(out, o.GetObjectKind().GroupVersionKind().Kind+"/"+o.GetName())
	}
	return out
}

func TestSelfSignedCertificateChain(t *testing.T) {
	objs := Objects(tlsCluster(t, "prod", &spec.TLS{CertManager: &spec.CertManager{SelfSigned: true}}))
	for _, want := range []string{"Issuer/db-selfsigned", "Certificate/db-ca", "Issuer/db-ca", "Certificate/db-tls"} {
		if !slices.Contains(objectNames(objs), want) {
			t.Errorf("no %s among %v", want, objectNames(objs))
		}
	}
	ca, cert := find[*Certificate](objs, "db-ca"), find[*Certificate](objs, "db-tls")
	if !ca.Spec.IsCA || ca.Spec.IssuerRef.Name != "db-selfsigned" || ca.Spec.SecretName != "db-ca" {
		t.Errorf("CA certificate: %+v", ca.Spec)
	}
	if is := find[*Issuer](objs, "db-ca"); is.Spec.CA == nil || is.Spec.CA.SecretName != "db-ca" {
		t.Errorf("CA issuer: %+v", is.Spec)
	}
	s := cert.Spec
	if s.SecretName != "db-tls" || s.IssuerRef != (IssuerReference{Name: "db-ca", Kind: "Issuer", Group: "cert-manager.io"}) ||
		s.Duration != "2160h" || s.RenewBefore != "720h" || s.PrivateKey.RotationPolicy != "Always" || s.IsCA {
		t.Errorf("certificate: %+v", s)
	}
	for _, u := range []string{"server auth", "client auth"} {
		if !slices.Contains(s.Usages, u) {
			t.Errorf("usages %v lack %s", s.Usages, u)
		}
	}
	// Every member as the scripts dial it, the Services, and namespace forms.
	for _, n := range []string{"db-0.db", "db-1.db", "db-2.db", "*.db", "db", "db-read", "db-primary",
		"db-2.db.prod.svc", "db-read.prod.svc", "db-primary.prod.svc", "*.db.prod.svc"} {
		if !slices.Contains(s.DNSNames, n) {
			t.Errorf("dnsNames %v lack %s", s.DNSNames, n)
		}
	}
}

func TestCertificateWithoutNamespaceHasShortNamesOnly(t *testing.T) {
	c := tlsCluster(t, "", &spec.TLS{CertManager: &spec.CertManager{IssuerRef: spec.IssuerRef{Name: "corp", Kind: "ClusterIssuer"}}})
	objs := Objects(c)
	cert := find[*Certificate](objs, "db-tls")
	if cert.Spec.IssuerRef != (IssuerReference{Name: "corp", Kind: "ClusterIssuer", Group: "cert-manager.io"}) {
		t.Errorf("issuerRef %+v", cert.Spec.IssuerRef)
	}
	for _, n := range cert.Spec.DNSNames {
		if strings.Contains(n, ".svc") {
			t.Errorf("a namespace form %s without a namespace", n)
		}
	}
	if find[*Issuer](objs, "db-ca") != nil || find[*Certificate](objs, "db-ca") != nil {
		t.Error("a CA chain without selfSigned")
	}
}

func TestTLSVolumesMountsAndSettings(t *testing.T) {
	objs := Objects(tlsCluster(t, "", &spec.TLS{SecretName: "db-certs", RequireSecureTransport: true}))
	if slices.ContainsFunc(objectNames(objs), func(k string) bool { return strings.HasPrefix(k, "Certificate/") }) {
		t.Errorf("a Certificate for a named Secret: %v", objectNames(objs))
	}
	pod := find[*appsv1.StatefulSet](objs, "db").Spec.Template.Spec
	vol := func(name string) *corev1.Volume {
		for i := range pod.Volumes {
			if pod.Volumes[i].Name == name {
				return &pod.Volumes[i]
			}
		}
		t.Fatalf("no volume %s", name)
		return nil
	}
	if v := vol("tls").Secret; v.SecretName != "db-certs" || *v.DefaultMode != 0o440 {
		t.Errorf("tls volume %+v", v)
	}
	if v := vol("init-sql").ConfigMap; v.Name != "db-init" {
		t.Errorf("init-sql volume %+v", v)
	}
	// One source per Secret, each key at the user's index; none for the
	// absent user (index 1).
	p := vol("user-passwords").Projected
	want := []corev1.VolumeProjection{
		{Secret: &corev1.SecretProjection{LocalObjectReference: corev1.LocalObjectReference{Name: "app-db"},
			Items: []corev1.KeyToPath{{Key: "password", Path: "0"}, {Key: "ro", Path: "2"}}}},
		{Secret: &corev1.SecretProjection{LocalObjectReference: corev1.LocalObjectReference{Name: "db-credentials"},
			Items: []corev1.KeyToPath{{Key: "ops", Path: "3"}}}},
	}
	if !slices.EqualFunc(p.Sources, want, func(a, b corev1.VolumeProjection) bool { return a.String() == b.String() }) || *p.DefaultMode != 0o440 {
		t.Errorf("user-passwords sources %v, want %v", p.Sources, want)
	}
	all := append(slices.Clone(pod.InitContainers), pod.Containers...)
	for _, ctr := range all {
		at := map[string]string{}
		for _, m := range ctr.VolumeMounts {
			at[m.Name] = m.MountPath
			if slices.Contains([]string{"tls", "user-passwords", "init-sql"}, m.Name) && !m.ReadOnly {
				t.Errorf("%s mounts %s writable", ctr.Name, m.Name)
			}
		}
		env := map[string]string{}
		for _, e := range ctr.Env {
			env[e.Name] = e.Value
		}
		sidecar := ctr.Name == containerBackup
		if ctr.Name == containerMetrics {
			if len(at) != 2 {
				t.Errorf("metrics mounts %v", at)
			}
			continue
		}
		if at["tls"] != "/etc/mysqlgen/tls" || env["MYSQLGEN_TLS"] != "ON" || env["MYSQLGEN_REQUIRE_TLS"] != "ON" || env["MYSQLGEN_TLS_DIR"] != "/etc/mysqlgen/tls" {
			t.Errorf("%s: mounts %v, env %v", ctr.Name, at, env)
		}
		if (at["user-passwords"] == "/etc/mysqlgen/users") != sidecar || (at["init-sql"] == "/etc/mysqlgen/init-sql") != sidecar {
			t.Errorf("%s: the passwords and init SQL belong to the sidecar alone: %v", ctr.Name, at)
		}
		if env["MYSQLGEN_USERS_DIR"] != "/etc/mysqlgen/users" || env["MYSQLGEN_INIT_SQL_DIR"] != "/etc/mysqlgen/init-sql" {
			t.Errorf("%s: env %v", ctr.Name, env)
		}
	}
	cnf := find[*corev1.ConfigMap](objs, "db-config").Data[fileMyCnf]
	for _, l := range []string{"ssl-ca=/etc/mysqlgen/tls/ca.crt\n", "ssl-cert=/etc/mysqlgen/tls/tls.crt\n", "ssl-key=/etc/mysqlgen/tls/tls.key\n", "require-secure-transport=ON\n"} {
		if !strings.Contains(cnf, l) {
			t.Errorf("my.cnf lacks %q:\n%s", l, cnf)
		}
	}
}

func TestNoTLSRendersNoTLS(t *testing.T) {
	c := accountsCluster(false, nil, nil)
	if errs := spec.Validate(c); len(errs) > 0 {
		t.Fatal(errs)
	}
	objs := Objects(c)
	pod := find[*appsv1.StatefulSet](objs, "db").Spec.Template.Spec
	for _, v := range pod.Volumes {
		if slices.Contains([]string{"tls", "user-passwords", "init-sql"}, v.Name) {
			t.Errorf("volume %s without its spec", v.Name)
		}
	}
	for _, e := range pod.Containers[0].Env {
		if (e.Name == "MYSQLGEN_TLS" || e.Name == "MYSQLGEN_REQUIRE_TLS") && e.Value != "OFF" {
			t.Errorf("%s=%s", e.Name, e.Value)
		}
	}
	if strings.Contains(find[*corev1.ConfigMap](objs, "db-config").Data[fileMyCnf], "ssl") {
		t.Error("ssl settings without spec.tls")
	}
}

// The reserved names of the spec are the ones the scripts create.
func TestManagedUsersAreTheRenderedOnes(t *testing.T) {
	for _, u := range []string{userReplication, userBackup, userMetrics, "root"} {
		if !slices.Contains(spec.ManagedUsers, u) {
			t.Errorf("spec.ManagedUsers lacks %s", u)
		}
	}
}
