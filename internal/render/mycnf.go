package render

import (
	"fmt"
	"maps"
	"slices"
	"strings"

	"github.com/mysqlgen/mysqlgen/internal/spec"
)

// setting is one my.cnf line with the reason it has that value.
type setting struct {
	key, value, why string
}

// managedSettings are what replication and the scripts depend on; users
// cannot override them (spec.ManagedSettings lists these names, and more
// that the scripts depend on without mysqlgen writing them).
func managedSettings(c *cluster) []setting {
	s := []setting{
		{"datadir", pathDataDir, "cloned and bootstrapped by the scripts"},
		{"socket", pathSocket, "shared with the sidecar and probes"},
		{"pid-file", pathPID, ""},
		{"port", fmt.Sprint(portMySQL), ""},
		{"log-bin", "mysql-bin", "every member logs, so any can be cloned or promoted"},
		{"binlog-format", "ROW", ""},
		{"relay-log", "relay-bin", "a name that survives pod restarts"},
	}
	updates := "log-slave-updates"
	if c.release.Dialect == spec.DialectMySQL80 || c.release.Dialect == spec.DialectMySQL84 {
		updates = "log-replica-updates"
	}
	s = append(s, setting{updates, "ON", "replicas log what they apply"})
	if *c.Spec.Replication.GTID && c.Spec.Flavor == spec.FlavorMySQL {
		s = append(s,
			setting{"gtid-mode", "ON", "spec.replication.gtid"},
			setting{"enforce-gtid-consistency", "ON", "spec.replication.gtid"})
	}
	if c.Spec.Replication.SemiSync {
		s = append(s, semiSyncSettings(c.release.Dialect)...)
	}
	return append(s, tlsSettings(c)...)
}

// semiSyncSettings turn on semi-synchronous replication on every member, in
// both roles, so that the settings need not follow the pod's role: a source
// setting means nothing on a replica, and the reverse. MySQL loads plugins
// (renamed source/replica in 8.0.26; 8.4 has only the new ones); MariaDB has
// it built in. The primary waits 10 s for a replica, then goes on alone.
func semiSyncSettings(dialect string) []setting {
	const why = "spec.replication.semiSync"
	switch dialect {
	case spec.DialectMariaDB:
		return []setting{
			{"rpl-semi-sync-master-enabled", "ON", why},
			{"rpl-semi-sync-slave-enabled", "ON", why},
			{"rpl-semi-sync-master-timeout", "10000", why},
		}
	case spec.DialectMySQL57:
		return []setting{
			{"plugin-load-add", "semisync_master.so;semisync_slave.so", why},
			{"loose-rpl-semi-sync-master-enabled", "ON", why},
			{"loose-rpl-semi-sync-slave-enabled", "ON", why},
			{"loose-rpl-semi-sync-master-timeout", "10000", why},
		}
	default:
		return []setting{
			{"plugin-load-add", "semisync_source.so;semisync_replica.so", why},
			{"loose-rpl-semi-sync-source-enabled", "ON", why},
			{"loose-rpl-semi-sync-replica-enabled", "ON", why},
			{"loose-rpl-semi-sync-source-timeout", "10000", why},
		}
	}
}

// defaultSettings are good defaults that spec.config may override.
func defaultSettings(c *cluster) []setting {
	s := []setting{
		{"skip-name-resolve", "ON", "peers connect by address; no DNS on the login path"},
	}
	if c.release.Dialect == spec.DialectMySQL57 {
		// 5.7 keeps replication positions in files unless told otherwise;
		// tables make them crash-safe together with relay-log-recovery.
		s = append(s,
			setting{"master-info-repository", "TABLE", "crash-safe replication"},
			setting{"relay-log-info-repository", "TABLE", "crash-safe replication"})
	}
	if c.Spec.Flavor == spec.FlavorMariaDB && *c.Spec.Replication.GTID {
		s = append(s, setting{"gtid-strict-mode", "ON", "replicas refuse out-of-order transactions"})
	}
	return append(s, memorySettings(c)...)
}

// memorySettings size the buffer pool, the connection limit and, on MySQL
// 8, TempTable's RAM from the server container's memory limit, when there
// is one (spec.PlanMemory); a buffer pool from spec.config drives the
// connection limit in its place. Each line's comment says where its value
// came from.
func memorySettings(c *cluster) []setting {
	limit := spec.MemoryLimit(&c.Spec)
	if limit == 0 {
		return nil
	}
	text := c.Spec.Resources.Limits["memory"]
	var userPool int64
	if v, ok := spec.ConfigValue(c.Spec.Config, "innodb_buffer_pool_size"); ok {
		userPool, _ = spec.ParseOptionSize(v)
	}
	m := spec.PlanMemory(c.release, limit, userPool)
	var s []setting
	poolFrom := fmt.Sprintf("spec.config's innodb_buffer_pool_size (%dM)", m.BufferPool/spec.MiB)
	if userPool == 0 {
		poolFrom = "the buffer pool"
		why := fmt.Sprintf("%d%% of the mysql container's memory limit (%s), rounded down to the 128M chunk size", spec.BufferPoolPercent, text)
		if !m.ByShare {
			why = fmt.Sprintf("the mysql container's memory limit (%s) less %dM for the rest of the server and %dM for %d connections, rounded down to the 128M chunk size: at this limit %d%% would leave the server too little and get it killed",
				text, m.Headroom/spec.MiB, spec.MinConnections*spec.PerConnection/spec.MiB, spec.MinConnections, spec.BufferPoolPercent)
		}
		s = append(s, setting{"innodb-buffer-pool-size", fmt.Sprintf("%dM", m.BufferPool/spec.MiB), why})
	}
	s = append(s, setting{"max-connections", fmt.Sprint(m.Connections),
		fmt.Sprintf("the memory limit (%s) less %s and %dM for the rest of the server, at %dM a connection, between %d and %d",
			text, poolFrom, m.Headroom/spec.MiB, spec.PerConnection/spec.MiB, spec.MinConnections, spec.MaxConnections)})
	if m.TempTableRAM > 0 {
		s = append(s, setting{"temptable-max-ram", fmt.Sprintf("%dM", m.TempTableRAM/spec.MiB),
			fmt.Sprintf("in-memory temporary tables may take 1/16 of the memory limit (%s), between 64M and the server's 1G default, counted in the %dM", text, m.Headroom/spec.MiB)})
	}
	return s
}

// makeMyCnf renders the base my.cnf every member shares: managed settings,
// then defaults, then spec.config, each block in sorted order. init-mysql
// appends the pod's role file and server-id.
func makeMyCnf(c *cluster) string {
	var b strings.Builder
	fmt.Fprintf(&b, "# my.cnf of MySQLCluster %s (%s %s), rendered by mysqlgen.\n", c.Metadata.Name, c.Spec.Flavor, c.Spec.Version)
	b.WriteString("# init-mysql appends primary.cnf or replica.cnf and server-id per pod.\n[mysqld]\n")
	user := map[string]string{}
	for k, v := range c.Spec.Config {
		user[spec.NormalizeConfigKey(k)] = v
	}
	writeBlock := func(title string, settings []setting) {
		if len(settings) == 0 {
			return
		}
		slices.SortFunc(settings, func(a, b setting) int { return strings.Compare(a.key, b.key) })
		fmt.Fprintf(&b, "\n# %s\n", title)
		for _, s := range settings {
			if s.why != "" {
				fmt.Fprintf(&b, "# %s\n", s.why)
			}
			fmt.Fprintf(&b, "%s=%s\n", s.key, s.value)
		}
	}
	writeBlock("Managed by mysqlgen; spec.config cannot override these.", managedSettings(c))
	var defaults []setting
	for _, s := range defaultSettings(c) {
		if _, overridden := user[spec.NormalizeConfigKey(s.key)]; !overridden {
			defaults = append(defaults, s)
		}
	}
	writeBlock("Defaults; spec.config overrides these.", defaults)
	var fromSpec []setting
	for _, k := range slices.Sorted(maps.Keys(c.Spec.Config)) {
		fromSpec = append(fromSpec, setting{key: k, value: c.Spec.Config[k]})
	}
	writeBlock("From spec.config.", fromSpec)
	return b.String()
}
