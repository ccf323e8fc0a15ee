package spec

import (
	"fmt"
	"maps"
	"regexp"
	"slices"
	"strings"

	"k8s.io/apimachinery/pkg/util/validation/field"
)

// ManagedSettings are the [mysqld] settings replication and the scripts
// depend on (normalised: lower case, '_' for '-', no loose- prefix), each
// with the reason a user may not override it.
var ManagedSettings = map[string]string{
	"bind_address":                  "every member must accept connections from its peers",
	"binlog_format":                 "replicas apply row-based events",
	"datadir":                       "the scripts clone into and bootstrap this directory",
	"enforce_gtid_consistency":      "set from spec.replication.gtid",
	"gtid_mode":                     "set from spec.replication.gtid",
	"innodb_data_home_dir":          "the scripts clone the data directory only; InnoDB files elsewhere would reach no clone",
	"innodb_log_group_home_dir":     "the scripts clone the data directory only; InnoDB files elsewhere would reach no clone",
	"innodb_undo_directory":         "the scripts clone the data directory only; InnoDB files elsewhere would reach no clone",
	"log_bin":                       "every member writes a binary log, to serve clones and replicas",
	"log_replica_updates":           "replicas log what they apply, so that any of them can be cloned",
	"log_slave_updates":             "replicas log what they apply, so that any of them can be cloned",
	"pid_file":                      "the scripts and probes find the server by it",
	"plugin_load":                   "it would replace the plugins mysqlgen loads (use plugin-load-add)",
	"port":                          "the Services and probes use port 3306",
	"read_only":                     "set by role: the primary writes, replicas do not",
	"relay_log":                     "relay logs must keep their names across pod restarts",
	"relay_log_recovery":            "replicas refetch relay logs after a crash",
	"server_id":                     "derived from the pod ordinal",
	"skip_grant_tables":             "it would disable authentication",
	"ssl":                           "set from spec.tls",
	"ssl_ca":                        "set from spec.tls",
	"ssl_cert":                      "set from spec.tls",
	"ssl_key":                       "set from spec.tls",
	"require_secure_transport":      "set from spec.tls.requireSecureTransport",
	"skip_networking":               "replicas and clients connect over TCP",
	"skip_replica_start":            "the sidecar starts replication after a clone",
	"skip_slave_start":              "the sidecar starts replication after a clone",
	"socket":                        "the containers share the server's socket",
	"rpl_semi_sync_master":          "set from spec.replication.semiSync (the plugin)",
	"rpl_semi_sync_slave":           "set from spec.replication.semiSync (the plugin)",
	"rpl_semi_sync_source":          "set from spec.replication.semiSync (the plugin)",
	"rpl_semi_sync_replica":         "set from spec.replication.semiSync (the plugin)",
	"rpl_semi_sync_master_enabled":  "set from spec.replication.semiSync",
	"rpl_semi_sync_slave_enabled":   "set from spec.replication.semiSync",
	"rpl_semi_sync_source_enabled":  "set from spec.replication.semiSync",
	"rpl_semi_sync_replica_enabled": "set from spec.replication.semiSync",
	"rpl_semi_sync_master_timeout":  "set from spec.replication.semiSync",
	"rpl_semi_sync_source_timeout":  "set from spec.replication.semiSync",
	"super_read_only":               "set by role: the primary writes, replicas do not",
}

// DefaultedSettings are the settings mysqlgen writes a default or derived
// value for, which spec.config may override by their names (normalised,
// sorted); a render test holds the list to what is written.
var DefaultedSettings = []string{
	"gtid_strict_mode", "innodb_buffer_pool_size", "master_info_repository", "max_connections",
	"relay_log_info_repository", "skip_name_resolve", "temptable_max_ram",
}

// managedNames is ManagedSettings' keys in order, so that an abbreviation
// names the same setting on every run.
var managedNames = slices.Sorted(maps.Keys(ManagedSettings))

// optionModifiers are the words the servers' option parser strips from the
// front of a name it does not know, then looks the rest up again, as often as
// they come and in any order (the restart of the special_opt_prefix loop in
// handle_options of MariaDB's mysys/my_getopt.c and MySQL's
// mysys/my_getopt.cc): skip-, disable-, enable-, maximum-, loose-, and
// MariaDB's autoset-. So "enable-skip-grant-tables" is skip-grant-tables
// turned on. plugin- is no modifier but every plugin option's second name
// (sql_plugin.cc's construct_options), as plugin-innodb-buffer-pool-size.
var optionModifiers = []string{"skip_", "disable_", "enable_", "maximum_", "loose_", "autoset_", "plugin_"}

// wholeOptionNames are server options whose whole name begins a managed
// setting's: findopt returns at an exact match before it counts prefixes,
// so these are themselves, not abbreviations. (innodb=ON|OFF|FORCE loads the
// engine; a test reads the list of a real MariaDB's options.)
var wholeOptionNames = map[string]bool{"innodb": true}

var (
	// configKeyRE is what a key must be, exactly as it is written into
	// my.cnf: a name, no space, '=', '#', '[' or line break around it.
	configKeyRE = regexp.MustCompile(`^[A-Za-z0-9]+([_-][A-Za-z0-9]+)*$`)
	// configValueBadRE: anything that ends a my.cnf line (the servers read
	// lines), and the C1 controls and Unicode line separators that other
	// readers of the output take for line breaks.
	configValueBadRE = regexp.MustCompile("[\x00-\x1f\x7f\u0080-\u009f\u2028\u2029]")
	// timeZoneRE: the time zones a server knows without time zone tables
	// (quoted or not, as my.cnf allows).
	timeZoneRE = regexp.MustCompile(`^(["']?)((?i)system|[+-]?[0-9]{1,2}:[0-5][0-9])(["']?)$`)
)

// NormalizeConfigKey is the name a server sees: case does not matter in an
// option file, '-' and '_' are the same (getopt_compare_strings), and loose-
// only silences an unknown option.
func NormalizeConfigKey(k string) string {
	k = strings.ReplaceAll(strings.ToLower(k), "-", "_")
	for strings.HasPrefix(k, "loose_") {
		k = k[len("loose_"):]
	}
	return k
}

// managedTarget says which managed setting a spec.config key would change
// on a server, and how it reaches it: "" when the key names it plainly,
// "modifier" when by way of option modifiers, "prefix" when it abbreviates
// it on a server that takes unique prefixes. Any other key matches it not.
func managedTarget(key string, prefixes bool) (target, how string) {
	return optionTarget(key, prefixes, managedNames)
}

// optionTarget is managedTarget for any sorted list of option names.
func optionTarget(key string, prefixes bool, names []string) (target, how string) {
	k := strings.ReplaceAll(strings.ToLower(key), "-", "_")
	if _, ok := slices.BinarySearch(names, NormalizeConfigKey(k)); ok {
		return NormalizeConfigKey(k), ""
	}
	how = "modifier"
	for k != "" {
		if _, ok := slices.BinarySearch(names, k); ok {
			return k, how
		}
		if prefixes && !wholeOptionNames[k] {
			// An ambiguous prefix stops the server instead: refusing it
			// costs nothing.
			for _, m := range names {
				if strings.HasPrefix(m, k) {
					return m, "prefix"
				}
			}
		}
		i := slices.IndexFunc(optionModifiers, func(m string) bool { return strings.HasPrefix(k, m) })
		if i < 0 {
			return "", ""
		}
		k = k[len(optionModifiers[i]):]
	}
	return "", ""
}

// optionPrefixes reports whether the server of a flavor and version takes
// unique prefixes of option names; an unknown release is assumed to.
func optionPrefixes(flavor, version string) bool {
	r, ok := LookupRelease(flavor, version)
	return !ok || r.OptionPrefixes
}

func validateConfig(config map[string]string, prefixes bool, p *field.Path) field.ErrorList {
	var errs field.ErrorList
	seen := map[string]string{}
	for _, k := range sortedKeys(config) {
		fp := p.Key(k)
		if err := validateConfigKey(k, prefixes, seen, fp); err != nil {
			errs = append(errs, err)
			continue
		}
		if err := validateConfigValue(k, config[k], prefixes, fp); err != nil {
			errs = append(errs, err)
		}
	}
	return errs
}

// validateConfigKey refuses a key that is no option name, reaches a
// managed setting, abbreviates a defaulted one, or repeats one in seen.
func validateConfigKey(k string, prefixes bool, seen map[string]string, fp *field.Path) *field.Error {
	if !configKeyRE.MatchString(k) {
		return field.Invalid(fp, k, "must be a server option name: letters, digits, '-' and '_'")
	}
	if err := managedConfigKey(k, prefixes, fp); err != nil {
		return err
	}
	if target, how := optionTarget(k, prefixes, DefaultedSettings); how == "prefix" {
		// An override under a shortened name would go unseen: the derived
		// value would be written too, and max_connections would not
		// follow the buffer pool.
		return field.Invalid(fp, k, fmt.Sprintf("abbreviates %s, which mysqlgen writes a value for: write the whole name to override it", target))
	}
	norm := NormalizeConfigKey(k)
	if prev, dup := seen[norm]; dup {
		return field.Duplicate(fp, fmt.Sprintf("%s (the same option as %s)", k, prev))
	}
	seen[norm] = k
	return nil
}

// validateConfigValue refuses a value that would not reach the server as
// written, or that stops it.
func validateConfigValue(k, v string, prefixes bool, fp *field.Path) *field.Error {
	if configValueBadRE.MatchString(v) {
		return field.Invalid(fp, v, "must be one line without control characters")
	}
	if why := cnfValueProblem(v); why != "" {
		return field.Invalid(fp, v, why)
	}
	if target, _ := optionTarget(k, prefixes, []string{"default_time_zone"}); target != "" && !timeZoneRE.MatchString(v) {
		return field.Invalid(fp, v, "must be SYSTEM or an offset such as +00:00: the images load no time zone tables, and with a named zone the server does not start")
	}
	return nil
}

// managedConfigKey refuses a key that would change a managed setting,
// saying which one and why.
func managedConfigKey(k string, prefixes bool, fp *field.Path) *field.Error {
	target, how := managedTarget(k, prefixes)
	if target == "" {
		return nil
	}
	why := ManagedSettings[target]
	switch how {
	case "modifier":
		return field.Forbidden(fp, fmt.Sprintf("%s would change %s (the server strips option modifiers such as enable-, skip- and loose-), which is set by mysqlgen: %s", k, target, why))
	case "prefix":
		return field.Forbidden(fp, fmt.Sprintf("%s would change %s (this server takes a unique prefix of an option name for the option), which is set by mysqlgen: %s", k, target, why))
	}
	return field.Forbidden(fp, fmt.Sprintf("%s is set by mysqlgen: %s", k, why))
}

// cnfValueProblem says why the server would read a value written as
// key=value other than as given, or "": the option file reader
// (remove_end_comment in MySQL's and MariaDB's mysys/my_default) cuts a
// value at a '#' outside quotes, then strips the spaces around it.
func cnfValueProblem(v string) string {
	var quote byte
	escape := false
	for i := 0; i < len(v); i++ {
		c := v[i]
		if (c == '\'' || c == '"') && !escape {
			switch quote {
			case 0:
				quote = c
			case c:
				quote = 0
			}
		}
		if quote == 0 && c == '#' {
			return fmt.Sprintf("a '#' outside quotes starts a comment in my.cnf, so the server would read %q: quote the value", strings.TrimSpace(v[:i]))
		}
		escape = quote != 0 && c == '\\' && !escape
	}
	if strings.TrimSpace(v) != v {
		return "the server strips the spaces around a value: quote the value to keep them"
	}
	return ""
}
