// Package spec owns the user's language: the MySQLCluster spec types, how a
// spec is loaded (strictly), defaulted and validated, and the table of
// supported flavors and versions. It knows nothing of Kubernetes objects.
package spec

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
	// Flavor is mysql (default) or mariadb.
	Flavor string `json:"flavor,omitempty"`
	// Version is the server's major.minor: 5.7, 8.0 or 8.4 (default) for
	// mysql; 10.11 (default) or 11.4 for mariadb. It picks the default images
	// and the replication SQL dialect.
	Version string `json:"version,omitempty"`
	// Image overrides the server image.
	Image string `json:"image,omitempty"`
	// BackupImage overrides the backup image (clone-mysql and the sidecar). It
	// must hold the backup tool of the server's version and socat.
	BackupImage string `json:"backupImage,omitempty"`
	// ImagePullPolicy of every container: IfNotPresent (default), Always or Never.
	ImagePullPolicy string `json:"imagePullPolicy,omitempty"`
	// Storage is each member's data volume.
	Storage Storage `json:"storage,omitempty"`
	// Resources of the server container.
	Resources Resources `json:"resources,omitempty"`
	// BackupResources of the backup sidecar (and the init containers).
	BackupResources Resources `json:"backupResources,omitempty"`
	// Credentials names the Secret that holds the passwords.
	Credentials Credentials `json:"credentials,omitempty"`
	// Config holds extra [mysqld] settings for my.cnf, written in sorted
	// order. Settings that replication depends on cannot be overridden.
	Config map[string]string `json:"config,omitempty"`
	// Replication tunes how replicas follow the primary.
	Replication Replication `json:"replication,omitempty"`
}

// Storage is a member's PersistentVolumeClaim.
type Storage struct {
	// Size of each member's volume, a Kubernetes quantity. Default 10Gi.
	Size string `json:"size,omitempty"`
	// StorageClassName of the claims; empty uses the cluster's default class.
	StorageClassName string `json:"storageClassName,omitempty"`
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
}

// Secret keys the credentials Secret must hold.
const (
	SecretKeyRoot        = "root-password"
	SecretKeyReplication = "replication-password"
	SecretKeyBackup      = "backup-password"
)

// SecretKeys lists the keys of the credentials Secret in a fixed order.
var SecretKeys = []string{SecretKeyRoot, SecretKeyReplication, SecretKeyBackup}
