package spec

import (
	"bufio"
	"bytes"
	"os/exec"
	"strconv"
	"strings"
	"testing"

	"k8s.io/apimachinery/pkg/util/validation/field"
)

// Every way the servers' option parser reaches a managed setting is
// refused, naming the setting; on MySQL 8 prefixes are no names.
func TestConfigKeysReachingManagedSettings(t *testing.T) {
	cases := []struct {
		key      string
		prefixes bool
		want     string // the managed setting, "" when allowed
	}{
		{"skip-grant-tables", false, "skip_grant_tables"},
		{"enable-skip-grant-tables", true, "skip_grant_tables"},
		{"enable-skip-grant-tables", false, "skip_grant_tables"},
		{"loose-enable-skip-grant-tables", false, "skip_grant_tables"},
		{"enable_loose_skip_grant_tables", false, "skip_grant_tables"},
		{"Enable-Skip-Grant-Tables", false, "skip_grant_tables"},
		{"skip-gr", true, "skip_grant_tables"},
		{"skip-gr", false, ""},
		{"enable-skip-gra", true, "skip_grant_tables"},
		{"skip-log-bin", false, "log_bin"},
		{"disable-log-bin", false, "log_bin"},
		{"loose-disable-log-bin", false, "log_bin"},
		{"disable-log-slave-updates", true, "log_slave_updates"},
		{"skip-log-replica-updates", false, "log_replica_updates"},
		{"log-slave-upd", true, "log_slave_updates"},
		{"datad", true, "datadir"},
		{"loose-datad", true, "datadir"},
		{"maximum-datadir", false, "datadir"},
		{"binlog-form", true, "binlog_format"},
		{"skip-skip-networking", false, "skip_networking"},
		{"disable-skip-networking", false, "skip_networking"},
		{"skip-netw", true, "skip_networking"},
		{"sock", true, "socket"},
		{"autoset-socket", true, "socket"},
		{"plugin-rpl-semi-sync-source-enabled", false, "rpl_semi_sync_source_enabled"},
		{"rpl-semi-sync-source", false, "rpl_semi_sync_source"},
		{"plugin-load", false, "plugin_load"},
		{"loose-loose-server-id", false, "server_id"},
		{"super-read-o", true, "super_read_only"},
		// What a server takes for other settings stays allowed.
		{"plugin-load-add", true, ""},
		{"skip-name-resolve", true, ""},
		{"log-error", true, ""},
		{"max-connections", true, ""},
		{"innodb-buffer-pool-size", true, ""},
		{"relay-log-index", true, ""},
		{"read-buffer-size", true, ""},
		{"port-open-timeout", true, ""},
		{"skip-log-error", true, ""},
		{"datad", false, ""},
		{"sock", false, ""},
	}
	for _, c := range cases {
		got, _ := managedTarget(c.key, c.prefixes)
		if got != c.want {
			t.Errorf("managedTarget(%q, prefixes=%v) = %q, want %q", c.key, c.prefixes, got, c.want)
		}
	}
}

// The refusal says which managed setting the key would have changed.
func TestConfigKeyRefusalNamesTheSetting(t *testing.T) {
	cases := map[string]string{
		"enable-skip-grant-tables": "spec.config[enable-skip-grant-tables]: Forbidden: enable-skip-grant-tables would change skip_grant_tables (the server strips option modifiers such as enable-, skip- and loose-), which is set by mysqlgen: it would disable authentication",
		"datad":                    "spec.config[datad]: Forbidden: datad would change datadir (this server takes a unique prefix of an option name for the option), which is set by mysqlgen: the scripts clone into and bootstrap this directory",
		"Log_Bin":                  "spec.config[Log_Bin]: Forbidden: Log_Bin is set by mysqlgen: every member writes a binary log, to serve clones and replicas",
	}
	for key, want := range cases {
		errs := validateConfig(map[string]string{key: "ON"}, true, field.NewPath("spec", "config"))
		if len(errs) != 1 || errs[0].Error() != want {
			t.Errorf("%s: got %v\nwant %s", key, errs, want)
		}
	}
}

// Against the real server, where one is installed: no option MariaDB
// knows is refused unless it is managed (no abbreviation check catches a
// whole name), and every managed setting it knows is refused under the
// modifiers its parser strips.
func TestConfigKeysAgainstMariaDB(t *testing.T) {
	bin, err := exec.LookPath("mariadbd")
	if err != nil {
		t.Skip("mariadbd is not installed")
	}
	out, err := exec.Command(bin, "--no-defaults", "--verbose", "--help").Output()
	if err != nil && len(out) == 0 {
		t.Skipf("mariadbd --help: %v", err)
	}
	_, table, found := bytes.Cut(out, []byte("\n---"))
	if !found {
		t.Fatal("mariadbd --help printed no variables table")
	}
	var names []string
	sc := bufio.NewScanner(bytes.NewReader(table))
	sc.Scan() // the rest of the dashes
	for sc.Scan() {
		if f := strings.Fields(sc.Text()); len(f) > 0 && configKeyRE.MatchString(f[0]) {
			names = append(names, f[0])
		}
	}
	if len(names) < 300 {
		t.Fatalf("read only %d option names", len(names))
	}
	managed := 0
	for _, name := range names {
		_, isManaged := ManagedSettings[NormalizeConfigKey(name)]
		if errs := validateConfig(map[string]string{name: "1"}, true, field.NewPath("c")); !isManaged && name != "default-time-zone" && len(errs) > 0 {
			t.Errorf("%s is refused: %v", name, errs)
		}
		for _, key := range []string{name, "loose-" + name} {
			target, _ := managedTarget(key, true)
			if (target != "") != isManaged {
				t.Errorf("%s: managed setting %q, want managed=%v", key, target, isManaged)
			}
		}
		if isManaged {
			managed++
			for _, mod := range []string{"enable-", "disable-", "skip-", "maximum-", "loose-enable-", "autoset-"} {
				if target, _ := managedTarget(mod+name, true); target == "" {
					t.Errorf("%s%s is allowed", mod, name)
				}
			}
		}
	}
	if managed < 15 {
		t.Errorf("only %d managed settings among MariaDB's options", managed)
	}
}

// Values the option file reader would cut or trim are refused, by validate
// and by the schema alike; what it takes whole passes both.
func TestConfigValuesReadWhole(t *testing.T) {
	s := compileSchema(t)
	cases := map[string]bool{ // value: accepted
		"STRICT_TRANS_TABLES,NO_ZERO_DATE": true,
		"'/var/log/a#b'":                   true,
		`SET @a='#'; SET @b="x#"`:          true,
		`it's #1`:                          true, // an open quote runs to the end
		`'a\'#'`:                           true,
		"":                                 true,
		"SET @a=1 # note":                  false,
		"#":                                false,
		`'a'#b`:                            false,
		" 1":                               false,
		"1 ":                               false,
	}
	for v, want := range cases {
		if got := cnfValueProblem(v) == ""; got != want {
			t.Errorf("cnfValueProblem(%q) accepts=%v, want %v", v, got, want)
		}
		doc := yamlDocuments(t, header+"spec:\n  config:\n    long_query_time: "+strconv.Quote(v)+"\n")[0]
		if got := s.Validate(doc) == nil; got != want {
			t.Errorf("schema on %q accepts=%v, want %v", v, got, want)
		}
	}
}
