package spec

// Defaults that are not a release's. Each is what a user gets for a field
// left empty; `mysqlgen init` shows them.
const (
	DefaultName            = "mysql"
	DefaultReplicas        = 3
	DefaultStorageSize     = "10Gi"
	DefaultImagePullPolicy = "IfNotPresent"
	DefaultMaxLagSeconds   = 30
	// SecretNameSuffix makes the default Secret name, <name>-credentials.
	SecretNameSuffix = "-credentials"
)

// Default resources. The server's memory limit equals its request so that
// the kernel never reclaims the buffer pool under pressure; the backup tools
// need little memory but must not starve the server.
var (
	DefaultResources = Resources{
		Requests: map[string]string{"cpu": "500m", "memory": "1Gi"},
		Limits:   map[string]string{"cpu": "2", "memory": "1Gi"},
	}
	DefaultBackupResources = Resources{
		Requests: map[string]string{"cpu": "100m", "memory": "128Mi"},
		Limits:   map[string]string{"cpu": "1", "memory": "512Mi"},
	}
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
