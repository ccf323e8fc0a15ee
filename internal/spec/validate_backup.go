package spec

import (
	"fmt"
	"net"
	"net/url"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"
	// The time zone database is embedded so that a timeZone is judged the
	// same on every machine, as the API server judges it: kubernetes'
	// cmd/kube-apiserver/apiserver.go imports time/tzdata for CronJobs.
	_ "time/tzdata"

	"github.com/robfig/cron/v3"
	"k8s.io/apimachinery/pkg/api/resource"
	"k8s.io/apimachinery/pkg/util/validation"
	"k8s.io/apimachinery/pkg/util/validation/field"
)

var (
	backupSources = []string{BackupSourcePrimary, BackupSourceReplica}
	compressions  = []string{CompressionGzip, CompressionNone, CompressionZstd}
	// Kubernetes' pkg/apis/batch/validation validTimeZoneCharacters: one
	// component of an IANA name.
	timeZonePartRE = regexp.MustCompile(`^[A-Za-z\.\-_0-9+]{1,14}$`)
	// A backup's name is its UTC start time.
	backupNameRE = regexp.MustCompile(`^[0-9]{8}T[0-9]{6}Z$`)
	// S3 bucket naming rules (general purpose buckets): 3 to 63 characters,
	// lower-case letters, digits, '.' and '-', a letter or digit at each end.
	bucketRE = regexp.MustCompile(`^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$`)
	// Key prefixes: path segments of characters that need no escaping in
	// an S3 key, a URL or a shell word.
	s3PrefixRE = regexp.MustCompile(`^[A-Za-z0-9_.-]+(/[A-Za-z0-9_.-]+)*$`)
	regionRE   = regexp.MustCompile(`^[A-Za-z0-9_-]{1,64}$`)
)

const (
	maxBackupAgeDays  = 36500
	maxS3PrefixLen    = 512
	minBackupDeadline = 60
)

// validateBackupRestore checks spec.backup and spec.restore, defaulted.
func validateBackupRestore(c *MySQLCluster) field.ErrorList {
	s, p := &c.Spec, field.NewPath("spec")
	var errs field.ErrorList
	if b := s.Backup; b != nil {
		errs = append(errs, validateBackup(b, p.Child("backup"))...)
		errs = append(errs, validateZstd(s, p.Child("backup", "compression"))...)
	}
	if r := s.Restore; r != nil {
		errs = append(errs, validateRestore(c, p.Child("restore"))...)
	}
	return errs
}

// validateZstd refuses zstd with a default backup image that has no zstd
// CLI (the MariaDB images, the Percona 8.4 and 5.7 ones): the Job would fail
// at its first run. A backupImage of the user's own is trusted to have it.
func validateZstd(s *ClusterSpec, p *field.Path) field.ErrorList {
	r, ok := LookupRelease(s.Flavor, s.Version)
	if s.Backup.Compression != CompressionZstd || !ok || r.BackupZstd {
		return nil
	}
	if s.BackupImage != r.BackupImage && (s.ImageRegistry == "" || s.BackupImage != Mirrored(s.ImageRegistry, r.BackupImage)) {
		return nil
	}
	return field.ErrorList{field.Invalid(p, CompressionZstd, fmt.Sprintf(
		"the default backup image %s has no zstd: use gzip or none, or set backupImage to an image with zstd", r.BackupImage))}
}

func validateBackup(b *Backup, p *field.Path) field.ErrorList {
	errs := validateSchedule(b.Schedule, p.Child("schedule"))
	if b.TimeZone != "" {
		errs = append(errs, validateTimeZone(b.TimeZone, p.Child("timeZone"))...)
	}
	if !slices.Contains(backupSources, b.Source) {
		errs = append(errs, field.NotSupported(p.Child("source"), b.Source, backupSources))
	}
	if !slices.Contains(compressions, b.Compression) {
		errs = append(errs, field.NotSupported(p.Child("compression"), b.Compression, compressions))
	}
	errs = append(errs, validateRetention(&b.Retention, p.Child("retention"))...)
	switch {
	case b.PVC != nil && b.S3 != nil:
		errs = append(errs, field.Forbidden(p.Child("s3"), "give exactly one destination: pvc or s3, not both"))
	case b.PVC == nil && b.S3 == nil:
		errs = append(errs, field.Required(p.Child("pvc"), "a destination: pvc (a claim) or s3 (a bucket)"))
	case b.PVC != nil:
		errs = append(errs, validateBackupPVC(b.PVC, p.Child("pvc"))...)
	default:
		errs = append(errs, validateS3(b.S3, p.Child("s3"))...)
	}
	errs = append(errs, validateResources(&b.Resources, p.Child("resources"))...)
	if d := *b.ActiveDeadlineSeconds; d < minBackupDeadline || d > maxBackupDeadline {
		errs = append(errs, field.Invalid(p.Child("activeDeadlineSeconds"), d,
			fmt.Sprintf("must be between %d and %d (7 days)", minBackupDeadline, maxBackupDeadline)))
	}
	errs = append(errs, validateImage(b.ToolsImage, p.Child("toolsImage"))...)
	return errs
}

// validateSchedule takes what the CronJob API takes for a new object
// (kubernetes pkg/apis/batch/validation validateScheduleFormat):
// robfig/cron/v3's ParseStandard, and no TZ= or CRON_TZ= in the schedule.
func validateSchedule(schedule string, p *field.Path) field.ErrorList {
	if strings.TrimSpace(schedule) == "" {
		return field.ErrorList{field.Required(p, `a cron schedule such as "0 3 * * *" (03:00 every day) or @daily`)}
	}
	if strings.Contains(schedule, "TZ") {
		return field.ErrorList{field.Invalid(p, schedule, "must not name a time zone (TZ= or CRON_TZ=): use spec.backup.timeZone")}
	}
	if _, err := cron.ParseStandard(schedule); err != nil {
		return field.ErrorList{field.Invalid(p, schedule, fmt.Sprintf(
			"must be five fields (minute hour day-of-month month day-of-week) or @hourly, @daily, @weekly, @monthly, @yearly, @every <duration>: %v", err))}
	}
	return nil
}

// validateTimeZone follows kubernetes pkg/apis/batch/validation
// validateTimeZone: IANA name components, not Local, and a zone the time
// zone database knows.
func validateTimeZone(tz string, p *field.Path) field.ErrorList {
	for _, part := range strings.Split(tz, "/") {
		if part == "." || part == ".." || strings.HasPrefix(part, "-") || !timeZonePartRE.MatchString(part) {
			return field.ErrorList{field.Invalid(p, tz, "must be an IANA time zone name such as Europe/Berlin or UTC")}
		}
	}
	if strings.EqualFold(tz, "Local") {
		return field.ErrorList{field.Invalid(p, tz, "must be an explicit IANA time zone such as Europe/Berlin, not Local")}
	}
	if _, err := time.LoadLocation(tz); err != nil {
		return field.ErrorList{field.Invalid(p, tz, "unknown time zone: must be an IANA time zone name such as Europe/Berlin or UTC")}
	}
	return nil
}

func validateRetention(r *BackupRetention, p *field.Path) field.ErrorList {
	var errs field.ErrorList
	if c := *r.Count; c < 0 || c > maxBackupRetentionKeep {
		errs = append(errs, field.Invalid(p.Child("count"), c, fmt.Sprintf("must be between 0 (no limit) and %d", maxBackupRetentionKeep)))
	}
	if d := *r.MaxAgeDays; d < 0 || d > maxBackupAgeDays {
		errs = append(errs, field.Invalid(p.Child("maxAgeDays"), d, fmt.Sprintf("must be between 0 (no limit) and %d", maxBackupAgeDays)))
	}
	if len(errs) == 0 && *r.Count == 0 && *r.MaxAgeDays == 0 {
		errs = append(errs, field.Invalid(p.Child("count"), 0, "count and maxAgeDays are both 0, which would keep every backup for ever: set one of them above 0"))
	}
	return errs
}

func validateBackupPVC(c *BackupPVC, p *field.Path) field.ErrorList {
	var errs field.ErrorList
	switch {
	case c.ClaimName != "" && (c.Size != "" || c.StorageClassName != ""):
		f := "size"
		if c.Size == "" {
			f = "storageClassName"
		}
		return field.ErrorList{field.Forbidden(p.Child(f), "name an existing claim (claimName) or have one rendered (size, storageClassName), not both")}
	case c.ClaimName != "":
		for _, msg := range validation.IsDNS1123Subdomain(c.ClaimName) {
			errs = append(errs, field.Invalid(p.Child("claimName"), c.ClaimName, msg))
		}
	case c.Size == "":
		return field.ErrorList{field.Required(p.Child("claimName"), "an existing claim (claimName), or size for a rendered one")}
	default:
		if q, err := resource.ParseQuantity(c.Size); err != nil || q.Sign() <= 0 {
			errs = append(errs, field.Invalid(p.Child("size"), c.Size, "must be a quantity greater than zero, such as 50Gi"))
		}
		if sc := c.StorageClassName; sc != "" {
			for _, msg := range validation.IsDNS1123Subdomain(sc) {
				errs = append(errs, field.Invalid(p.Child("storageClassName"), sc, msg))
			}
		}
	}
	return errs
}

func validateS3(s *BackupS3, p *field.Path) field.ErrorList {
	errs := validateEndpoint(s, p.Child("endpoint"))
	errs = append(errs, validateBucket(s.Bucket, p.Child("bucket"))...)
	switch pre := s.Prefix; {
	case len(pre) > maxS3PrefixLen:
		errs = append(errs, field.TooLong(p.Child("prefix"), pre, maxS3PrefixLen))
	case !s3PrefixRE.MatchString(pre) || slices.ContainsFunc(strings.Split(pre, "/"), func(seg string) bool { return seg == "." || seg == ".." }):
		errs = append(errs, field.Invalid(p.Child("prefix"), pre,
			"must be path segments of letters, digits, '.', '_' and '-' joined by '/', without a leading or trailing '/' or a '.' or '..' segment"))
	}
	if !regionRE.MatchString(s.Region) {
		errs = append(errs, field.Invalid(p.Child("region"), s.Region, "must be a region name such as us-east-1: letters, digits, '-' and '_'"))
	}
	if s.CredentialsSecret == "" {
		errs = append(errs, field.Required(p.Child("credentialsSecret"),
			fmt.Sprintf("the Secret with the keys %s and %s", S3KeyAccessKeyID, S3KeySecretAccessKey)))
	} else {
		for _, msg := range validation.IsDNS1123Subdomain(s.CredentialsSecret) {
			errs = append(errs, field.Invalid(p.Child("credentialsSecret"), s.CredentialsSecret, msg))
		}
	}
	return errs
}

// validateEndpoint takes a scheme, a host and an optional port: rclone's
// s3 endpoint, to which it adds the bucket and key itself.
func validateEndpoint(s *BackupS3, p *field.Path) field.ErrorList {
	const shape = "must be a URL with a scheme, a host and an optional port, such as https://s3.example.com:9000"
	u, err := url.Parse(s.Endpoint)
	switch {
	case s.Endpoint == "":
		return field.ErrorList{field.Required(p, "the S3 API's URL, such as https://s3.eu-west-1.amazonaws.com")}
	case err != nil || u.Host == "" || u.Opaque != "":
		return field.ErrorList{field.Invalid(p, s.Endpoint, shape)}
	case u.User != nil || (u.Path != "" && u.Path != "/") || u.RawQuery != "" || u.Fragment != "" || strings.HasSuffix(s.Endpoint, "?") || strings.Contains(s.Endpoint, "#"):
		return field.ErrorList{field.Invalid(p, s.Endpoint, shape+": no user, path, query or fragment (the bucket and prefix are fields of their own)")}
	case u.Scheme == "http" && !s.Insecure:
		return field.ErrorList{field.Invalid(p, s.Endpoint, "must be https: set insecure: true to send backups and credentials without TLS")}
	case u.Scheme != "https" && u.Scheme != "http":
		return field.ErrorList{field.Invalid(p, s.Endpoint, shape+": the scheme must be https (or http with insecure: true)")}
	}
	if port := u.Port(); port != "" {
		if n, err := strconv.Atoi(port); err != nil || n < 1 || n > 65535 {
			return field.ErrorList{field.Invalid(p, s.Endpoint, "the port must be between 1 and 65535")}
		}
	}
	host := u.Hostname()
	if net.ParseIP(host) == nil && len(validation.IsDNS1123Subdomain(strings.ToLower(host))) > 0 {
		return field.ErrorList{field.Invalid(p, s.Endpoint, shape+": the host must be a DNS name or an IP address")}
	}
	return nil
}

// validateBucket follows the S3 general purpose bucket naming rules.
func validateBucket(b string, p *field.Path) field.ErrorList {
	const rules = "must be an S3 bucket name: 3 to 63 lower-case letters, digits, '.' and '-', beginning and ending with a letter or digit"
	switch {
	case b == "":
		return field.ErrorList{field.Required(p, "the bucket's name")}
	case !bucketRE.MatchString(b):
		return field.ErrorList{field.Invalid(p, b, rules)}
	case strings.Contains(b, ".."), strings.Contains(b, ".-"), strings.Contains(b, "-."):
		return field.ErrorList{field.Invalid(p, b, rules+", no '.' next to '.' or '-'")}
	case net.ParseIP(b) != nil:
		return field.ErrorList{field.Invalid(p, b, rules+", not an IP address")}
	case strings.HasPrefix(b, "xn--"), strings.HasPrefix(b, "sthree-"), strings.HasSuffix(b, "-s3alias"), strings.HasSuffix(b, "--ol-s3"):
		return field.ErrorList{field.Invalid(p, b, rules+", without the prefixes xn-- and sthree- or the suffixes -s3alias and --ol-s3, which S3 reserves")}
	}
	return nil
}

func validateRestore(cl *MySQLCluster, p *field.Path) field.ErrorList {
	r := cl.Spec.Restore
	var errs field.ErrorList
	switch b := r.Backup; {
	case b == "":
		errs = append(errs, field.Required(p.Child("backup"), "latest, or a backup's name such as 20260115T030000Z"))
	case b == RestoreLatest:
	case !backupNameRE.MatchString(b):
		errs = append(errs, field.Invalid(p.Child("backup"), b, "must be latest or a backup's name, its UTC start time YYYYMMDDTHHMMSSZ, such as 20260115T030000Z"))
	default:
		if _, err := time.Parse(backupNameLayout, b); err != nil {
			errs = append(errs, field.Invalid(p.Child("backup"), b, "is not a time: a backup's name is its UTC start time YYYYMMDDTHHMMSSZ, such as 20260115T030000Z"))
		}
	}
	switch {
	case r.PVC != nil && r.S3 != nil:
		errs = append(errs, field.Forbidden(p.Child("s3"), "give exactly one source: pvc or s3, not both"))
	case r.PVC == nil && r.S3 == nil:
		errs = append(errs, field.Required(p.Child("pvc"), "where the backup is: pvc or s3 (default: spec.backup's destination, and there is no spec.backup)"))
	case r.PVC != nil:
		errs = append(errs, validateRestorePVC(cl, p.Child("pvc"))...)
	default:
		errs = append(errs, validateS3(r.S3, p.Child("s3"))...)
	}
	errs = append(errs, validateImage(r.ToolsImage, p.Child("toolsImage"))...)
	return errs
}

// validateRestorePVC: every member's pod mounts the restore's claim (a pod
// template is the same for all), and the rendered claim is ReadWriteOnce,
// attachable on one node at a time: members placed on other nodes would
// wait for it until spec.restore is removed.
func validateRestorePVC(cl *MySQLCluster, p *field.Path) field.ErrorList {
	s, name := &cl.Spec, cl.Spec.Restore.PVC.ClaimName
	if name == "" {
		return field.ErrorList{field.Required(p.Child("claimName"), "the existing claim holding the backup")}
	}
	var errs field.ErrorList
	for _, msg := range validation.IsDNS1123Subdomain(name) {
		errs = append(errs, field.Invalid(p.Child("claimName"), name, msg))
	}
	b := s.Backup
	rendered := b != nil && b.PVC != nil && b.PVC.ClaimName == "" && name == BackupClaimName(cl.Metadata.Name, b.PVC)
	if rendered && *s.Replicas > 1 {
		errs = append(errs, field.Invalid(p.Child("claimName"), name,
			"every member mounts the restore's claim, and the rendered claim is ReadWriteOnce, attachable on one node at a time: restore with spec.replicas: 1, then remove spec.restore and raise spec.replicas (or restore from a ReadOnlyMany or ReadWriteMany claim)"))
	}
	return errs
}
