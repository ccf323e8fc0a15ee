package render

import (
	"slices"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	networkingv1 "k8s.io/api/networking/v1"
	policyv1 "k8s.io/api/policy/v1"

	"github.com/mysqlgen/mysqlgen/internal/spec"
)

func defaulted(t *testing.T, mutate func(*spec.ClusterSpec)) *spec.MySQLCluster {
	t.Helper()
	c := &spec.MySQLCluster{APIVersion: spec.APIVersion, Kind: spec.Kind, Metadata: spec.ObjectMeta{Name: "db"}}
	mutate(&c.Spec)
	spec.SetDefaults(c)
	if errs := spec.Validate(c); len(errs) > 0 {
		t.Fatal(errs)
	}
	return c
}

func kinds(objs []Object) string {
	var k []string
	for _, o := range objs {
		k = append(k, o.GetObjectKind().GroupVersionKind().Kind+"/"+o.GetName())
	}
	return strings.Join(k, " ")
}

func TestOptionalObjects(t *testing.T) {
	cases := map[string]struct {
		mutate func(*spec.ClusterSpec)
		want   string
	}{
		"defaults": {func(*spec.ClusterSpec) {},
			"ConfigMap/db-config ConfigMap/db-scripts Service/db Service/db-read Service/db-primary StatefulSet/db PodDisruptionBudget/db NetworkPolicy/db"},
		"a single member has no budget": {func(s *spec.ClusterSpec) { s.Replicas = ptrTo(int32(1)) },
			"ConfigMap/db-config ConfigMap/db-scripts Service/db Service/db-read Service/db-primary StatefulSet/db NetworkPolicy/db"},
		"everything off": {func(s *spec.ClusterSpec) {
			s.PodDisruptionBudget.Enabled, s.NetworkPolicy.Enabled = ptrTo(false), ptrTo(false)
		}, "ConfigMap/db-config ConfigMap/db-scripts Service/db Service/db-read Service/db-primary StatefulSet/db"},
		"metrics and a ServiceMonitor": {func(s *spec.ClusterSpec) {
			s.Metrics.Enabled, s.Metrics.ServiceMonitor.Enabled = true, true
		}, "ConfigMap/db-config ConfigMap/db-scripts Service/db Service/db-read Service/db-primary Service/db-metrics StatefulSet/db PodDisruptionBudget/db NetworkPolicy/db ServiceMonitor/db"},
	}
	for name, c := range cases {
		t.Run(name, func(t *testing.T) {
			if got := kinds(Objects(defaulted(t, c.mutate))); got != c.want {
				t.Errorf("objects:\n got %s\nwant %s", got, c.want)
			}
		})
	}
}

func TestPodDisruptionBudget(t *testing.T) {
	objs := Objects(defaulted(t, func(*spec.ClusterSpec) {}))
	pdb := find[*policyv1.PodDisruptionBudget](objs, "db")
	if pdb.Spec.MaxUnavailable.IntValue() != 1 || pdb.Spec.MinAvailable != nil {
		t.Errorf("budget = %+v, want maxUnavailable 1 only", pdb.Spec)
	}
}

// The backup port hands out a full copy of the data: only the cluster's own
// pods may reach it, whatever clients the spec admits to 3306.
func TestNetworkPolicyClosesTheBackupPort(t *testing.T) {
	c := defaulted(t, func(s *spec.ClusterSpec) {
		s.Metrics.Enabled = true
		s.NetworkPolicy.From = []networkingv1.NetworkPolicyPeer{{IPBlock: &networkingv1.IPBlock{CIDR: "10.0.0.0/8"}}}
	})
	np := find[*networkingv1.NetworkPolicy](Objects(c), "db")
	byPort := map[int32]networkingv1.NetworkPolicyIngressRule{}
	for _, r := range np.Spec.Ingress {
		if len(r.Ports) != 1 {
			t.Fatalf("rule with %d ports", len(r.Ports))
		}
		byPort[r.Ports[0].Port.IntVal] = r
	}
	backup := byPort[portBackup]
	if len(backup.From) != 1 || backup.From[0].IPBlock != nil || backup.From[0].NamespaceSelector != nil ||
		backup.From[0].PodSelector.MatchLabels[labelInstance] != "db" {
		t.Errorf("backup port admits %+v, want the cluster's pods only", backup.From)
	}
	if mysql := byPort[portMySQL]; len(mysql.From) != 2 || mysql.From[0].IPBlock == nil {
		t.Errorf("mysql port admits %+v, want the ipBlock and the cluster's pods", mysql.From)
	}
	if metrics, ok := byPort[portMetrics]; !ok || len(metrics.From) != 0 {
		t.Errorf("metrics port rule = %+v, want one open to any source", metrics)
	}
	if len(np.Spec.PolicyTypes) != 1 || np.Spec.PolicyTypes[0] != networkingv1.PolicyTypeIngress {
		t.Errorf("policy types = %v", np.Spec.PolicyTypes)
	}
}

func TestScheduling(t *testing.T) {
	c := defaulted(t, func(s *spec.ClusterSpec) {
		s.Scheduling.AntiAffinity, s.Scheduling.ZoneSpread = "hard", "soft"
		s.Scheduling.Tolerations = []corev1.Toleration{{Key: "k", Operator: "Exists", Effect: "NoSchedule"}}
	})
	pod := find[*appsv1.StatefulSet](Objects(c), "db").Spec.Template.Spec
	if aa := pod.Affinity.PodAntiAffinity; len(aa.RequiredDuringSchedulingIgnoredDuringExecution) != 1 || aa.RequiredDuringSchedulingIgnoredDuringExecution[0].TopologyKey != topologyHostname {
		t.Errorf("hard anti-affinity = %+v", aa)
	}
	if ts := pod.TopologySpreadConstraints; len(ts) != 1 || ts[0].WhenUnsatisfiable != corev1.ScheduleAnyway || ts[0].TopologyKey != topologyZone {
		t.Errorf("zone spread = %+v", ts)
	}
	if len(pod.Tolerations) != 1 || *pod.TerminationGracePeriodSeconds != 300 {
		t.Errorf("tolerations %v, grace %d", pod.Tolerations, *pod.TerminationGracePeriodSeconds)
	}
	soft := find[*appsv1.StatefulSet](Objects(defaulted(t, func(*spec.ClusterSpec) {})), "db").Spec.Template.Spec
	if len(soft.Affinity.PodAntiAffinity.PreferredDuringSchedulingIgnoredDuringExecution) != 1 || soft.TopologySpreadConstraints != nil {
		t.Errorf("default scheduling = %+v %+v", soft.Affinity, soft.TopologySpreadConstraints)
	}
}

// The derived settings fit the memory limit with the rest of the server
// (spec.PlanMemory), so that a busy server is not killed; a buffer pool
// from spec.config drives the connection limit.
func TestMemoryTuning(t *testing.T) {
	cases := []struct {
		flavor, version, limit string
		config                 map[string]string
		want, absent           []string
	}{
		{"mysql", "8.4", "1Gi", nil, []string{"innodb-buffer-pool-size=384M", "max-connections=64", "temptable-max-ram=64M"}, nil},
		{"mysql", "8.4", "2Gi", nil, []string{"innodb-buffer-pool-size=1280M", "max-connections=80", "temptable-max-ram=128M"}, nil},
		{"mysql", "8.0", "8Gi", nil, []string{"innodb-buffer-pool-size=5632M", "max-connections=432", "temptable-max-ram=512M"}, nil},
		{"mysql", "8.4", "64Gi", nil, []string{"innodb-buffer-pool-size=45824M", "max-connections=2000", "temptable-max-ram=1024M"}, nil},
		{"mariadb", "11.4", "1Gi", nil, []string{"innodb-buffer-pool-size=512M", "max-connections=80"}, []string{"temptable"}},
		{"mysql", "5.7", "1Gi", nil, []string{"innodb-buffer-pool-size=512M", "max-connections=64"}, []string{"temptable"}},
		{"mysql", "8.4", "4Gi", map[string]string{"innodb_buffer_pool_size": "2G"},
			[]string{"max-connections=368", "less spec.config's innodb_buffer_pool_size (2048M)", "innodb_buffer_pool_size=2G"}, []string{"innodb-buffer-pool-size="}},
		{"mysql", "8.4", "4Gi", map[string]string{"max_connections": "500"}, []string{"max_connections=500"}, []string{"max-connections="}},
	}
	for _, tc := range cases {
		name := tc.flavor + " " + tc.version + " " + tc.limit
		c := defaulted(t, func(s *spec.ClusterSpec) {
			s.Flavor, s.Version, s.Config = tc.flavor, tc.version, tc.config
			s.Resources = spec.Resources{Limits: map[string]string{"memory": tc.limit}}
		})
		cnf := makeMyCnf(&cluster{MySQLCluster: c, release: mustRelease(t, c)})
		for _, w := range tc.want {
			if !strings.Contains(cnf, w) {
				t.Errorf("%s %v: my.cnf lacks %s:\n%s", name, tc.config, w, cnf)
			}
		}
		for _, a := range tc.absent {
			if strings.Contains(cnf, a) {
				t.Errorf("%s %v: my.cnf has %s:\n%s", name, tc.config, a, cnf)
			}
		}
		limit := spec.MemoryLimit(&c.Spec)
		if m := spec.PlanMemory(mustRelease(t, c), limit, 0); m.BufferPool+m.Headroom+m.Connections*spec.PerConnection > limit && m.Connections < spec.MaxConnections {
			t.Errorf("%s: %+v exceeds the limit", name, m)
		}
	}
	noLimit := defaulted(t, func(s *spec.ClusterSpec) { s.Resources = spec.Resources{Requests: map[string]string{"cpu": "1"}} })
	if cnf := makeMyCnf(&cluster{MySQLCluster: noLimit, release: mustRelease(t, noLimit)}); strings.Contains(cnf, "innodb-buffer-pool-size") {
		t.Error("a buffer pool size without a memory limit")
	}
}

func TestSemiSyncPluginNames(t *testing.T) {
	want := map[string][]string{
		"5.7":   {"plugin-load-add=semisync_master.so;semisync_slave.so", "loose-rpl-semi-sync-master-enabled=ON"},
		"8.0":   {"plugin-load-add=semisync_source.so;semisync_replica.so", "loose-rpl-semi-sync-replica-enabled=ON"},
		"8.4":   {"plugin-load-add=semisync_source.so;semisync_replica.so", "loose-rpl-semi-sync-source-enabled=ON"},
		"10.11": {"rpl-semi-sync-master-enabled=ON", "rpl-semi-sync-slave-enabled=ON"},
	}
	for version, lines := range want {
		c := defaulted(t, func(s *spec.ClusterSpec) {
			s.Version, s.Replication.SemiSync = version, true
			if version == "10.11" {
				s.Flavor = spec.FlavorMariaDB
			}
		})
		cnf := makeMyCnf(&cluster{MySQLCluster: c, release: mustRelease(t, c)})
		for _, l := range lines {
			if !strings.Contains(cnf, l+"\n") {
				t.Errorf("%s: my.cnf lacks %s", version, l)
			}
		}
		if version == "10.11" && strings.Contains(cnf, "plugin-load") {
			t.Error("MariaDB has semi-sync built in; no plugin to load")
		}
	}
	if off := makeMyCnf(&cluster{MySQLCluster: defaulted(t, func(*spec.ClusterSpec) {}), release: spec.Releases[2]}); strings.Contains(off, "semi") {
		t.Error("semi-sync settings without spec.replication.semiSync")
	}
}

func TestMetricsContainer(t *testing.T) {
	c := defaulted(t, func(s *spec.ClusterSpec) { s.Metrics.Enabled = true })
	pod := find[*appsv1.StatefulSet](Objects(c), "db").Spec.Template.Spec
	last := pod.Containers[len(pod.Containers)-1]
	if last.Name != containerMetrics || last.Image != spec.DefaultMetricsImage {
		t.Fatalf("last container = %s %s", last.Name, last.Image)
	}
	for _, arg := range last.Command {
		if strings.Contains(strings.ToLower(arg), "password") {
			t.Errorf("a password on the exporter's command line: %s", arg)
		}
	}
	if !strings.Contains(strings.Join(last.Command, " "), "--config.my-cnf="+pathGenerated+"/"+fileMetricsCnf) {
		t.Errorf("exporter command = %v", last.Command)
	}
	// The password reaches the exporter from the Secret, not through the
	// go-ini file that would cut it at # or ; and expand $.
	want := []corev1.EnvVar{{Name: "MYSQLD_EXPORTER_PASSWORD", ValueFrom: &corev1.EnvVarSource{SecretKeyRef: &corev1.SecretKeySelector{
		LocalObjectReference: corev1.LocalObjectReference{Name: c.Spec.Credentials.SecretName}, Key: "metrics-password"}}}}
	if diff := cmp.Diff(want, last.Env); diff != "" {
		t.Errorf("exporter env (-want +got):\n%s", diff)
	}
}

func ptrTo[T any](v T) *T { return &v }

// spec.DefaultedSettings names every setting written with a default, so
// that validate refuses overriding one under an abbreviation.
func TestDefaultedSettingsAreListed(t *testing.T) {
	for name, c := range matrix(t) {
		c.Spec.Resources = spec.Resources{Limits: map[string]string{"memory": "4Gi"}}
		c.Spec.Config = nil
		for _, s := range defaultSettings(&cluster{MySQLCluster: c, release: mustRelease(t, c)}) {
			if !slices.Contains(spec.DefaultedSettings, spec.NormalizeConfigKey(s.key)) {
				t.Errorf("%s: %s is written with a default but not in spec.DefaultedSettings", name, s.key)
			}
		}
	}
}
