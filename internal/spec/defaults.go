package spec

import "slices"

// Defaults that are not a release's. Each is what a user gets for a field
// left empty; `mysqlgen init` shows them.
const (
	DefaultName            = "mysql"
	DefaultReplicas        = 3
	DefaultStorageSize     = "10Gi"
	DefaultImagePullPolicy = "IfNotPresent"
	DefaultMaxLagSeconds   = 30
	// A clean InnoDB shutdown flushes dirty pages; five minutes covers a
	// large buffer pool on slow disks, and costs nothing when it is quick.
	DefaultTerminationGracePeriodSeconds = 300
	DefaultAntiAffinity                  = AntiAffinitySoft
	DefaultZoneSpread                    = ZoneSpreadNone
	DefaultMaxUnavailable                = 1
	DefaultRetention                     = RetentionRetain
	// mysqld_exporter: v0.15 on reads credentials from --config.my-cnf.
	// prometheus/mysqld_exporter Dockerfile: FROM quay.io/prometheus/busybox,
	// USER nobody, ENTRYPOINT /bin/mysqld_exporter.
	DefaultMetricsImage   = "prom/mysqld-exporter:v0.17.2"
	DefaultScrapeInterval = "30s"
	// SecretNameSuffix makes the default Secret name, <name>-credentials.
	SecretNameSuffix = "-credentials"
)

// Default resources. The server's memory limit equals its request so that
// the kernel never reclaims the buffer pool under pressure; the backup tools
// need little memory but must not starve the server.
var (
	// Ephemeral storage covers /tmp (sorts, temporary tables) and logs.
	DefaultResources = Resources{
		Requests: map[string]string{"cpu": "500m", "memory": "1Gi", "ephemeral-storage": "512Mi"},
		Limits:   map[string]string{"cpu": "2", "memory": "1Gi", "ephemeral-storage": "4Gi"},
	}
	DefaultBackupResources = Resources{
		Requests: map[string]string{"cpu": "100m", "memory": "128Mi", "ephemeral-storage": "128Mi"},
		Limits:   map[string]string{"cpu": "1", "memory": "512Mi", "ephemeral-storage": "1Gi"},
	}
	DefaultMetricsResources = Resources{
		Requests: map[string]string{"cpu": "50m", "memory": "32Mi", "ephemeral-storage": "16Mi"},
		Limits:   map[string]string{"cpu": "250m", "memory": "128Mi", "ephemeral-storage": "64Mi"},
	}
	DefaultAccessModes = []string{"ReadWriteOnce"}
)

// SetDefaults fills every field left empty. It is idempotent and never
// overwrites what the user set; an unknown flavor or version is left for
// Validate to report.
func SetDefaults(c *MySQLCluster) {
	s := &c.Spec
	if s.Replicas == nil {
		s.Replicas = ptr(int32(DefaultReplicas))
	}
	if s.Flavor == "" {
		s.Flavor = FlavorMySQL
	}
	if s.Version == "" {
		s.Version = DefaultVersions[s.Flavor]
	}
	if r, ok := LookupRelease(s.Flavor, s.Version); ok {
		if s.Image == "" {
			s.Image = r.Image
		}
		if s.BackupImage == "" {
			s.BackupImage = r.BackupImage
		}
		if s.Replication.GTID == nil {
			s.Replication.GTID = ptr(r.GTID)
		}
	}
	if s.ImagePullPolicy == "" {
		s.ImagePullPolicy = DefaultImagePullPolicy
	}
	if s.Storage.Size == "" {
		s.Storage.Size = DefaultStorageSize
	}
	defaultResources(&s.Resources, DefaultResources)
	defaultResources(&s.BackupResources, DefaultBackupResources)
	if s.Credentials.SecretName == "" && c.Metadata.Name != "" {
		s.Credentials.SecretName = c.Metadata.Name + SecretNameSuffix
	}
	if s.Replication.MaxLagSeconds == nil {
		s.Replication.MaxLagSeconds = ptr(int32(DefaultMaxLagSeconds))
	}
	if len(s.Storage.AccessModes) == 0 {
		s.Storage.AccessModes = slices.Clone(DefaultAccessModes)
	}
	if s.Storage.RetentionPolicy.WhenDeleted == "" {
		s.Storage.RetentionPolicy.WhenDeleted = DefaultRetention
	}
	if s.Storage.RetentionPolicy.WhenScaled == "" {
		s.Storage.RetentionPolicy.WhenScaled = DefaultRetention
	}
	if s.TerminationGracePeriodSeconds == nil {
		s.TerminationGracePeriodSeconds = ptr(int64(DefaultTerminationGracePeriodSeconds))
	}
	if s.Scheduling.AntiAffinity == "" {
		s.Scheduling.AntiAffinity = DefaultAntiAffinity
	}
	if s.Scheduling.ZoneSpread == "" {
		s.Scheduling.ZoneSpread = DefaultZoneSpread
	}
	if s.PodDisruptionBudget.Enabled == nil {
		s.PodDisruptionBudget.Enabled = ptr(true)
	}
	if s.PodDisruptionBudget.MaxUnavailable == nil {
		s.PodDisruptionBudget.MaxUnavailable = ptr(int32(DefaultMaxUnavailable))
	}
	if s.NetworkPolicy.Enabled == nil {
		s.NetworkPolicy.Enabled = ptr(true)
	}
	if s.Metrics.Enabled {
		if s.Metrics.Image == "" {
			s.Metrics.Image = DefaultMetricsImage
		}
		defaultResources(&s.Metrics.Resources, DefaultMetricsResources)
	}
	if s.Metrics.ServiceMonitor.Enabled && s.Metrics.ServiceMonitor.Interval == "" {
		s.Metrics.ServiceMonitor.Interval = DefaultScrapeInterval
	}
	defaultTLSAndAccounts(s)
	applyImageRegistry(s)
}

// defaultResources applies the defaults only when the user gave neither
// requests nor limits: a user who sets some is taken at their word.
func defaultResources(r *Resources, d Resources) {
	if len(r.Requests) == 0 && len(r.Limits) == 0 {
		r.Requests = clone(d.Requests)
		r.Limits = clone(d.Limits)
	}
}

func clone(m map[string]string) map[string]string {
	out := make(map[string]string, len(m))
	for k, v := range m {
		out[k] = v
	}
	return out
}

func ptr[T any](v T) *T { return &v }
