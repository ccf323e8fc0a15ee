package spec

import "testing"

func TestMirrored(t *testing.T) {
	const reg = "registry.example.com/mirror"
	digest := "sha256:" + "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"
	for _, tc := range []struct{ image, want string }{
		{"mysql:8.4", reg + "/library/mysql:8.4"},
		{"mysql", reg + "/library/mysql"},
		{"mysql@" + digest, reg + "/library/mysql@" + digest},
		{"mysql:8.4@" + digest, reg + "/library/mysql:8.4@" + digest},
		{"percona/percona-xtrabackup:8.4", reg + "/percona/percona-xtrabackup:8.4"},
		{"prom/mysqld-exporter:v0.17.2", reg + "/prom/mysqld-exporter:v0.17.2"},
		{"docker.io/library/mariadb:11.4", reg + "/library/mariadb:11.4"},
		{"docker.io/mariadb:11.4", reg + "/library/mariadb:11.4"},
		{"index.docker.io/percona/percona-xtrabackup:8.0", reg + "/percona/percona-xtrabackup:8.0"},
		// Another registry is someone's choice: kept.
		{"quay.io/prometheus/mysqld-exporter:v0.17.2", "quay.io/prometheus/mysqld-exporter:v0.17.2"},
		{"localhost:5000/mysql:8.4", "localhost:5000/mysql:8.4"},
		{"registry.internal/db/mysql:8.4", "registry.internal/db/mysql:8.4"},
	} {
		if got := Mirrored(reg, tc.image); got != tc.want {
			t.Errorf("Mirrored(%q) = %q, want %q", tc.image, got, tc.want)
		}
	}
}

// The registry applies to every image, default or set, once: defaults are
// idempotent, and an invalid registry rewrites nothing (Validate reports it).
func TestImageRegistryDefaults(t *testing.T) {
	c := &MySQLCluster{Metadata: ObjectMeta{Name: "db"}, Spec: ClusterSpec{
		ImageRegistry: "registry.example.com:5000/mirror",
		BackupImage:   "quay.io/percona/percona-xtrabackup:8.4",
		Metrics:       Metrics{Enabled: true},
	}}
	SetDefaults(c)
	SetDefaults(c)
	want := []string{"registry.example.com:5000/mirror/library/mysql:8.4", "quay.io/percona/percona-xtrabackup:8.4", "registry.example.com:5000/mirror/prom/mysqld-exporter:v0.17.2"}
	if got := []string{c.Spec.Image, c.Spec.BackupImage, c.Spec.Metrics.Image}; got[0] != want[0] || got[1] != want[1] || got[2] != want[2] {
		t.Errorf("images = %q, want %q", got, want)
	}
	if errs := Validate(c); len(errs) != 0 {
		t.Errorf("Validate: %v", errs)
	}
	bad := &MySQLCluster{Metadata: ObjectMeta{Name: "db"}, Spec: ClusterSpec{ImageRegistry: "https://registry.example.com"}}
	SetDefaults(bad)
	if bad.Spec.Image != "mysql:8.4" {
		t.Errorf("an invalid registry rewrote the image: %q", bad.Spec.Image)
	}
}
