package spec

import (
	"maps"
	"slices"
	"strconv"
	"strings"
)

// Patterns of the names Kubernetes validates (k8s.io/apimachinery's
// util/validation), written once for the schema; the parity test holds them
// to what Validate refuses.
const (
	dns1035LabelPattern     = `^[a-z]([-a-z0-9]*[a-z0-9])?$`
	dns1123LabelPattern     = `^[a-z0-9]([-a-z0-9]*[a-z0-9])?$`
	dns1123SubdomainPattern = `^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$`
	qualifiedNamePattern    = `^([a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*/)?[A-Za-z0-9]([-A-Za-z0-9_.]*[A-Za-z0-9])?$`
	labelValuePattern       = `^(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?$`
	// A quantity greater than zero (resource.ParseQuantity's grammar,
	// without a sign).
	positiveQuantityPattern = `^([0-9]*[1-9][0-9]*(\.[0-9]*)?|[0-9]*\.[0-9]*[1-9][0-9]*)(Ki|Mi|Gi|Ti|Pi|Ei|m|k|M|G|T|P|E|[eE][+-]?[0-9]+)?$`
	quantityPattern         = `^([0-9]+(\.[0-9]*)?|\.[0-9]+)(Ki|Mi|Gi|Ti|Pi|Ei|m|k|M|G|T|P|E|[eE][+-]?[0-9]+)?$`
	cidrPattern             = `^(([0-9]{1,3}\.){3}[0-9]{1,3}/([0-9]|[12][0-9]|3[0-2])|[0-9A-Fa-f:.]*:[0-9A-Fa-f:.]*/([0-9]|[1-9][0-9]|1[01][0-9]|12[0-8]))$`
)

// schemaRefinements add what the types cannot say, by field path ("[]"
// for a list item or map value), from the tables and limits Validate uses.
// A test checks that every path still exists.
var schemaRefinements = map[string]func(*Schema){
	"spec":       func(s *Schema) { versionsOf(s); configPrefixes(s); positionReplication(s) },
	"apiVersion": func(s *Schema) { s.Type, s.Enum = "string", []any{APIVersion} },
	"kind":       func(s *Schema) { s.Type, s.Enum = "string", []any{Kind} },
	"metadata.name": func(s *Schema) {
		s.Type, s.Pattern, s.MaxLength = "string", dns1035LabelPattern, ptr(int64(MaxNameLength))
	},
	"metadata.namespace":           dnsLabel,
	"metadata.labels":              labelMap,
	"metadata.annotations":         annotations,
	"spec.podAnnotations":          annotations,
	"spec.scheduling.nodeSelector": labelMap,
	"spec.replicas": func(s *Schema) {
		s.Minimum, s.Maximum, s.Default = ptr(int64(1)), ptr(int64(MaxReplicas)), DefaultReplicas
	},
	"spec.flavor":      enum([]string{FlavorMySQL, FlavorMariaDB}, FlavorMySQL),
	"spec.version":     versionEnum,
	"spec.image":       imageReference,
	"spec.backupImage": imageReference,
	"spec.metrics.image": func(s *Schema) {
		imageReference(s)
		s.Default = DefaultMetricsImage
	},
	"spec.imagePullPolicy":    enum(pullPolicies, DefaultImagePullPolicy),
	"spec.imagePullSecrets":   func(s *Schema) { s.UniqueItems = true },
	"spec.imagePullSecrets[]": dnsSubdomain,
	"spec.imageRegistry":      func(s *Schema) { s.Type, s.Pattern = "string", imageRegistryPattern },
	"spec.storage.size": func(s *Schema) {
		s.Pattern, s.Default = positiveQuantityPattern, DefaultStorageSize
	},
	"spec.storage.storageClassName":            dnsSubdomain,
	"spec.storage.accessModes[]":               enum(accessModes, ""),
	"spec.storage.retentionPolicy.whenDeleted": enum(retentions, DefaultRetention),
	"spec.storage.retentionPolicy.whenScaled":  enum(retentions, DefaultRetention),
	"spec.credentials.secretName":              dnsSubdomain,
	"spec.scheduling.antiAffinity":             enum(antiAffinities, DefaultAntiAffinity),
	"spec.scheduling.zoneSpread":               enum(zoneSpreads, DefaultZoneSpread),
	"spec.scheduling.priorityClassName":        dnsSubdomain,
	"spec.scheduling.tolerations[]":            toleration,
	"spec.scheduling.tolerations[].operator":   enum(tolerationOps[1:], ""),
	"spec.scheduling.tolerations[].effect":     enum(taintEffects[1:], ""),
	"spec.podDisruptionBudget.maxUnavailable":  func(s *Schema) { s.Minimum, s.Default = ptr(int64(1)), DefaultMaxUnavailable },
	"spec.networkPolicy.from[]":                networkPolicyPeer,
	"spec.networkPolicy.metricsFrom[]":         networkPolicyPeer,
	"spec.metrics":                             func(s *Schema) { serviceMonitorNeedsMetrics(s); prometheusRuleNeedsServiceMonitor(s) },
	"spec.metrics.serviceMonitor.interval":     func(s *Schema) { s.Pattern, s.Default = promDurationRE.String(), DefaultScrapeInterval },
	"spec.metrics.serviceMonitor.labels":       labelMap,
	"spec.metrics.prometheusRule.labels":       labelMap,
	"spec.metrics.prometheusRule.alertLabels":  alertLabels,
	"spec.config":   configKeys,
	"spec.config[]": configValue,
	"spec.replication.maxLagSeconds": func(s *Schema) {
		s.Minimum, s.Maximum, s.Default = ptr(int64(1)), ptr(int64(MaxLagLimit)), DefaultMaxLagSeconds
	},
	"spec.terminationGracePeriodSeconds": func(s *Schema) {
		s.Minimum, s.Maximum, s.Default = ptr(int64(minGracePeriodSecs)), ptr(maxGracePeriodSecs), DefaultTerminationGracePeriodSeconds
	},
}

// typeRefinements apply wherever a type appears.
var typeRefinements = map[string]func(*Schema){
	"Resources": func(s *Schema) {
		for _, m := range []*Schema{s.Properties["requests"], s.Properties["limits"]} {
			m.PropertyNames = &Schema{Enum: toAny(resourceNames)}
			m.AdditionalProperties = &Schema{AnyOf: []*Schema{
				{Type: "string", Pattern: quantityPattern},
				{Type: "number", Minimum: ptr(int64(0))},
			}}
		}
	},
}

func enum(values []string, def string) func(*Schema) {
	return func(s *Schema) {
		s.Type, s.Enum = "string", toAny(values)
		if def != "" {
			s.Default = def
		}
	}
}

func dnsLabel(s *Schema)     { s.Pattern, s.MaxLength = dns1123LabelPattern, ptr(int64(63)) }
func dnsSubdomain(s *Schema) { s.Pattern, s.MaxLength = dns1123SubdomainPattern, ptr(int64(253)) }

func imageReference(s *Schema) { s.Type, s.Pattern = "string", imageReferenceRE.String() }

func labelMap(s *Schema) {
	s.PropertyNames = &Schema{Pattern: qualifiedNamePattern, Not: &Schema{Pattern: "^" + strings.ReplaceAll(ReservedLabelPrefix, ".", `\.`)}}
	s.AdditionalProperties = &Schema{Type: scalarText, Pattern: labelValuePattern, MaxLength: ptr(int64(63))}
}

func annotations(s *Schema) { s.PropertyNames = &Schema{Pattern: qualifiedNamePattern} }

// versionEnum: each flavor's versions (the release table), as written;
// unquoted, YAML reads 8.0 as the number 8 (and so would take "8"), so only
// versions a number writes back unchanged may go unquoted.
func versionEnum(s *Schema) {
	var all []any
	for _, r := range Releases {
		all = append(all, versionSpellings(r.Version)...)
	}
	s.Enum = all
}

// versionsOf is the spec's rule that the version belongs to the flavor
// (mysql when none is given).
func versionsOf(s *Schema) {
	only := func(flavor string) *Schema {
		var vs []any
		for _, v := range Versions(flavor) {
			vs = append(vs, versionSpellings(v)...)
		}
		return &Schema{Properties: map[string]*Schema{"version": {Enum: append(vs, nil)}}}
	}
	s.AllOf = append(s.AllOf, &Schema{
		If:   &Schema{Properties: map[string]*Schema{"flavor": {Const: FlavorMariaDB}}, Required: []string{"flavor"}},
		Then: only(FlavorMariaDB),
		Else: only(FlavorMySQL),
	})
}

func toleration(s *Schema) {
	s.AllOf = append(s.AllOf, &Schema{
		If:   &Schema{Properties: map[string]*Schema{"operator": {Const: "Exists"}}, Required: []string{"operator"}},
		Then: &Schema{Properties: map[string]*Schema{"value": {Enum: []any{"", nil}}}},
	})
}

func networkPolicyPeer(s *Schema) {
	s.AnyOf = []*Schema{{Required: []string{"podSelector"}}, {Required: []string{"namespaceSelector"}}, {Required: []string{"ipBlock"}}}
	s.AllOf = append(s.AllOf, &Schema{
		If:   &Schema{Required: []string{"ipBlock"}},
		Then: &Schema{Not: &Schema{AnyOf: []*Schema{{Required: []string{"podSelector"}}, {Required: []string{"namespaceSelector"}}}}},
	})
	if b := s.Properties["ipBlock"]; b != nil {
		b.Properties["cidr"].Pattern = cidrPattern
	}
}

func serviceMonitorNeedsMetrics(s *Schema) {
	s.AllOf = append(s.AllOf, &Schema{
		If: &Schema{Properties: map[string]*Schema{"serviceMonitor": {
			Properties: map[string]*Schema{"enabled": {Const: true}}, Required: []string{"enabled"}}},
			Required: []string{"serviceMonitor"}},
		Then: &Schema{Properties: map[string]*Schema{"enabled": {Const: true}}, Required: []string{"enabled"}},
	})
}

// prometheusRuleNeedsServiceMonitor: the alerts select the series by the
// job the ServiceMonitor gives them (validatePrometheusRule).
func prometheusRuleNeedsServiceMonitor(s *Schema) {
	enabled := func() *Schema {
		return &Schema{Properties: map[string]*Schema{"enabled": {Const: true}}, Required: []string{"enabled"}}
	}
	then := enabled()
	then.Properties["serviceMonitor"] = enabled()
	then.Required = append(then.Required, "serviceMonitor")
	s.AllOf = append(s.AllOf, &Schema{
		If:   &Schema{Properties: map[string]*Schema{"prometheusRule": enabled()}, Required: []string{"prometheusRule"}},
		Then: then,
	})
}

// alertLabels: Prometheus label names, not severity (mysqlgen's) nor
// __-prefixed (Prometheus'), with values that are not empty.
func alertLabels(s *Schema) {
	s.PropertyNames = &Schema{Pattern: promLabelNameRE.String(), Not: &Schema{Pattern: "^(__|" + AlertSeverityLabel + "$)"}}
	s.AdditionalProperties = &Schema{Type: scalarText, MinLength: ptr(int64(1))}
}

// configKeys: option names as validateConfig takes them, never a managed
// setting by any name the servers take for it (case, '-' or '_', modifiers,
// loose-); abbreviations too where the server takes them (configPrefixes).
func configKeys(s *Schema) {
	s.PropertyNames = &Schema{Pattern: configKeyRE.String(), Not: &Schema{Pattern: managedNamesPattern(false)}}
	// A size as the option parser reads it (ParseOptionSize).
	s.PatternProperties = map[string]*Schema{
		namesPattern([]string{"default_time_zone"}, false): timeZoneValue,
		"^(" + caseless("loose_") + ")*" + caseless("innodb_buffer_pool_size") + "$": {
			Type: scalarText, Pattern: `^("[0-9]+[kKmMgGtTpPeE]?"|'[0-9]+[kKmMgGtTpPeE]?'|[0-9]+[kKmMgGtTpPeE]?)$`,
		},
	}
}

// configPrefixes refuses abbreviations of managed settings on the releases
// that take unique prefixes (but not whole option names that begin one).
func configPrefixes(s *Schema) {
	// A release that takes prefixes, or its flavor's default version
	// when none is given.
	var prefixReleases []*Schema
	for _, r := range Releases {
		if !r.OptionPrefixes {
			continue
		}
		when := &Schema{Properties: map[string]*Schema{
			"flavor":  {Enum: []any{r.Flavor}},
			"version": {Enum: versionSpellings(r.Version)},
		}}
		if r.Flavor == FlavorMySQL {
			when.Properties["flavor"].Enum = append(when.Properties["flavor"].Enum, nil)
		} else {
			when.Required = append(when.Required, "flavor")
		}
		if DefaultVersions[r.Flavor] == r.Version {
			when.Properties["version"].Enum = append(when.Properties["version"].Enum, nil)
		} else {
			when.Required = append(when.Required, "version")
		}
		prefixReleases = append(prefixReleases, when)
	}
	whole := optionModifiersPattern() + "(" + strings.Join(mapSlice(slices.Sorted(maps.Keys(wholeOptionNames)), caseless), "|") + ")$"
	s.AllOf = append(s.AllOf, &Schema{
		If: &Schema{AnyOf: prefixReleases},
		Then: &Schema{Properties: map[string]*Schema{"config": {
			PropertyNames: &Schema{AllOf: []*Schema{
				{Not: &Schema{AllOf: []*Schema{{Pattern: managedNamesPattern(true)}, {Not: &Schema{Pattern: whole}}}}},
				{Not: &Schema{AllOf: []*Schema{{Pattern: namesPattern(shortened(DefaultedSettings), true)}, {Not: &Schema{Pattern: whole}}}}},
			}},
			PatternProperties: map[string]*Schema{namesPattern([]string{"default_time_zone"}, true): timeZoneValue},
		}}},
	})
}

// versionSpellings are the JSON values a version may arrive as: its text,
// and the number YAML reads when it is unquoted and reads back the same.
func versionSpellings(v string) []any {
	out := []any{v}
	if f, err := strconv.ParseFloat(v, 64); err == nil && strconv.FormatFloat(f, 'f', -1, 64) == v {
		out = append(out, f)
	}
	return out
}

// managedNamesPattern matches what managedTarget finds: a managed setting
// after any option modifiers, in any case, with '-' or '_'; with prefixes,
// any abbreviation of one.
func managedNamesPattern(prefixes bool) string {
	return namesPattern(managedNames, prefixes)
}

// timeZoneValue is what a server takes for default-time-zone without time
// zone tables (timeZoneRE).
var timeZoneValue = &Schema{Type: scalarText, Pattern: `^(["']?)([sS][yY][sS][tT][eE][mM]|[+-]?[0-9]{1,2}:[0-5][0-9])(["']?)$`}

// namesPattern matches what optionTarget finds among names.
func namesPattern(names []string, prefixes bool) string {
	var alts []string
	for _, name := range names {
		if !prefixes {
			alts = append(alts, caseless(name))
			continue
		}
		// d(a(t(a(d(i(r)?)?)?)?)?)?: every prefix, one character at least.
		runes := []rune(name)
		alt := ""
		for i := len(runes) - 1; i >= 1; i-- {
			alt = "(" + caseless(string(runes[i])) + alt + ")?"
		}
		alts = append(alts, caseless(string(runes[0]))+alt)
	}
	return optionModifiersPattern() + "(" + strings.Join(alts, "|") + ")$"
}

func optionModifiersPattern() string {
	return "^((" + strings.Join(mapSlice(optionModifiers, func(m string) string { return caseless(strings.TrimSuffix(m, "_")) }), "|") + ")[-_])*"
}

// caseless writes a name so that a pattern matches it in any case and with
// '-' or '_'.
func caseless(name string) string {
	var b strings.Builder
	for _, r := range name {
		switch {
		case r == '_' || r == '-':
			b.WriteString("[-_]")
		case r >= 'a' && r <= 'z':
			b.WriteString("[" + string(r) + strings.ToUpper(string(r)) + "]")
		default:
			b.WriteRune(r)
		}
	}
	return b.String()
}

func mapSlice[T, U any](in []T, f func(T) U) []U {
	out := make([]U, len(in))
	for i, v := range in {
		out[i] = f(v)
	}
	return out
}

// positionReplication is validatePositionReplication's rule: gtid: false on
// MySQL 8 needs one applier thread (spelled as the rule's example spells it).
func positionReplication(s *Schema) {
	var mysql8 []any
	for _, r := range Releases {
		if r.Dialect == DialectMySQL80 || r.Dialect == DialectMySQL84 {
			mysql8 = append(mysql8, versionSpellings(r.Version)...)
		}
	}
	var oneThread []*Schema
	for _, name := range []string{"replica_parallel_workers", "slave_parallel_workers"} {
		for _, spelling := range []string{name, strings.ReplaceAll(name, "_", "-")} {
			oneThread = append(oneThread, &Schema{
				Properties: map[string]*Schema{spelling: {Enum: []any{"0", "1", 0.0, 1.0}}},
				Required:   []string{spelling},
			})
		}
	}
	gtidOff := &Schema{Properties: map[string]*Schema{"gtid": {Const: false}}, Required: []string{"gtid"}}
	s.AllOf = append(s.AllOf, &Schema{
		If: &Schema{
			Properties: map[string]*Schema{
				"flavor":      {Enum: []any{FlavorMySQL, nil}},
				"version":     {Enum: append(mysql8, nil)},
				"replication": gtidOff,
			},
			Required: []string{"replication"},
		},
		Then: &Schema{Properties: map[string]*Schema{"config": {AnyOf: oneThread}}, Required: []string{"config"}},
	})
}

// configValue: one line (configValueBadRE), that the option file reader
// takes whole (cnfValueProblem): no '#' outside quotes, no spaces around.
func configValue(s *Schema) {
	const (
		quoted  = `'([^'\\]|\\.)*'|"([^"\\]|\\.)*"`
		open    = `('([^'\\]|\\.)*|"([^"\\]|\\.)*)?`
		noHash  = `^([^'"#]|` + quoted + `)*` + open + `$`
		trimmed = `^(\S(.*\S)?)?$`
	)
	s.Pattern = "^[^\\x00-\\x1f\\x7f-\\x9f\u2028\u2029]*$"
	s.AllOf = []*Schema{{Pattern: noHash}, {Pattern: trimmed}}
}

// shortened drops the last character of each name: the prefixes of the
// result are the names' strict prefixes.
func shortened(names []string) []string {
	return mapSlice(names, func(n string) string { return n[:len(n)-1] })
}
