package spec

import (
	"regexp"
	"strings"
)

// The schema of spec.tls, spec.databases, spec.users and spec.initSQL, from
// the tables and charsets validate_tls.go and validate_accounts.go use.
func init() {
	typeSources = append(typeSources, "types_tls.go", "types_accounts.go")
	spec := schemaRefinements["spec"]
	schemaRefinements["spec"] = func(s *Schema) { spec(s); requireSSLNeedsTLS(s) }
	for path, refine := range map[string]func(*Schema){
		"spec.tls":                             tlsSource,
		"spec.tls.secretName":                  dnsSubdomain,
		"spec.tls.certManager":                 issuerUnlessSelfSigned,
		"spec.tls.certManager.issuerRef.name":  dnsSubdomain,
		"spec.tls.certManager.issuerRef.kind":  enum(issuerKinds, IssuerKindIssuer),
		"spec.tls.certManager.issuerRef.group": enum([]string{CertManagerGroup}, CertManagerGroup),
		"spec.tls.certManager.duration": func(s *Schema) {
			s.Type, s.Pattern, s.Default = "string", goDurationPattern, DefaultCertificateDuration
		},
		"spec.tls.certManager.renewBefore": func(s *Schema) {
			s.Type, s.Pattern, s.Default = "string", goDurationPattern, DefaultCertificateRenewBefore
		},
		"spec.databases[].name":                  databaseName,
		"spec.databases[].characterSet":          pattern(CharsetRE),
		"spec.databases[].collation":             pattern(CharsetRE),
		"spec.users[]":                           passwordUnlessAbsent,
		"spec.users[].name":                      userName,
		"spec.users[].host":                      func(s *Schema) { pattern(UserHostRE)(s); s.Default = DefaultUserHost },
		"spec.users[].state":                     enum(userStates, UserStatePresent),
		"spec.users[].maxUserConnections":        func(s *Schema) { s.Minimum = ptr(int64(0)) },
		"spec.users[].passwordSecretKeyRef.name": dnsSubdomain,
		"spec.users[].passwordSecretKeyRef.key":  secretKey,
		"spec.users[].grants[]":                  tablePrivileges,
		"spec.users[].grants[].privileges":       privileges,
		"spec.users[].grants[].privileges[]":     enum(DatabasePrivileges, ""),
		"spec.users[].grants[].database":         databaseName,
		"spec.users[].grants[].table":            func(s *Schema) { s.Type, s.Pattern, s.Default = "string", `^([A-Za-z0-9_]{1,64}|\*)$`, GrantAllTables },
		"spec.initSQL.configMapName":             dnsSubdomain,
	} {
		schemaRefinements[path] = refine
	}
	for name, why := range map[string]string{
		"database-duplicate":             "two databases of one name: a schema cannot compare two items' fields",
		"user-duplicate":                 "two users of one name and host: a schema cannot compare two items' fields",
		"grant-duplicate":                "two grants on one table: a schema cannot compare two items' fields",
		"tls-duration-too-short":         "a duration's minimum: a schema can compare numbers, not Go durations (1h, 60m)",
		"tls-renew-before-over-duration": "renewBefore below duration: a schema cannot compare two durations",
	} {
		schemaInexpressible[name] = why
	}
}

// goDurationPattern is time.ParseDuration's grammar, without a sign.
const goDurationPattern = `^(([0-9]+(\.[0-9]*)?|\.[0-9]+)(ns|us|µs|μs|ms|s|m|h))+$`

func pattern(re *regexp.Regexp) func(*Schema) {
	return func(s *Schema) { s.Type, s.Pattern = "string", re.String() }
}

// anyCase writes a literal so that a pattern matches it in any case.
func anyCase(lit string) string {
	var b strings.Builder
	for _, r := range lit {
		switch {
		case r >= 'a' && r <= 'z':
			b.WriteString("[" + string(r) + strings.ToUpper(string(r)) + "]")
		default:
			b.WriteString(regexp.QuoteMeta(string(r)))
		}
	}
	return b.String()
}

func databaseName(s *Schema) {
	pattern(ObjectRE)(s)
	s.Not = &Schema{Pattern: "^(" + strings.Join(mapSlice(SystemDatabases, anyCase), "|") + ")$"}
}

func userName(s *Schema) {
	pattern(UserNameRE)(s)
	s.Not = &Schema{Pattern: "^((" + strings.Join(mapSlice(ManagedUsers, anyCase), "|") + "|" + anyCase("public") + ")$|" +
		anyCase("mysql.") + "|" + anyCase("mariadb.") + ")"}
}

// secretKey is validation.IsConfigMapKey's rule.
func secretKey(s *Schema) {
	s.Type, s.Pattern, s.MaxLength = "string", `^[-._a-zA-Z0-9]+$`, ptr(int64(253))
	s.Not = &Schema{Pattern: `^\.(\.|$)`}
}

func tlsSource(s *Schema) {
	s.AnyOf = []*Schema{{Required: []string{"secretName"}}, {Required: []string{"certManager"}}}
	s.Not = &Schema{Required: []string{"secretName", "certManager"}}
}

func issuerUnlessSelfSigned(s *Schema) {
	s.AllOf = append(s.AllOf, &Schema{
		If:   &Schema{Properties: map[string]*Schema{"selfSigned": {Const: true}}, Required: []string{"selfSigned"}},
		Then: &Schema{Not: &Schema{Required: []string{"issuerRef"}}},
		Else: &Schema{Required: []string{"issuerRef"}, Properties: map[string]*Schema{"issuerRef": {Required: []string{"name"}}}},
	})
}

func passwordUnlessAbsent(s *Schema) {
	s.AllOf = append(s.AllOf, &Schema{
		If:   &Schema{Properties: map[string]*Schema{"state": {Const: UserStateAbsent}}, Required: []string{"state"}},
		Else: &Schema{Required: []string{"passwordSecretKeyRef"}},
	})
}

// privileges: at least one, each once, ALL PRIVILEGES alone (with unique
// items, a list of nothing but ALL PRIVILEGES has one).
func privileges(s *Schema) {
	s.UniqueItems = true
	s.Not = &Schema{Const: []any{}}
	s.AnyOf = []*Schema{
		{Items: &Schema{Not: &Schema{Const: PrivilegeAll}}},
		{Items: &Schema{Const: PrivilegeAll}},
	}
}

// tablePrivileges: a grant on one table takes the table privileges only.
func tablePrivileges(s *Schema) {
	s.AllOf = append(s.AllOf, &Schema{
		If:   &Schema{Properties: map[string]*Schema{"table": {Not: &Schema{Enum: []any{GrantAllTables, nil}}}}, Required: []string{"table"}},
		Then: &Schema{Properties: map[string]*Schema{"privileges": {Items: &Schema{Enum: toAny(TablePrivileges)}}}},
	})
}

// requireSSLNeedsTLS: without spec.tls no user may require TLS.
func requireSSLNeedsTLS(s *Schema) {
	s.AllOf = append(s.AllOf, &Schema{
		If: &Schema{AnyOf: []*Schema{{Not: &Schema{Required: []string{"tls"}}}, {Properties: map[string]*Schema{"tls": {Type: "null"}}}}},
		Then: &Schema{Properties: map[string]*Schema{"users": {Items: &Schema{
			Properties: map[string]*Schema{"requireSSL": {Not: &Schema{Const: true}}},
		}}}},
	})
}
