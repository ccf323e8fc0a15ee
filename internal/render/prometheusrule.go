package render

import (
	"fmt"
	"maps"
	"strings"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"

	"github.com/mysqlgen/mysqlgen/internal/spec"
)

// PrometheusRule is the part of the Prometheus Operator's
// monitoring.coreos.com/v1 PrometheusRule that mysqlgen sets; as for the
// ServiceMonitor, the operator's Go module is not imported for a few fields.
type PrometheusRule struct {
	metav1.TypeMeta   `json:",inline"`
	metav1.ObjectMeta `json:"metadata,omitempty"`
	Spec              PrometheusRuleSpec `json:"spec"`
}

// PrometheusRuleSpec holds rule groups, as a Prometheus rule file does.
type PrometheusRuleSpec struct {
	Groups []RuleGroup `json:"groups"`
}

// RuleGroup is a group of rules evaluated together.
type RuleGroup struct {
	Name  string `json:"name"`
	Rules []Rule `json:"rules"`
}

// Rule is one alerting rule.
type Rule struct {
	Alert       string            `json:"alert"`
	Expr        string            `json:"expr"`
	For         string            `json:"for,omitempty"`
	Labels      map[string]string `json:"labels,omitempty"`
	Annotations map[string]string `json:"annotations,omitempty"`
}

// DeepCopyObject makes PrometheusRule a runtime.Object.
func (r *PrometheusRule) DeepCopyObject() runtime.Object {
	out := *r
	r.ObjectMeta.DeepCopyInto(&out.ObjectMeta)
	out.Spec.Groups = make([]RuleGroup, len(r.Spec.Groups))
	for i, g := range r.Spec.Groups {
		g.Rules = append([]Rule(nil), g.Rules...)
		for j := range g.Rules {
			g.Rules[j].Labels = maps.Clone(g.Rules[j].Labels)
			g.Rules[j].Annotations = maps.Clone(g.Rules[j].Annotations)
		}
		out.Spec.Groups[i] = g
	}
	return &out
}

// replicaStatus is what differs by server in the replication alerts. The
// exporter (prometheus/mysqld_exporter v0.17.2, collector/slave_status.go)
// tries SHOW ALL SLAVES STATUS, then SHOW SLAVE STATUS, then SHOW REPLICA
// STATUS, and names a series mysql_slave_status_<column, lower case>: MariaDB
// answers the first, MySQL 5.7 and 8.0 the second with the old column names,
// and only 8.4, which removed SHOW SLAVE STATUS, answers with the new ones.
type replicaStatus struct {
	ioRunning, sqlRunning, lag string
	// statement is what a DBA types to see the same (templates/common.sh's
	// SQL_STATUS for the dialect).
	statement string
}

var (
	slaveColumns = replicaStatus{
		ioRunning:  "mysql_slave_status_slave_io_running",
		sqlRunning: "mysql_slave_status_slave_sql_running",
		lag:        "mysql_slave_status_seconds_behind_master",
	}
	replicaColumns = replicaStatus{
		ioRunning:  "mysql_slave_status_replica_io_running",
		sqlRunning: "mysql_slave_status_replica_sql_running",
		lag:        "mysql_slave_status_seconds_behind_source",
	}
	replicaStatusByDialect = map[string]replicaStatus{
		spec.DialectMySQL57: withStatement(slaveColumns, "SHOW SLAVE STATUS"),
		spec.DialectMySQL80: withStatement(slaveColumns, "SHOW REPLICA STATUS"),
		spec.DialectMySQL84: withStatement(replicaColumns, "SHOW REPLICA STATUS"),
		spec.DialectMariaDB: withStatement(slaveColumns, "SHOW SLAVE STATUS"),
	}
)

func withStatement(r replicaStatus, statement string) replicaStatus {
	r.statement = statement
	return r
}

// Thresholds of the alerts, each with the reason for its value.
const (
	// A restarting server is back within a minute or two; longer is an outage.
	forServerDown = "2m"
	// Scrapes fail now and then; five minutes of failures is a broken exporter.
	forScrapeDown = "5m"
	// Enough for Prometheus to pick up a new ServiceMonitor.
	forAbsent = "15m"
	// An I/O thread reconnecting after the primary restarts says Connecting
	// (0) for a while.
	forReplication = "5m"
	// Past maxLagSeconds a replica already leaves <name>-read; alert when it
	// does not catch up.
	forLag = "5m"
	// kubernetes-mixin's KubePodNotReady waits as long; a clone of a large
	// data set keeps a new member not ready longer.
	forNotReady = "15m"
	// clone-mysql restarts with a back-off of 10 s doubling to 5 min: three
	// restarts within an hour is a clone that keeps failing, not bad luck.
	cloneRestarts      = 3
	cloneRestartWindow = "1h"
	// Connections above 80% of max_connections leave little room for a burst.
	connectionsRatio = 0.8
	forConnections   = "5m"
)

// makePrometheusRule renders the alerts a DBA expects of this topology. The
// exporter's series are selected by the job the ServiceMonitor gives them
// (the metrics Service's name: prometheus-operator's promcfg.go), the pods'
// by name in kube-state-metrics' series.
func makePrometheusRule(c *cluster) *PrometheusRule {
	r := c.Spec.Metrics.PrometheusRule
	if !c.Spec.Metrics.Enabled || !r.Enabled {
		return nil
	}
	meta := c.objectMeta(c.Metadata.Name)
	maps.Copy(meta.Labels, r.Labels)
	var rules []Rule
	for _, add := range []func(*cluster) []Rule{serverAlerts, replicationAlerts, podAlerts} {
		rules = append(rules, add(c)...)
	}
	return &PrometheusRule{
		TypeMeta:   typeMeta("monitoring.coreos.com/v1", "PrometheusRule"),
		ObjectMeta: meta,
		Spec:       PrometheusRuleSpec{Groups: []RuleGroup{{Name: "mysqlgen." + c.Metadata.Name, Rules: rules}}},
	}
}

// exporterSelector selects the exporter's series of this cluster.
func (c *cluster) exporterSelector() string {
	return c.promSelector(fmt.Sprintf("job=%q", c.name(metricsSuffix)))
}

// podMatcher matches this cluster's pods in kube-state-metrics' series:
// <name>-<ordinal> only, not <name>-other-0.
func (c *cluster) podMatcher() string {
	return fmt.Sprintf("pod=~%q", c.Metadata.Name+"-[0-9]+")
}

// promSelector is a series selector with the matchers, in the cluster's
// namespace when it has one.
func (c *cluster) promSelector(matchers ...string) string {
	if ns := c.Metadata.Namespace; ns != "" {
		matchers = append([]string{fmt.Sprintf("namespace=%q", ns)}, matchers...)
	}
	return "{" + strings.Join(matchers, ",") + "}"
}

// alert builds one rule; severity is critical (someone acts now) or warning.
func (c *cluster) alert(name, expr, forDuration, severity, summary, description, runbook string) Rule {
	labels := maps.Clone(c.Spec.Metrics.PrometheusRule.AlertLabels)
	if labels == nil {
		labels = map[string]string{}
	}
	labels[spec.AlertSeverityLabel] = severity
	return Rule{
		Alert: name, Expr: expr, For: forDuration, Labels: labels,
		Annotations: map[string]string{"summary": summary, "description": description, "runbook": runbook},
	}
}

// kubectl is the start of a runbook's command line in the cluster's namespace.
func (c *cluster) kubectl() string {
	if ns := c.Metadata.Namespace; ns != "" {
		return "kubectl -n " + ns
	}
	return "kubectl"
}

// sqlCommand runs a statement in a member's server container as root, over
// the socket, with the client file init-mysql writes.
func (c *cluster) sqlCommand(pod, statement string) string {
	client := "mysql"
	if c.Spec.Flavor == spec.FlavorMariaDB {
		client = "mariadb" // 11.x images lack the mysql* names
	}
	return fmt.Sprintf("%s exec %s -c %s -- %s --defaults-extra-file=%s/root.cnf -e '%s'",
		c.kubectl(), pod, containerServer, client, pathGenerated, statement)
}

func serverAlerts(c *cluster) []Rule {
	sel, pod := c.exporterSelector(), "{{ $labels.pod }}"
	return []Rule{
		c.alert("MySQLDown", "mysql_up"+sel+" == 0", forServerDown, "critical",
			"MySQL server "+pod+" is down",
			"mysqld_exporter on "+pod+" cannot query its server: mysql_up has been 0 for "+forServerDown+".",
			fmt.Sprintf("%s logs %s -c %s --tail=100; %s describe pod %s", c.kubectl(), pod, containerServer, c.kubectl(), pod)),
		c.alert("MySQLMetricsTargetDown", "up"+sel+" == 0", forScrapeDown, "warning",
			"Prometheus cannot scrape "+pod,
			"The exporter of "+pod+" has not answered a scrape for "+forScrapeDown+"; its server may be fine, but no other alert sees it.",
			fmt.Sprintf("%s logs %s -c %s; check that spec.networkPolicy.metricsFrom admits Prometheus", c.kubectl(), pod, containerMetrics)),
		c.alert("MySQLMetricsAbsent", "absent(up"+sel+")", forAbsent, "warning",
			"No member of "+c.Metadata.Name+" is scraped",
			"Prometheus has no target of job "+c.name(metricsSuffix)+": every member is gone, or Prometheus does not select the ServiceMonitor "+c.Metadata.Name+".",
			fmt.Sprintf("%s get pods,servicemonitor -l %s=%s; compare the ServiceMonitor's labels with the Prometheus serviceMonitorSelector", c.kubectl(), labelInstance, c.Metadata.Name)),
		c.alert("MySQLConnectionsNearLimit",
			fmt.Sprintf("mysql_global_status_threads_connected%s / mysql_global_variables_max_connections%s > %g", sel, sel, connectionsRatio),
			forConnections, "warning",
			pod+" uses {{ $value | humanizePercentage }} of max_connections",
			fmt.Sprintf("More than %g%% of max_connections have been in use on %s for %s; new clients will soon be refused.", connectionsRatio*100, pod, forConnections),
			c.sqlCommand(pod, "SHOW PROCESSLIST")+"; raise max_connections in spec.config (with memory) or fix the clients' pools"),
	}
}

func replicationAlerts(c *cluster) []Rule {
	st, sel, pod := replicaStatusByDialect[c.release.Dialect], c.exporterSelector(), "{{ $labels.pod }}"
	status := c.sqlCommand(pod, st.statement+`\G`)
	lag := *c.Spec.Replication.MaxLagSeconds
	return []Rule{
		c.alert("MySQLReplicationIOThreadStopped", st.ioRunning+sel+" == 0", forReplication, "critical",
			"Replica "+pod+" does not receive the primary's binary log",
			"The replication I/O thread of "+pod+" (source {{ $labels.master_host }}) has not been running for "+forReplication+"; the replica is out of "+c.name(readSuffix)+" and falls behind.",
			status+"; read Last_IO_Error, then "+c.kubectl()+" logs "+pod+" -c "+containerBackup),
		c.alert("MySQLReplicationSQLThreadStopped", st.sqlRunning+sel+" == 0", forReplication, "critical",
			"Replica "+pod+" does not apply the primary's changes",
			"The replication SQL thread of "+pod+" has not been running for "+forReplication+"; a stopped SQL thread usually means a failed event.",
			status+"; read Last_SQL_Error; if the replica diverged, delete its PVC, then its pod: the StatefulSet clones it afresh"),
		c.alert("MySQLReplicationLagging", fmt.Sprintf("%s%s > %d", st.lag, sel, lag), forLag, "warning",
			"Replica "+pod+" is {{ $value }}s behind the primary",
			fmt.Sprintf("%s has lagged more than maxLagSeconds (%ds) for %s, so it is out of %s.", pod, lag, forLag, c.name(readSuffix)),
			status+"; look for long transactions on the primary and for I/O or CPU limits on the replica"),
	}
}

// podAlerts read kube-state-metrics (kube_pod_status_ready,
// kube_statefulset_replicas, kube_statefulset_status_replicas and
// kube_pod_init_container_status_restarts_total, all STABLE in its
// docs/metrics/workload/): they see members that export nothing.
func podAlerts(c *cluster) []Rule {
	pod := "{{ $labels.pod }}"
	ready := c.promSelector(`condition="true"`, c.podMatcher())
	sts := c.promSelector(fmt.Sprintf("statefulset=%q", c.Metadata.Name))
	clone := c.promSelector(fmt.Sprintf("container=%q", containerClone), c.podMatcher())
	return []Rule{
		c.alert("MySQLMemberNotReady", "kube_pod_status_ready"+ready+" == 0", forNotReady, "warning",
			"Member "+pod+" has not been ready for "+forNotReady,
			"Member "+pod+" has failed its readiness probe (server, replication threads, lag) for "+forNotReady+" (kube-state-metrics).",
			fmt.Sprintf("%s describe pod %s; %s logs %s --all-containers --tail=50", c.kubectl(), pod, c.kubectl(), pod)),
		c.alert("MySQLMembersMissing", "kube_statefulset_status_replicas"+sts+" < kube_statefulset_replicas"+sts, forNotReady, "warning",
			"StatefulSet "+c.Metadata.Name+" has fewer members than desired",
			"Only {{ $value }} members of "+c.Metadata.Name+" exist after "+forNotReady+": with OrderedReady, a member that never becomes ready stops the next ones from being created.",
			fmt.Sprintf("%s describe statefulset %s; %s get pods,pvc -l %s=%s", c.kubectl(), c.Metadata.Name, c.kubectl(), labelInstance, c.Metadata.Name)),
		c.alert("MySQLCloneFailing",
			fmt.Sprintf("increase(kube_pod_init_container_status_restarts_total%s[%s]) >= %d", clone, cloneRestartWindow, cloneRestarts),
			"", "warning",
			"Member "+pod+" keeps failing to clone its data",
			fmt.Sprintf("%s of %s restarted at least %d times in %s: the new member cannot copy a peer's data and will not join.", containerClone, pod, cloneRestarts, cloneRestartWindow),
			fmt.Sprintf("%s logs %s -c %s --previous; check the donor's %s container and free space on the PVC", c.kubectl(), pod, containerClone, containerBackup)),
	}
}
