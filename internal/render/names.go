package render

// Names, ports and paths shared by the rendered objects, in one place. The
// scripts receive every one of them through their environment (see env.go).
const (
	// Suffixes of object names; the StatefulSet and its headless Service
	// carry the cluster's name itself.
	configSuffix  = "-config"
	scriptsSuffix = "-scripts"
	readSuffix    = "-read"
	primarySuffix = "-primary"
	metricsSuffix = "-metrics"

	// Containers, as in the tutorial, so `kubectl logs -c` works the same.
	containerInit    = "init-mysql"
	containerClone   = "clone-mysql"
	containerServer  = "mysql"
	containerBackup  = "xtrabackup"
	containerMetrics = "metrics"

	// Ports and their names (at most 15 characters).
	portMySQL       = 3306
	portBackup      = 3307
	portMetrics     = 9104
	portNameMySQL   = "mysql"
	portNameBackup  = "backup"
	portNameMetrics = "metrics"

	// Volumes.
	volumeData      = "data"   // the claim template: PVCs are data-<name>-<ordinal>
	volumeConfig    = "config" // the -config ConfigMap: what the spec says
	volumeScripts   = "scripts"
	volumeSecret    = "credentials"
	volumeGenerated = "generated" // what init-mysql writes from it for this pod
	volumeRun       = "run"
	volumeTmp       = "tmp"

	// Mount paths. The data directory is data/ inside the volume so that the
	// scripts can build it beside, on the same filesystem, and rename it.
	pathDataRoot  = "/var/lib/mysql"
	pathConfigMap = "/etc/mysqlgen/config"
	pathGenerated = "/etc/mysqlgen/generated"
	pathSecret    = "/etc/mysqlgen/credentials"
	pathScripts   = "/opt/mysqlgen/scripts"
	pathRun       = "/run/mysqld"
	pathTmp       = "/tmp"
	pathSocket    = pathRun + "/mysqld.sock"
	pathPID       = pathRun + "/mysqld.pid"
	pathDataDir   = pathDataRoot + "/data"

	// Files.
	fileMyCnf = "my.cnf"

	// Users the scripts create on the primary; replicas clone them.
	userReplication = "replication"
	userBackup      = "backup"
	userMetrics     = "metrics"

	// The exporter reads its client file, which init-mysql writes, and its
	// password from the Secret's key through the variable it knows.
	fileMetricsCnf           = "metrics.cnf"
	secretKeyMetricsPassword = "metrics-password"
	envExporterPassword      = "MYSQLD_EXPORTER_PASSWORD"

	// Topology keys.
	topologyHostname = "kubernetes.io/hostname"
	topologyZone     = "topology.kubernetes.io/zone"

	// The uid and gid of the mysql user in the server images; every
	// container runs as it, since all of them touch the data directory.
	mysqlUID = 999

	// Pod template annotation with a digest of the ConfigMaps, so that a
	// changed setting or script rolls the pods, as Helm users expect.
	annotationConfigDigest = "mysqlgen.dev/config-digest"

	// Marks the metrics Service, the only one a ServiceMonitor selects.
	labelMetricsService = "mysqlgen.dev/metrics"

	// The StatefulSet controller's label with each pod's ordinal.
	labelPodIndex = "apps.kubernetes.io/pod-index"

	// Label keys (Kubernetes' recommended labels).
	labelName      = "app.kubernetes.io/name"
	labelInstance  = "app.kubernetes.io/instance"
	labelVersion   = "app.kubernetes.io/version"
	labelComponent = "app.kubernetes.io/component"
	labelPartOf    = "app.kubernetes.io/part-of"
	labelManagedBy = "app.kubernetes.io/managed-by"

	componentDatabase = "database"
	componentBackup   = "backup"

	// Backups (spec.backup) and restore (spec.restore): the CronJob, its
	// NetworkPolicy and the rendered claim are <name>-backup.
	backupSuffix        = "-backup"
	containerBackupJob  = "backup"
	containerTools      = "tools"
	volumeTools         = "tools"   // emptyDir rclone is copied into
	volumeBackups       = "backups" // the backup Job's claim
	volumeRestore       = "restore" // the restoring members' claim
	pathTools           = "/mysqlgen-tools"
	pathRclone          = pathTools + "/rclone"
	pathRcloneInImage   = "/usr/local/bin/rclone" // rclone/rclone Dockerfile
	pathBackupDir       = "/mysqlgen-backups"
	scriptBackup        = "backup.sh"
	dnsPort             = 53
	httpsPort           = 443
	httpPort            = 80
	backupJobRetries    = 2
	backupJobHistory    = 3
	backupStartDeadline = 3600
	backupListArg       = "list" // backup.sh list: print the complete backups
	backupListSuffix    = "-backup-list"
	backupListDeadline  = 600
	backupListTTL       = 3600
	managedBy           = "mysqlgen"
)
