package spec

// Backup schedules hot backups, taken by a CronJob from a member's backup
// port (the stream the members clone from), to a PersistentVolumeClaim or an
// S3-compatible bucket. Each backup is named by its UTC start time,
// YYYYMMDDTHHMMSSZ, and is complete exactly when its mysqlgen-backup.txt
// exists.
type Backup struct {
	// Schedule of the backups, as a CronJob takes it: five fields (minute
	// hour day-of-month month day-of-week) or @hourly, @daily, @weekly,
	// @monthly, @yearly, @every <duration>. Required.
	Schedule string `json:"schedule"`
	// TimeZone of the schedule, an IANA name such as Europe/Berlin. Default:
	// the kube-controller-manager's time zone.
	TimeZone string `json:"timeZone,omitempty"`
	// Source is the member backed up: replica (default: a Ready replica, the
	// primary only when none is Ready, so backups do not load the primary)
	// or primary.
	Source string `json:"source,omitempty"`
	// Compression of the stream: gzip (default), zstd (only where the
	// backup image has zstd) or none.
	Compression string `json:"compression,omitempty"`
	// Retention is how many backups are kept, by count and by age.
	Retention BackupRetention `json:"retention,omitempty"`
	// PVC is a destination on a PersistentVolumeClaim. Exactly one of pvc
	// and s3.
	PVC *BackupPVC `json:"pvc,omitempty"`
	// S3 is a destination in an S3-compatible bucket. Exactly one of pvc
	// and s3.
	S3 *BackupS3 `json:"s3,omitempty"`
	// Resources of the backup Job's containers. Default: requests cpu 100m,
	// memory 128Mi, ephemeral-storage 128Mi; limits cpu 1, memory 512Mi,
	// ephemeral-storage 1Gi.
	Resources Resources `json:"resources,omitempty"`
	// ActiveDeadlineSeconds bounds one backup Job, retries included.
	// Default 21600 (6 hours).
	ActiveDeadlineSeconds *int64 `json:"activeDeadlineSeconds,omitempty"`
	// ToolsImage is the image rclone is copied from for an S3 destination
	// (and for a restore from S3). Default rclone/rclone:1.75.0, pulled from
	// spec.imageRegistry when that is set.
	ToolsImage string `json:"toolsImage,omitempty"`
}

// BackupRetention keeps backups by count and by age: a backup beyond
// either limit is deleted after a new backup completes. 0 means no limit on
// that axis; at least one must be above 0. Default: count 7, when neither is
// given.
type BackupRetention struct {
	// Count of complete backups kept.
	Count *int32 `json:"count,omitempty"`
	// MaxAgeDays: complete backups older than this many days are deleted.
	MaxAgeDays *int32 `json:"maxAgeDays,omitempty"`
}

// BackupPVC is a PersistentVolumeClaim holding backups: an existing claim
// (claimName), or one rendered as <name>-backup (size and an optional
// storageClassName), not both.
type BackupPVC struct {
	// ClaimName of an existing claim in the cluster's namespace.
	ClaimName string `json:"claimName,omitempty"`
	// Size of the rendered claim <name>-backup (ReadWriteOnce), a Kubernetes
	// quantity.
	Size string `json:"size,omitempty"`
	// StorageClassName of the rendered claim; empty uses the default class.
	StorageClassName string `json:"storageClassName,omitempty"`
}

// BackupS3 is an S3-compatible bucket holding backups under
// s3://bucket/prefix/.
type BackupS3 struct {
	// Endpoint URL of the S3 API, such as https://s3.eu-west-1.amazonaws.com
	// or https://minio.storage:9000: a scheme, a host and an optional port,
	// nothing else. https unless insecure is true.
	Endpoint string `json:"endpoint"`
	// Bucket name, as S3 names buckets: 3 to 63 lower-case letters, digits,
	// '.' and '-'.
	Bucket string `json:"bucket"`
	// Prefix of the backups' keys, without leading or trailing '/'.
	// Default: the cluster's name.
	Prefix string `json:"prefix,omitempty"`
	// Region of the bucket. Default us-east-1.
	Region string `json:"region,omitempty"`
	// CredentialsSecret names the Secret with the keys AWS_ACCESS_KEY_ID and
	// AWS_SECRET_ACCESS_KEY. Required.
	CredentialsSecret string `json:"credentialsSecret"`
	// Insecure allows an http:// endpoint (no TLS). Default false.
	Insecure bool `json:"insecure,omitempty"`
}

// Restore makes a new cluster start from a backup: the primary's ordinal
// restores it instead of initialising an empty server, the others clone
// from it as usual. A member that already holds other data refuses to
// start. Every member mounts a restore claim, so it must be ReadOnlyMany or
// ReadWriteMany, or the cluster restored with one replica. Remove
// spec.restore once the cluster is up.
type Restore struct {
	// Backup to restore: latest (the newest complete backup) or a backup's
	// name, YYYYMMDDTHHMMSSZ. Required.
	Backup string `json:"backup"`
	// PVC holding the backup. Default: spec.backup's destination.
	PVC *RestorePVC `json:"pvc,omitempty"`
	// S3 bucket holding the backup. Default: spec.backup's destination.
	S3 *BackupS3 `json:"s3,omitempty"`
	// ToolsImage is the image rclone is copied from for a restore from S3.
	// Default: spec.backup.toolsImage, else rclone/rclone:1.75.0 (pulled from
	// spec.imageRegistry when that is set).
	ToolsImage string `json:"toolsImage,omitempty"`
}

// RestorePVC is the existing claim a backup is restored from.
type RestorePVC struct {
	// ClaimName of the claim, in the cluster's namespace. Required.
	ClaimName string `json:"claimName"`
}

// Values of the backup fields.
const (
	BackupSourceReplica    = "replica"
	BackupSourcePrimary    = "primary"
	CompressionGzip        = "gzip"
	CompressionZstd        = "zstd"
	CompressionNone        = "none"
	RestoreLatest          = "latest"
	S3KeyAccessKeyID       = "AWS_ACCESS_KEY_ID"
	S3KeySecretAccessKey   = "AWS_SECRET_ACCESS_KEY"
	BackupClaimSuffix      = "-backup"
	DefaultBackupSource    = BackupSourceReplica
	DefaultCompression     = CompressionGzip
	DefaultBackupKeep      = 7
	DefaultS3Region        = "us-east-1"
	DefaultBackupDeadline  = 6 * 3600
	backupNameLayout       = "20060102T150405Z"
	maxBackupDeadline      = 7 * 24 * 3600
	maxBackupRetentionKeep = 10000
)

// DefaultBackupJobResources: the Job only relays the stream (socat, a
// compressor, rclone's multipart buffers).
var DefaultBackupJobResources = Resources{
	Requests: map[string]string{"cpu": "100m", "memory": "128Mi", "ephemeral-storage": "128Mi"},
	Limits:   map[string]string{"cpu": "1", "memory": "512Mi", "ephemeral-storage": "1Gi"},
}

// BackupClaimName is the name of a backup destination's claim: the one
// given, or the rendered <cluster>-backup.
func BackupClaimName(cluster string, p *BackupPVC) string {
	if p.ClaimName != "" {
		return p.ClaimName
	}
	return cluster + BackupClaimSuffix
}
