package render

import (
	"slices"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/mysqlgen/mysqlgen/internal/spec"
)

// withAlerts turns on metrics, the ServiceMonitor and the PrometheusRule.
func withAlerts(flavor, version string) func(*spec.ClusterSpec) {
	return func(s *spec.ClusterSpec) {
		s.Flavor, s.Version = flavor, version
		s.Metrics.Enabled, s.Metrics.ServiceMonitor.Enabled, s.Metrics.PrometheusRule.Enabled = true, true, true
	}
}

func rulesByAlert(t *testing.T, r *PrometheusRule) map[string]Rule {
	t.Helper()
	if r == nil {
		t.Fatal("no PrometheusRule rendered")
	}
	if len(r.Spec.Groups) != 1 {
		t.Fatalf("%d groups, want 1", len(r.Spec.Groups))
	}
	out := map[string]Rule{}
	for _, rule := range r.Spec.Groups[0].Rules {
		out[rule.Alert] = rule
	}
	return out
}

func TestPrometheusRuleOnlyWhenEnabled(t *testing.T) {
	c := defaulted(t, func(s *spec.ClusterSpec) { s.Metrics.Enabled, s.Metrics.ServiceMonitor.Enabled = true, true })
	if r := find[*PrometheusRule](Objects(c), "db"); r != nil {
		t.Errorf("PrometheusRule rendered without prometheusRule.enabled")
	}
	c = defaulted(t, withAlerts("mysql", "8.4"))
	want := "ConfigMap/db-config ConfigMap/db-scripts Service/db Service/db-read Service/db-primary Service/db-metrics StatefulSet/db PodDisruptionBudget/db NetworkPolicy/db ServiceMonitor/db PrometheusRule/db"
	if got := kinds(Objects(c)); got != want {
		t.Errorf("objects:\n got %s\nwant %s", got, want)
	}
}

// The replication series are named after the columns of the statement the
// exporter v0.17.2 gets an answer to (collector/slave_status.go): the old
// names everywhere but on MySQL 8.4, which has only SHOW REPLICA STATUS.
// Written out by hand, not derived from the table under test.
func TestReplicationAlertsUseTheExportersNames(t *testing.T) {
	old := []string{"mysql_slave_status_slave_io_running", "mysql_slave_status_slave_sql_running", "mysql_slave_status_seconds_behind_master"}
	renamed := []string{"mysql_slave_status_replica_io_running", "mysql_slave_status_replica_sql_running", "mysql_slave_status_seconds_behind_source"}
	want := map[string][]string{"mysql/5.7": old, "mysql/8.0": old, "mysql/8.4": renamed, "mariadb/10.11": old, "mariadb/11.4": old}
	for _, r := range spec.Releases {
		key := r.Flavor + "/" + r.Version
		t.Run(key, func(t *testing.T) {
			names, ok := want[key]
			if !ok {
				t.Fatalf("a new release: read the exporter's collector/slave_status.go and add its names here")
			}
			rules := rulesByAlert(t, makePrometheusRule(&cluster{MySQLCluster: defaulted(t, withAlerts(r.Flavor, r.Version)), release: r}))
			for i, alert := range []string{"MySQLReplicationIOThreadStopped", "MySQLReplicationSQLThreadStopped", "MySQLReplicationLagging"} {
				if got := rules[alert].Expr; !strings.HasPrefix(got, names[i]+"{") {
					t.Errorf("%s: expr %q, want the series %s", alert, got, names[i])
				}
			}
		})
	}
}

func TestPrometheusRuleThresholdsAndSelectors(t *testing.T) {
	c := defaulted(t, func(s *spec.ClusterSpec) {
		withAlerts("mysql", "8.0")(s)
		s.Replication.MaxLagSeconds = ptrTo(int32(45))
	})
	c.Metadata.Namespace = "shop"
	rules := rulesByAlert(t, find[*PrometheusRule](Objects(c), "db"))
	want := map[string]string{
		"MySQLDown":                 `mysql_up{namespace="shop",job="db-metrics"} == 0`,
		"MySQLMetricsAbsent":        `absent(up{namespace="shop",job="db-metrics"})`,
		"MySQLReplicationLagging":   `mysql_slave_status_seconds_behind_master{namespace="shop",job="db-metrics"} > 45`,
		"MySQLConnectionsNearLimit": `mysql_global_status_threads_connected{namespace="shop",job="db-metrics"} / mysql_global_variables_max_connections{namespace="shop",job="db-metrics"} > 0.8`,
		"MySQLMemberNotReady":       `kube_pod_status_ready{namespace="shop",condition="true",pod=~"db-[0-9]+"} == 0`,
		"MySQLCloneFailing":         `increase(kube_pod_init_container_status_restarts_total{namespace="shop",container="clone-mysql",pod=~"db-[0-9]+"}[1h]) >= 3`,
	}
	for alert, expr := range want {
		if got := rules[alert].Expr; got != expr {
			t.Errorf("%s:\n got %s\nwant %s", alert, got, expr)
		}
	}
	// Without a namespace the selectors must not name one (an empty
	// namespace matcher would match series without the label only).
	c.Metadata.Namespace = ""
	if got := rulesByAlert(t, find[*PrometheusRule](Objects(c), "db"))["MySQLDown"].Expr; got != `mysql_up{job="db-metrics"} == 0` {
		t.Errorf("MySQLDown without a namespace: %s", got)
	}
}

// Every alert can be routed and acted on: a severity Alertmanager routes
// on, the user's alert labels, and the three annotations.
func TestEveryAlertHasSeverityLabelsAndRunbook(t *testing.T) {
	c := defaulted(t, func(s *spec.ClusterSpec) {
		withAlerts("mariadb", "11.4")(s)
		s.Metrics.PrometheusRule.AlertLabels = map[string]string{"team": "payments"}
		s.Metrics.PrometheusRule.Labels = map[string]string{"release": "prometheus"}
	})
	r := find[*PrometheusRule](Objects(c), "db")
	if r.Labels["release"] != "prometheus" || r.Labels[labelInstance] != "db" {
		t.Errorf("object labels %v: want the rule selector's label and the cluster's", r.Labels)
	}
	rules := rulesByAlert(t, r)
	wantAlerts := []string{"MySQLCloneFailing", "MySQLConnectionsNearLimit", "MySQLDown", "MySQLMemberNotReady", "MySQLMembersMissing",
		"MySQLMetricsAbsent", "MySQLMetricsTargetDown", "MySQLReplicationIOThreadStopped", "MySQLReplicationLagging", "MySQLReplicationSQLThreadStopped"}
	var got []string
	for name, rule := range rules {
		got = append(got, name)
		if s := rule.Labels["severity"]; s != "critical" && s != "warning" {
			t.Errorf("%s: severity %q", name, s)
		}
		if rule.Labels["team"] != "payments" {
			t.Errorf("%s: labels %v lack the alert labels", name, rule.Labels)
		}
		for _, a := range []string{"summary", "description", "runbook"} {
			if rule.Annotations[a] == "" {
				t.Errorf("%s: no %s annotation", name, a)
			}
		}
	}
	slices.Sort(got)
	if diff := cmp.Diff(wantAlerts, got); diff != "" {
		t.Errorf("alerts (-want +got):\n%s", diff)
	}
	// MariaDB 11 images have no mysql client name.
	if rb := rules["MySQLReplicationSQLThreadStopped"].Annotations["runbook"]; !strings.Contains(rb, "-- mariadb --defaults-extra-file=/etc/mysqlgen/generated/root.cnf -e 'SHOW SLAVE STATUS\\G'") {
		t.Errorf("runbook %q: want the mariadb client and SHOW SLAVE STATUS", rb)
	}
}

func TestPrometheusRuleDeepCopy(t *testing.T) {
	r := find[*PrometheusRule](Objects(defaulted(t, withAlerts("mysql", "8.4"))), "db")
	cp := r.DeepCopyObject().(*PrometheusRule)
	cp.Spec.Groups[0].Rules[0].Labels["severity"] = "changed"
	cp.Spec.Groups[0].Rules[1].Expr = "changed"
	cp.Labels["x"] = "y"
	if r.Spec.Groups[0].Rules[0].Labels["severity"] == "changed" || r.Spec.Groups[0].Rules[1].Expr == "changed" || r.Labels["x"] == "y" {
		t.Error("the copy shares state with the original")
	}
}
