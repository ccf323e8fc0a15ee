// Package spec owns the user's language: the MySQLCluster spec types, how a
// spec is loaded (strictly), defaulted and validated, and the table of
// supported flavors and versions. It knows nothing of Kubernetes objects.
package spec

import (
	corev1 "k8s.io/api/core/v1"
	networkingv1 "k8s.io/api/networking/v1"
)

// Group, Version and Kind identify a spec document, KRM-style, so that a spec
// can serve unchanged as a kustomize generator's function config.
const (
	APIVersion = "mysqlgen.dev/v1alpha1"
	Kind       = "MySQLCluster"
)

// MySQLCluster is one replicated MySQL or MariaDB cluster.
type MySQLCluster struct {
	// APIVersion must be mysqlgen.dev/v1alpha1.
	APIVersion string `json:"apiVersion"`
	// Kind must be MySQLCluster.
	Kind string `json:"kind"`
	// Metadata names the cluster; every rendered object carries it.
	Metadata ObjectMeta `json:"metadata"`
	// Spec describes the cluster.
	Spec ClusterSpec `json:"spec"`
}

// ObjectMeta is the part of Kubernetes object metadata a spec may set.
type ObjectMeta struct {
	// Name of the cluster: the StatefulSet and its headless Service, with
	// <name>-read and <name>-primary for the other Services. Pods are
	// <name>-0, <name>-1, ...
	Name string `json:"name"`
	// Namespace of every rendered object; empty leaves it to kubectl's context.
	Namespace string `json:"namespace,omitempty"`
	// Labels added to every rendered object.
	Labels map[string]string `json:"labels,omitempty"`
	// Annotations added to every rendered object.
	Annotations map[string]string `json:"annotations,omitempty"`
}

// ClusterSpec is the desired cluster.
type ClusterSpec struct {
	// Replicas is the number of members: ordinal 0 is the primary, the rest
	// replicate from it. 1 means a primary alone. Default 3.
	Replicas *int32 `json:"replicas,omitempty"`
	// Primary is the ordinal of the member that takes writes; the others
	// replicate from it. Changing it switches over: the new primary fences
	// the old one and catches up before it takes writes. Default 0; another
	// ordinal needs GTIDs.
	Primary *int32 `json:"primary,omitempty"`
	// Flavor is mysql (default) or mariadb.
	Flavor string `json:"flavor,omitempty"`
	// Version is the server's major.minor: 5.7, 8.0 or 8.4 (default) for
	// mysql; 10.11 or 11.4 (default) for mariadb. It picks the default images
	// and the replication SQL dialect. Quote it: YAML reads 8.0 as the number 8.
	Version string `json:"version,omitempty"`
	// Image overrides the server image.
	Image string `json:"image,omitempty"`
	// BackupImage overrides the backup image (clone-mysql and the sidecar). It
	// must hold the backup tool of the server's version and socat.
	BackupImage string `json:"backupImage,omitempty"`
	// ImagePullPolicy of every container: IfNotPresent (default), Always or Never.
	ImagePullPolicy string `json:"imagePullPolicy,omitempty"`
	// ImagePullSecrets names the Secrets (of type
	// kubernetes.io/dockerconfigjson) the pods pull their images with.
	ImagePullSecrets []string `json:"imagePullSecrets,omitempty"`
	// ImageRegistry, such as registry.example.com/mirror, pulls every image
	// that is on Docker Hub (the defaults, and any image set without a
	// registry) from this registry instead, keeping its repository path
	// (library/mysql for mysql) and its tag or digest. An image naming
	// another registry is kept as it is.
	ImageRegistry string `json:"imageRegistry,omitempty"`
	// Storage is each member's data volume.
	Storage Storage `json:"storage,omitempty"`
	// Resources of the server container.
	Resources Resources `json:"resources,omitempty"`
	// BackupResources of the backup sidecar (and the init containers).
	BackupResources Resources `json:"backupResources,omitempty"`
	// Credentials names the Secret that holds the passwords.
	Credentials Credentials `json:"credentials,omitempty"`
	// PodAnnotations are added to the pods only (the objects get
	// metadata.annotations).
	PodAnnotations map[string]string `json:"podAnnotations,omitempty"`
	// Scheduling places the members.
	Scheduling Scheduling `json:"scheduling,omitempty"`
	// PodDisruptionBudget limits voluntary evictions (node drains).
	PodDisruptionBudget PodDisruptionBudget `json:"podDisruptionBudget,omitempty"`
	// NetworkPolicy limits who may connect to the members.
	NetworkPolicy NetworkPolicy `json:"networkPolicy,omitempty"`
	// Metrics adds a mysqld_exporter sidecar.
	Metrics Metrics `json:"metrics,omitempty"`
	// TerminationGracePeriodSeconds is how long a stopping server may take
	// to flush InnoDB and shut down cleanly. Default 300.
	TerminationGracePeriodSeconds *int64 `json:"terminationGracePeriodSeconds,omitempty"`
	// Config holds extra [mysqld] settings for my.cnf, written in sorted
	// order. Settings that replication depends on cannot be overridden.
	Config map[string]string `json:"config,omitempty"`
	// Replication tunes how replicas follow the primary.
	Replication Replication `json:"replication,omitempty"`
	// TLS encrypts client and replication connections; absent, none is.
	TLS *TLS `json:"tls,omitempty"`
	// Databases the primary creates when they are missing.
	Databases []Database `json:"databases,omitempty"`
	// Users the primary keeps as declared: password, grants, TLS
	// requirement and connection limit.
	Users []User `json:"users,omitempty"`
	// InitSQL runs a ConfigMap's SQL files once, when the cluster is first
	// bootstrapped.
	InitSQL *InitSQL `json:"initSQL,omitempty"`
	// Patches are applied to the rendered objects, in order, as a
	// kustomization's patches: strategic-merge or JSON 6902 patches, to set
	// any field the spec does not cover.
	Patches []Patch `json:"patches,omitempty"`
}

// Storage is a member's PersistentVolumeClaim.
type Storage struct {
	// Size of each member's volume, a Kubernetes quantity. Default 10Gi.
	Size string `json:"size,omitempty"`
	// StorageClassName of the claims; empty uses the cluster's default class.
	StorageClassName string `json:"storageClassName,omitempty"`
	// AccessModes of the claims. Default [ReadWriteOnce].
	AccessModes []string `json:"accessModes,omitempty"`
	// RetentionPolicy says what happens to the claims when the StatefulSet
	// is deleted or scaled down: Retain (default, the data is kept) or Delete.
	RetentionPolicy RetentionPolicy `json:"retentionPolicy,omitempty"`
}

// RetentionPolicy is the StatefulSet's persistentVolumeClaimRetentionPolicy.
type RetentionPolicy struct {
	WhenDeleted string `json:"whenDeleted,omitempty"`
	WhenScaled  string `json:"whenScaled,omitempty"`
}

// Scheduling places the members on nodes.
type Scheduling struct {
	// AntiAffinity keeps members off the same node: soft (default, preferred),
	// hard (required; needs as many nodes as replicas) or none.
	AntiAffinity string `json:"antiAffinity,omitempty"`
	// ZoneSpread spreads members over topology.kubernetes.io/zone: none
	// (default), soft (ScheduleAnyway) or hard (DoNotSchedule).
	ZoneSpread string `json:"zoneSpread,omitempty"`
	// NodeSelector restricts the nodes the members may run on.
	NodeSelector map[string]string `json:"nodeSelector,omitempty"`
	// Tolerations of the pods, as in a pod spec.
	Tolerations []corev1.Toleration `json:"tolerations,omitempty"`
	// PriorityClassName of the pods.
	PriorityClassName string `json:"priorityClassName,omitempty"`
}

// PodDisruptionBudget is rendered when the cluster has more than one member.
type PodDisruptionBudget struct {
	// Enabled renders the budget. Default true (ignored for one replica,
	// where any budget would block every drain).
	Enabled *bool `json:"enabled,omitempty"`
	// MaxUnavailable members during voluntary disruptions. Default 1.
	MaxUnavailable *int32 `json:"maxUnavailable,omitempty"`
}

// NetworkPolicy admits the server port from chosen clients, the backup port
// only from the cluster's own pods, and the metrics port from chosen scrapers.
type NetworkPolicy struct {
	// Enabled renders the policy. Default true.
	Enabled *bool `json:"enabled,omitempty"`
	// From are the clients admitted to port 3306, as NetworkPolicy peers
	// (podSelector, namespaceSelector, ipBlock). Default: every pod of the
	// cluster's namespace. The cluster's own pods are always admitted.
	From []networkingv1.NetworkPolicyPeer `json:"from,omitempty"`
	// MetricsFrom are the scrapers admitted to the metrics port. Default:
	// any source (the metrics hold no data).
	MetricsFrom []networkingv1.NetworkPolicyPeer `json:"metricsFrom,omitempty"`
}

// Metrics configures the mysqld_exporter sidecar. Its user, metrics@localhost,
// is created by the primary's sidecar from the Secret's metrics-password key,
// which the Secret needs only while metrics are enabled.
type Metrics struct {
	// Enabled adds the exporter sidecar and the <name>-metrics Service.
	Enabled bool `json:"enabled,omitempty"`
	// Image of the exporter. Default prom/mysqld-exporter:v0.17.2.
	Image string `json:"image,omitempty"`
	// Resources of the exporter.
	Resources Resources `json:"resources,omitempty"`
	// ServiceMonitor renders a Prometheus Operator ServiceMonitor.
	ServiceMonitor ServiceMonitor `json:"serviceMonitor,omitempty"`
	// PrometheusRule renders a Prometheus Operator PrometheusRule with the
	// alerts of this topology.
	PrometheusRule PrometheusRule `json:"prometheusRule,omitempty"`
}

// ServiceMonitor configures the monitoring.coreos.com/v1 ServiceMonitor.
type ServiceMonitor struct {
	// Enabled renders it; needs metrics.enabled.
	Enabled bool `json:"enabled,omitempty"`
	// Interval between scrapes. Default 30s.
	Interval string `json:"interval,omitempty"`
	// Labels added to the ServiceMonitor, for a Prometheus serviceMonitorSelector.
	Labels map[string]string `json:"labels,omitempty"`
}

// PrometheusRule configures the monitoring.coreos.com/v1 PrometheusRule.
type PrometheusRule struct {
	// Enabled renders it; needs metrics.serviceMonitor.enabled, since the
	// alerts select the series by the job its ServiceMonitor gives them
	// (<name>-metrics). The pod alerts read kube-state-metrics.
	Enabled bool `json:"enabled,omitempty"`
	// Labels added to the PrometheusRule, for a Prometheus ruleSelector.
	Labels map[string]string `json:"labels,omitempty"`
	// AlertLabels are added to every alert, for Alertmanager routing
	// (team: payments). severity is mysqlgen's.
	AlertLabels map[string]string `json:"alertLabels,omitempty"`
}

// Resources are a container's requests and limits, as Kubernetes quantities
// keyed by resource name (cpu, memory, ephemeral-storage).
type Resources struct {
	Requests map[string]string `json:"requests,omitempty"`
	Limits   map[string]string `json:"limits,omitempty"`
}

// Credentials names an existing Secret. Its keys: root-password,
// replication-password and backup-password, none of them empty. Create it
// with `mysqlgen secret` or `kubectl create secret generic`.
type Credentials struct {
	// SecretName of the Secret with the passwords. Default <name>-credentials.
	SecretName string `json:"secretName,omitempty"`
}

// Replication tunes replication.
type Replication struct {
	// GTID turns on GTID-based replication. Default true for MySQL 8.0, 8.4
	// and MariaDB; binlog file and position for MySQL 5.7.
	GTID *bool `json:"gtid,omitempty"`
	// MaxLagSeconds is the lag beyond which a replica reports not ready, so
	// that <name>-read stops sending it reads. Default 30.
	MaxLagSeconds *int32 `json:"maxLagSeconds,omitempty"`
	// SemiSync makes the primary wait, on commit, until a replica has the
	// transaction (falling back to asynchronous after 10 s without one).
	SemiSync bool `json:"semiSync,omitempty"`
}

// Values of the enumerated fields.
const (
	AntiAffinitySoft = "soft"
	AntiAffinityHard = "hard"
	AntiAffinityNone = "none"
	ZoneSpreadNone   = "none"
	ZoneSpreadSoft   = "soft"
	ZoneSpreadHard   = "hard"
	RetentionRetain  = "Retain"
	RetentionDelete  = "Delete"
)

// Secret keys the credentials Secret must hold; metrics-password only while
// metrics are enabled.
const (
	SecretKeyRoot        = "root-password"
	SecretKeyReplication = "replication-password"
	SecretKeyBackup      = "backup-password"
	SecretKeyMetrics     = "metrics-password"
)

// SecretKeys lists the keys of the credentials Secret in a fixed order.
var SecretKeys = []string{SecretKeyRoot, SecretKeyReplication, SecretKeyBackup, SecretKeyMetrics}
