package spec

import (
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	_ "github.com/mysqlgen/mysqlgen/internal/golden" // registers -update for go test ./... -update
)

func load(t *testing.T, text string) *MySQLCluster {
	t.Helper()
	docs, err := Load(strings.NewReader(text), "test")
	if err != nil {
		t.Fatalf("Load: %v", err)
	}
	if len(docs) != 1 {
		t.Fatalf("Load returned %d documents, want 1", len(docs))
	}
	return docs[0].Cluster
}

const header = "apiVersion: mysqlgen.dev/v1alpha1\nkind: MySQLCluster\nmetadata:\n  name: db\n"

func TestSetDefaults(t *testing.T) {
	cases := map[string]struct {
		spec string
		want func(*ClusterSpec)
	}{
		"empty spec": {"spec: {}", func(s *ClusterSpec) {}},
		"mariadb picks its own version, images and GTID": {"spec: {flavor: mariadb}", func(s *ClusterSpec) {
			s.Flavor, s.Version, s.Image, s.BackupImage = "mariadb", "11.4", "mariadb:11.4", "mariadb:11.4"
		}},
		"5.7 replicates by binlog position": {"spec: {version: \"5.7\"}", func(s *ClusterSpec) {
			s.Version, s.Image, s.BackupImage = "5.7", "mysql:5.7.44", "percona/percona-xtradb-cluster:5.7"
			s.Replication.GTID = ptr(false)
		}},
		"metrics get an image and resources": {"spec: {metrics: {enabled: true, serviceMonitor: {enabled: true}}}", func(s *ClusterSpec) {
			s.Metrics = Metrics{Enabled: true, Image: DefaultMetricsImage, Resources: DefaultMetricsResources,
				ServiceMonitor: ServiceMonitor{Enabled: true, Interval: "30s"}}
		}},
		"user values are kept": {"spec: {replicas: 1, storage: {size: 1Gi}, resources: {limits: {memory: 2Gi}}, config: {replica_parallel_workers: \"1\"}, replication: {gtid: false}}", func(s *ClusterSpec) {
			s.Replicas = ptr(int32(1))
			s.Config = map[string]string{"replica_parallel_workers": "1"}
			s.Storage.Size = "1Gi"
			s.Resources = Resources{Limits: map[string]string{"memory": "2Gi"}}
			s.Replication.GTID = ptr(false)
		}},
	}
	for name, c := range cases {
		t.Run(name, func(t *testing.T) {
			got := load(t, header+c.spec)
			SetDefaults(got)
			want := ClusterSpec{
				Replicas: ptr(int32(3)), Flavor: "mysql", Version: "8.4",
				Image: "mysql:8.4", BackupImage: "percona/percona-xtrabackup:8.4",
				ImagePullPolicy: "IfNotPresent",
				Storage: Storage{Size: "10Gi", AccessModes: []string{"ReadWriteOnce"},
					RetentionPolicy: RetentionPolicy{WhenDeleted: "Retain", WhenScaled: "Retain"}},
				Scheduling:                    Scheduling{AntiAffinity: "soft", ZoneSpread: "none"},
				PodDisruptionBudget:           PodDisruptionBudget{Enabled: ptr(true), MaxUnavailable: ptr(int32(1))},
				NetworkPolicy:                 NetworkPolicy{Enabled: ptr(true)},
				TerminationGracePeriodSeconds: ptr(int64(300)),
				Resources:                     DefaultResources, BackupResources: DefaultBackupResources,
				Credentials: Credentials{SecretName: "db-credentials"},
				Replication: Replication{GTID: ptr(true), MaxLagSeconds: ptr(int32(30))},
			}
			c.want(&want)
			if diff := cmp.Diff(want, got.Spec); diff != "" {
				t.Errorf("defaults (-want +got):\n%s", diff)
			}
			again := *got
			SetDefaults(&again)
			if diff := cmp.Diff(got, &again); diff != "" {
				t.Errorf("SetDefaults is not idempotent:\n%s", diff)
			}
			if errs := Validate(got); len(errs) != 0 {
				t.Errorf("defaulted spec is invalid: %v", errs)
			}
		})
	}
}

// YAML scalars in string fields keep their literal text.
func TestLoadScalarsAsWritten(t *testing.T) {
	c := load(t, header+"spec:\n  version: 8.0\n  resources: {requests: {cpu: 2, memory: 1Gi}}\n  config: {max_connections: 500, innodb_flush_log_at_trx_commit: 2, skip-log-bin: true, long_query_time: 0.5}\n")
	if c.Spec.Version != "8.0" {
		t.Errorf("version = %q, want 8.0", c.Spec.Version)
	}
	if got := c.Spec.Resources.Requests["cpu"]; got != "2" {
		t.Errorf("cpu = %q, want 2", got)
	}
	want := map[string]string{"max_connections": "500", "innodb_flush_log_at_trx_commit": "2", "skip-log-bin": "true", "long_query_time": "0.5"}
	if diff := cmp.Diff(want, c.Spec.Config); diff != "" {
		t.Errorf("config (-want +got):\n%s", diff)
	}
}

func TestLoadSeveralDocuments(t *testing.T) {
	text := "---\n" + header + "---\n# a comment-only document\n---\n" + strings.Replace(header, "name: db", "name: db2", 1)
	docs, err := Load(strings.NewReader(text), "test")
	if err != nil {
		t.Fatal(err)
	}
	if len(docs) != 2 || docs[0].Cluster.Metadata.Name != "db" || docs[1].Cluster.Metadata.Name != "db2" {
		t.Errorf("loaded %d documents", len(docs))
	}
}

func TestAnnotateLines(t *testing.T) {
	docs, err := Load(strings.NewReader(header+"spec:\n  replicas: 0\n  config:\n    server-id: \"1\"\n"), "f.yaml")
	if err != nil {
		t.Fatal(err)
	}
	SetDefaults(docs[0].Cluster)
	got := docs[0].Annotate(Validate(docs[0].Cluster)).Error()
	want := "f.yaml:6: spec.replicas: Invalid value: 0: must be between 1 and 16\n" +
		"f.yaml:8: spec.config[server-id]: Forbidden: server-id is set by mysqlgen: derived from the pod ordinal"
	if got != want {
		t.Errorf("got\n%s\nwant\n%s", got, want)
	}
}

func TestReleases(t *testing.T) {
	seen := map[string]bool{}
	for _, r := range Releases {
		key := r.Flavor + "/" + r.Version
		if seen[key] {
			t.Errorf("%s listed twice", key)
		}
		seen[key] = true
		if r.Image == "" || r.BackupImage == "" || r.Dialect == "" || r.BackupPrivileges == "" {
			t.Errorf("%s is incomplete: %+v", key, r)
		}
	}
	for flavor, v := range DefaultVersions {
		if _, ok := LookupRelease(flavor, v); !ok {
			t.Errorf("default version %s of %s is not a release", v, flavor)
		}
	}
}

func TestStarterSpecIsValid(t *testing.T) {
	c := load(t, StarterSpec)
	SetDefaults(c)
	if errs := Validate(c); len(errs) != 0 {
		t.Errorf("starter spec is invalid: %v", errs)
	}
}
