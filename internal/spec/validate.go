package spec

import (
	"fmt"
	"regexp"
	"slices"
	"strings"

	"k8s.io/apimachinery/pkg/api/resource"
	apivalidation "k8s.io/apimachinery/pkg/api/validation"
	metav1validation "k8s.io/apimachinery/pkg/apis/meta/v1/validation"
	"k8s.io/apimachinery/pkg/util/validation"
	"k8s.io/apimachinery/pkg/util/validation/field"
)

// Limits of a cluster's shape.
const (
	// MaxReplicas: every replica streams the primary's binlog; beyond this a
	// single primary is the wrong design.
	MaxReplicas = 16
	// MaxNameLength: the StatefulSet controller labels each pod with
	// <name>-<10-character hash>, a label value of at most 63 characters.
	MaxNameLength = 52
	MaxLagLimit   = 86400
)

// ReservedLabelPrefix marks the labels mysqlgen sets itself; selectors
// depend on them, so users may not set them.
const ReservedLabelPrefix = "app.kubernetes.io/"

var (
	pullPolicies  = []string{"Always", "IfNotPresent", "Never"}
	resourceNames = []string{"cpu", "ephemeral-storage", "memory"}
)

// Validate reports every problem of a defaulted cluster at once.
func Validate(c *MySQLCluster) field.ErrorList {
	var errs field.ErrorList
	errs = append(errs, validateMetadata(&c.Metadata, field.NewPath("metadata"))...)
	specErrs := validateSpec(&c.Spec, field.NewPath("spec"))
	// A Secret name derived from a bad or missing cluster name repeats the
	// name's error.
	if len(errs) > 0 && (c.Spec.Credentials.SecretName == "" || c.Spec.Credentials.SecretName == c.Metadata.Name+SecretNameSuffix) {
		specErrs = slices.DeleteFunc(specErrs, func(e *field.Error) bool { return e.Field == "spec.credentials.secretName" })
	}
	errs = append(errs, specErrs...)
	return errs
}

func validateMetadata(m *ObjectMeta, p *field.Path) field.ErrorList {
	var errs field.ErrorList
	switch {
	case m.Name == "":
		errs = append(errs, field.Required(p.Child("name"), "the cluster's name"))
	case len(m.Name) > MaxNameLength:
		errs = append(errs, field.TooLong(p.Child("name"), m.Name, MaxNameLength))
	default:
		for _, msg := range validation.IsDNS1035Label(m.Name) {
			errs = append(errs, field.Invalid(p.Child("name"), m.Name, msg))
		}
	}
	if m.Namespace != "" {
		for _, msg := range validation.IsDNS1123Label(m.Namespace) {
			errs = append(errs, field.Invalid(p.Child("namespace"), m.Namespace, msg))
		}
	}
	errs = append(errs, metav1validation.ValidateLabels(m.Labels, p.Child("labels"))...)
	errs = append(errs, apivalidation.ValidateAnnotations(m.Annotations, p.Child("annotations"))...)
	for _, k := range sortedKeys(m.Labels) {
		if strings.HasPrefix(k, ReservedLabelPrefix) {
			errs = append(errs, field.Forbidden(p.Child("labels").Key(k),
				fmt.Sprintf("labels with the prefix %s are set by mysqlgen and select its pods", ReservedLabelPrefix)))
		}
	}
	return errs
}

func validateSpec(s *ClusterSpec, p *field.Path) field.ErrorList {
	var errs field.ErrorList
	if r := *s.Replicas; r < 1 || r > MaxReplicas {
		errs = append(errs, field.Invalid(p.Child("replicas"), r, fmt.Sprintf("must be between 1 and %d", MaxReplicas)))
	}
	errs = append(errs, validatePrimary(s, p.Child("primary"))...)
	switch versions := Versions(s.Flavor); {
	case versions == nil:
		errs = append(errs, field.NotSupported(p.Child("flavor"), s.Flavor, []string{FlavorMariaDB, FlavorMySQL}))
	case !slices.Contains(versions, s.Version):
		errs = append(errs, field.NotSupported(p.Child("version"), s.Version, versions))
	}
	// With no known release there are no default images to miss.
	if _, known := LookupRelease(s.Flavor, s.Version); known || s.Image != "" {
		errs = append(errs, validateImage(s.Image, p.Child("image"))...)
	}
	if _, known := LookupRelease(s.Flavor, s.Version); known || s.BackupImage != "" {
		errs = append(errs, validateImage(s.BackupImage, p.Child("backupImage"))...)
	}
	errs = append(errs, validateRegistryAccess(s, p)...)
	if !slices.Contains(pullPolicies, s.ImagePullPolicy) {
		errs = append(errs, field.NotSupported(p.Child("imagePullPolicy"), s.ImagePullPolicy, pullPolicies))
	}
	errs = append(errs, validateStorageSize(s.Storage.Size, p.Child("storage", "size"))...)
	if sc := s.Storage.StorageClassName; sc != "" {
		for _, msg := range validation.IsDNS1123Subdomain(sc) {
			errs = append(errs, field.Invalid(p.Child("storage", "storageClassName"), sc, msg))
		}
	}
	errs = append(errs, validateResources(&s.Resources, p.Child("resources"))...)
	errs = append(errs, validateMemory(s, p)...)
	errs = append(errs, validateResources(&s.BackupResources, p.Child("backupResources"))...)
	if n := s.Credentials.SecretName; n == "" {
		errs = append(errs, field.Required(p.Child("credentials", "secretName"), "the Secret with the passwords"))
	} else {
		for _, msg := range validation.IsDNS1123Subdomain(n) {
			errs = append(errs, field.Invalid(p.Child("credentials", "secretName"), n, msg))
		}
	}
	errs = append(errs, validateConfig(s.Config, optionPrefixes(s.Flavor, s.Version), p.Child("config"))...)
	errs = append(errs, validatePositionReplication(s, p.Child("replication", "gtid"))...)
	errs = append(errs, validateKubernetesFields(s, p)...)
	if l := *s.Replication.MaxLagSeconds; l < 1 || l > MaxLagLimit {
		errs = append(errs, field.Invalid(p.Child("replication", "maxLagSeconds"), l, fmt.Sprintf("must be between 1 and %d", MaxLagLimit)))
	}
	errs = append(errs, validateTLSAndAccounts(s, p)...)
	errs = append(errs, validatePatches(s.Patches, p.Child("patches"))...)
	errs = append(errs, validatePrometheusRule(&s.Metrics, p.Child("metrics", "prometheusRule"))...)
	return errs
}

// AlertSeverityLabel is the label every rendered alert sets itself.
const AlertSeverityLabel = "severity"

// promLabelNameRE is a Prometheus label name as every Prometheus version
// accepts it (3.x also takes UTF-8 names, but only quoted in PromQL).
var promLabelNameRE = regexp.MustCompile(`^[a-zA-Z_][a-zA-Z0-9_]*$`)

func validatePrometheusRule(m *Metrics, p *field.Path) field.ErrorList {
	r := &m.PrometheusRule
	if !r.Enabled {
		return nil
	}
	var errs field.ErrorList
	if !m.Enabled || !m.ServiceMonitor.Enabled {
		errs = append(errs, field.Invalid(p.Child("enabled"), true,
			"needs metrics.enabled and metrics.serviceMonitor.enabled: the alerts select the exporter's series by the job its ServiceMonitor gives them"))
	}
	errs = append(errs, metav1validation.ValidateLabels(r.Labels, p.Child("labels"))...)
	for _, k := range sortedKeys(r.AlertLabels) {
		kp := p.Child("alertLabels").Key(k)
		switch {
		case !promLabelNameRE.MatchString(k) || strings.HasPrefix(k, "__"):
			errs = append(errs, field.Invalid(kp, k, "must be a Prometheus label name: letters, digits and '_', not starting with a digit or '__'"))
		case k == AlertSeverityLabel:
			errs = append(errs, field.Forbidden(kp, "mysqlgen sets each alert's severity"))
		case r.AlertLabels[k] == "":
			errs = append(errs, field.Required(kp, "an empty value would drop the label"))
		}
	}
	return errs
}

// validatePositionReplication refuses binlog-position replication where no
// member could be cloned: the sidecar streams XtraBackup with --slave-info,
// which XtraBackup 8 refuses on a multi-threaded replica without GTID
// (detect_mysql_capabilities_for_backup in percona-xtrabackup's
// storage/innobase/xtrabackup/src/backup_mysql.cc: more than one
// replica_parallel_workers, the default 4 since MySQL 8.0.27), unless
// spec.config keeps one applier thread.
func validatePositionReplication(s *ClusterSpec, p *field.Path) field.ErrorList {
	r, known := LookupRelease(s.Flavor, s.Version)
	if !known || s.Replication.GTID == nil || *s.Replication.GTID ||
		(r.Dialect != DialectMySQL80 && r.Dialect != DialectMySQL84) {
		return nil
	}
	for _, name := range []string{"replica_parallel_workers", "slave_parallel_workers"} {
		if v, set := ConfigValue(s.Config, name); set {
			if n, ok := ParseOptionSize(v); ok && n <= 1 {
				return nil
			}
		}
	}
	return field.ErrorList{field.Invalid(p, false, fmt.Sprintf(
		"%s %s clones with XtraBackup, which refuses a replica without GTID that applies with more than one thread (replica_parallel_workers, 4 by default): keep gtid: true, or set spec.config replica_parallel_workers: \"1\"",
		s.Flavor, s.Version))}
}

// MinStorageSize: a fresh server's data directory with its redo log takes a
// few hundred MiB (MySQL 8.0.30+ reserves 100MiB of redo alone), and the
// binary log rotates at 1GiB (max_binlog_size): less fills up at once.
const MinStorageSize = "1Gi"

func validateStorageSize(v string, p *field.Path) field.ErrorList {
	q, err := resource.ParseQuantity(v)
	if err != nil {
		return field.ErrorList{field.Invalid(p, v, "must be a quantity such as 10Gi or 500M")}
	}
	if q.Sign() <= 0 {
		return field.ErrorList{field.Invalid(p, v, "must be greater than zero")}
	}
	if q.Cmp(resource.MustParse(MinStorageSize)) < 0 {
		return field.ErrorList{field.Invalid(p, v, "must be at least "+MinStorageSize+
			" (a bare number is bytes): a new server's data directory and redo log take a few hundred MiB, and the binary log rotates at 1Gi")}
	}
	return nil
}

func validateResources(r *Resources, p *field.Path) field.ErrorList {
	var errs field.ErrorList
	parsed := map[string]map[string]resource.Quantity{}
	for _, kind := range []string{"requests", "limits"} {
		m := r.Requests
		if kind == "limits" {
			m = r.Limits
		}
		parsed[kind] = map[string]resource.Quantity{}
		for _, name := range sortedKeys(m) {
			fp := p.Child(kind).Key(name)
			if !slices.Contains(resourceNames, name) {
				errs = append(errs, field.NotSupported(fp, name, resourceNames))
				continue
			}
			q, err := resource.ParseQuantity(m[name])
			if err != nil {
				errs = append(errs, field.Invalid(fp, m[name], "must be a quantity such as 500m, 2 or 1Gi"))
				continue
			}
			if q.Sign() < 0 {
				errs = append(errs, field.Invalid(fp, m[name], "must not be negative"))
				continue
			}
			parsed[kind][name] = q
		}
	}
	for _, name := range resourceNames {
		req, hasReq := parsed["requests"][name]
		lim, hasLim := parsed["limits"][name]
		if hasReq && hasLim && req.Cmp(lim) > 0 {
			errs = append(errs, field.Invalid(p.Child("requests").Key(name), r.Requests[name],
				fmt.Sprintf("must not exceed the limit %s", r.Limits[name])))
		}
	}
	return errs
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}

// validatePrimary keeps the primary among the members, and on ordinal 0
// without GTIDs: members find their place in a new primary's history only by
// GTID, binary log positions being each server's own.
func validatePrimary(s *ClusterSpec, p *field.Path) field.ErrorList {
	if s.Primary == nil || *s.Primary == 0 {
		return nil
	}
	if pr := *s.Primary; pr < 0 || pr >= *s.Replicas {
		return field.ErrorList{field.Invalid(p, pr, "must be the ordinal of a member: at least 0 and below spec.replicas")}
	}
	if s.Replication.GTID != nil && !*s.Replication.GTID {
		return field.ErrorList{field.Invalid(p, *s.Primary, "a primary other than 0 needs spec.replication.gtid: members follow a new primary by GTID, binary log positions being each server's own")}
	}
	return nil
}
