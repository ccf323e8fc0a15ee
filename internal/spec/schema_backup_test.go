package spec

import "maps"

// The schema's rules for spec.backup and spec.restore, from the same tables
// and limits as validate_backup.go; added to schemaRefinements before any
// test runs (package variables are initialised before init functions).
func init() {
	specRule := schemaRefinements["spec"]
	schemaRefinements["spec"] = func(s *Schema) { specRule(s); restoreNeedsSource(s) }
	maps.Copy(schemaRefinements, backupSchemaRefinements)
	for _, dest := range []string{"spec.backup.s3", "spec.restore.s3"} {
		schemaRefinements[dest] = s3Insecure
		schemaRefinements[dest+".bucket"] = s3Bucket
		schemaRefinements[dest+".prefix"] = s3Prefix
		schemaRefinements[dest+".region"] = func(s *Schema) { s.Type, s.Pattern, s.Default = "string", regionRE.String(), DefaultS3Region }
		schemaRefinements[dest+".credentialsSecret"] = dnsSubdomain
		schemaRefinements[dest+".endpoint"] = func(s *Schema) { s.Type, s.Pattern = "string", endpointPattern("https?") }
	}
}

const (
	// A host: a DNS name, an IPv4 address or a bracketed IPv6 address.
	endpointHostPattern = `([A-Za-z0-9]([-A-Za-z0-9]*[A-Za-z0-9])?(\.[A-Za-z0-9]([-A-Za-z0-9]*[A-Za-z0-9])?)*|\[[0-9A-Fa-f:.]+\])`
	// What robfig/cron/v3's ParseStandard splits: five fields or a
	// descriptor. The fields' ranges and names are its own.
	cronShapePattern = `^\s*(@(yearly|annually|monthly|weekly|daily|midnight|hourly)|@every\s+\S+|\S+\s+\S+\s+\S+\s+\S+\s+\S+)\s*$`
	timeZonePart     = `[A-Za-z._+0-9][A-Za-z._+0-9-]{0,13}`
	// A segment "." or ".." of a path.
	dotSegmentPattern = `(^|/)\.\.?(/|$)`
	backupNamePattern = `^(latest|[0-9]{4}(0[1-9]|1[0-2])(0[1-9]|[12][0-9]|3[01])T([01][0-9]|2[0-3])[0-5][0-9][0-5][0-9]Z)$`
)

func endpointPattern(scheme string) string {
	return `^` + scheme + `://` + endpointHostPattern + `(:[0-9]{1,5})?/?$`
}

var backupSchemaRefinements = map[string]func(*Schema){
	"spec.backup": oneDestination(true),
	"spec.backup.schedule": func(s *Schema) {
		s.Type, s.Pattern = "string", cronShapePattern
		s.Not = &Schema{Pattern: "TZ"}
	},
	"spec.backup.timeZone": func(s *Schema) {
		s.Type, s.Pattern = "string", `^`+timeZonePart+`(/`+timeZonePart+`)*$`
		s.Not = &Schema{AnyOf: []*Schema{{Pattern: dotSegmentPattern}, {Pattern: "^" + caseless("local") + "$"}}}
	},
	"spec.backup.source":      enum(backupSources, DefaultBackupSource),
	"spec.backup.compression": enum(compressions, DefaultCompression),
	"spec.backup.retention":   retentionLimits,
	"spec.backup.activeDeadlineSeconds": func(s *Schema) {
		s.Minimum, s.Maximum, s.Default = ptr(int64(minBackupDeadline)), ptr(int64(maxBackupDeadline)), DefaultBackupDeadline
	},
	"spec.backup.toolsImage":           func(s *Schema) { imageReference(s); s.Default = DefaultToolsImage },
	"spec.backup.pvc":                  claimOrSize,
	"spec.backup.pvc.claimName":        dnsSubdomain,
	"spec.backup.pvc.size":             func(s *Schema) { s.Pattern = positiveQuantityPattern },
	"spec.backup.pvc.storageClassName": dnsSubdomain,
	"spec.restore":                     oneDestination(false),
	"spec.restore.backup":              func(s *Schema) { s.Type, s.Pattern = "string", backupNamePattern },
	"spec.restore.pvc.claimName":       dnsSubdomain,
	"spec.restore.toolsImage":          imageReference,
}

func required(names ...string) *Schema { return &Schema{Required: names} }

// oneDestination: never both pvc and s3; a backup needs one (a restore's
// defaults to the backup's, restoreNeedsSource).
func oneDestination(needOne bool) func(*Schema) {
	return func(s *Schema) {
		s.AllOf = append(s.AllOf, &Schema{Not: required("pvc", "s3")})
		if needOne {
			s.AllOf = append(s.AllOf, &Schema{AnyOf: []*Schema{required("pvc"), required("s3")}})
		}
	}
}

// restoreNeedsSource: a restore without pvc or s3 takes spec.backup's.
func restoreNeedsSource(s *Schema) {
	s.AllOf = append(s.AllOf, &Schema{
		If: &Schema{
			Properties: map[string]*Schema{"restore": {Type: "object", Not: &Schema{AnyOf: []*Schema{required("pvc"), required("s3")}}}},
			Required:   []string{"restore"},
		},
		Then: required("backup"),
	})
}

// retentionLimits: each axis 0 (no limit) up to its maximum, and one of
// them above 0 when either is given (neither: count 7).
func retentionLimits(s *Schema) {
	s.Properties["count"].Minimum, s.Properties["count"].Maximum = ptr(int64(0)), ptr(int64(maxBackupRetentionKeep))
	s.Properties["maxAgeDays"].Minimum, s.Properties["maxAgeDays"].Maximum = ptr(int64(0)), ptr(int64(maxBackupAgeDays))
	above := func(name string) *Schema {
		return &Schema{Properties: map[string]*Schema{name: {Minimum: ptr(int64(1))}}, Required: []string{name}}
	}
	s.AnyOf = []*Schema{{Not: &Schema{AnyOf: []*Schema{required("count"), required("maxAgeDays")}}}, above("count"), above("maxAgeDays")}
}

// claimOrSize: an existing claim or a rendered one, not both.
func claimOrSize(s *Schema) {
	s.AnyOf = []*Schema{required("claimName"), required("size")}
	s.AllOf = append(s.AllOf, &Schema{Not: required("claimName", "size")}, &Schema{Not: required("claimName", "storageClassName")})
}

// s3Insecure: http:// only with insecure: true.
func s3Insecure(s *Schema) {
	s.AllOf = append(s.AllOf, &Schema{
		If:   &Schema{Not: &Schema{Properties: map[string]*Schema{"insecure": {Const: true}}, Required: []string{"insecure"}}},
		Then: &Schema{Properties: map[string]*Schema{"endpoint": {Pattern: endpointPattern("https")}}},
	})
}

func s3Bucket(s *Schema) {
	s.Type, s.Pattern = "string", bucketRE.String()
	s.Not = &Schema{AnyOf: []*Schema{
		{Pattern: `\.\.|\.-|-\.`},
		{Pattern: `^[0-9]+\.[0-9]+\.[0-9]+\.[0-9]+$`},
		{Pattern: `^(xn--|sthree-)|(-s3alias|--ol-s3)$`},
	}}
}

func s3Prefix(s *Schema) {
	s.Type, s.Pattern, s.MaxLength = "string", s3PrefixRE.String(), ptr(int64(maxS3PrefixLen))
	s.Not = &Schema{Pattern: dotSegmentPattern}
}
