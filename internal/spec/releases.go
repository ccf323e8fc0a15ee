package spec

import "slices"

// Flavors.
const (
	FlavorMySQL   = "mysql"
	FlavorMariaDB = "mariadb"
)

// Dialects name the replication SQL a server speaks; the scripts map each to
// its words (templates/common.sh).
const (
	DialectMySQL57 = "mysql57" // CHANGE MASTER TO, START SLAVE
	DialectMySQL80 = "mysql80" // CHANGE REPLICATION SOURCE TO, START REPLICA (8.0.23+)
	DialectMySQL84 = "mysql84" // as 8.0; the old words and RESET MASTER are gone
	DialectMariaDB = "mariadb" // CHANGE MASTER TO, START SLAVE, MASTER_USE_GTID
)

// Release is one supported flavor and version: everything that differs
// between servers lives in this one table.
type Release struct {
	Flavor  string
	Version string
	// Image is the default server image. It must hold bash and the server,
	// client and bootstrap binaries the scripts call.
	Image string
	// BackupImage is the default image of clone-mysql and the sidecar. It
	// must hold bash, socat, the client and a backup tool that can back up
	// Image's server (XtraBackup backs up its own series only).
	BackupImage string
	// Dialect of the replication SQL.
	Dialect string
	// GTID is the default replication mode.
	GTID bool
	// BackupPrivileges are what the backup user is granted on *.*: what the
	// backup tool needs and no more.
	BackupPrivileges string
	// MetricsPrivileges are the exporter user's on *.*: process list and
	// replication status, no data.
	MetricsPrivileges string
	// OptionPrefixes: the server takes any unique prefix of an option name
	// for the option (MariaDB's mysys/my_getopt.c findopt, with
	// my_getopt_prefix_matching on by default; MySQL up to 5.7, with a
	// deprecation warning). MySQL 8.0's mysys/my_getopt.cc findopt matches
	// whole names only.
	OptionPrefixes bool
	// BackupZstd: BackupImage has the zstd CLI, which spec.backup's
	// compression zstd runs (the backup Job and a restore's clone-mysql).
	BackupZstd bool
}

// Releases is the table of supported servers, in a fixed order. The images
// run as uid/gid 999, the mysql user of the server images, which owns the
// data directory; the Percona images' own user (1001) is overridden.
var Releases = []Release{
	{
		Flavor: FlavorMySQL, Version: "5.7",
		// docker-library/mysql 5.7/Dockerfile.oracle (5.7.44, the last 5.7,
		// amd64 only): bash, mysqld, mysql; mysql user 999:999.
		Image: "mysql:5.7.44",
		// percona/percona-docker percona-xtradb-cluster-5.7/Dockerfile: the
		// XtraBackup 2.4 image has no socat and no client, this one has
		// percona-xtrabackup-24 (xtrabackup, xbstream), socat, mysql, bash.
		BackupImage:       "percona/percona-xtradb-cluster:5.7",
		Dialect:           DialectMySQL57,
		GTID:              false,
		BackupPrivileges:  "RELOAD, LOCK TABLES, PROCESS, REPLICATION CLIENT",
		MetricsPrivileges: "PROCESS, REPLICATION CLIENT",
		OptionPrefixes:    true,
	},
	{
		Flavor: FlavorMySQL, Version: "8.0",
		// docker-library/mysql 8.0/Dockerfile.oracle: bash, mysqld, mysql; 999:999.
		Image: "mysql:8.0",
		// percona/percona-docker percona-xtrabackup-8.0/Dockerfile: XtraBackup
		// 8.0 (xtrabackup, xbstream), percona-server-client (mysql), socat,
		// and qpress, lz4 and zstd for its compressed backups.
		BackupImage:       "percona/percona-xtrabackup:8.0",
		BackupZstd:        true,
		Dialect:           DialectMySQL80,
		GTID:              true,
		BackupPrivileges:  "BACKUP_ADMIN, RELOAD, LOCK TABLES, PROCESS, REPLICATION CLIENT",
		MetricsPrivileges: "PROCESS, REPLICATION CLIENT",
	},
	{
		Flavor: FlavorMySQL, Version: "8.4",
		// docker-library/mysql 8.4/Dockerfile.oracle: bash, mysqld, mysql; 999:999.
		Image: "mysql:8.4",
		// percona/percona-docker percona-xtrabackup-8.x/Dockerfile: XtraBackup
		// 8.4 (xtrabackup, xbstream), percona-server-client 8.4 (mysql), socat.
		// Its entrypoint's call-home is skipped: the containers set command.
		BackupImage:       "percona/percona-xtrabackup:8.4",
		Dialect:           DialectMySQL84,
		GTID:              true,
		BackupPrivileges:  "BACKUP_ADMIN, RELOAD, LOCK TABLES, PROCESS, REPLICATION CLIENT",
		MetricsPrivileges: "PROCESS, REPLICATION CLIENT",
	},
	{
		Flavor: FlavorMariaDB, Version: "10.11",
		// MariaDB/mariadb-docker 10.11/Dockerfile: mariadb-server,
		// mariadb-backup (mariadb-backup, mbstream) and socat in one image;
		// bash, mariadbd, mariadb, mariadb-install-db; mysql user 999:999.
		Image:             "mariadb:10.11",
		BackupImage:       "mariadb:10.11",
		Dialect:           DialectMariaDB,
		GTID:              true,
		BackupPrivileges:  "RELOAD, PROCESS, LOCK TABLES, BINLOG MONITOR, SLAVE MONITOR",
		MetricsPrivileges: "PROCESS, BINLOG MONITOR, SLAVE MONITOR",
		OptionPrefixes:    true,
	},
	{
		Flavor: FlavorMariaDB, Version: "11.4",
		// MariaDB/mariadb-docker 11.4/Dockerfile: as 10.11, without the mysql*
		// names (moved to the -compat packages in 11.0), so the scripts call
		// the mariadb* names only.
		Image:             "mariadb:11.4",
		BackupImage:       "mariadb:11.4",
		Dialect:           DialectMariaDB,
		GTID:              true,
		BackupPrivileges:  "RELOAD, PROCESS, LOCK TABLES, BINLOG MONITOR, SLAVE MONITOR",
		MetricsPrivileges: "PROCESS, BINLOG MONITOR, SLAVE MONITOR",
		OptionPrefixes:    true,
	},
}

// DefaultVersions is each flavor's default version: the newest LTS.
var DefaultVersions = map[string]string{
	FlavorMySQL:   "8.4",
	FlavorMariaDB: "11.4",
}

// LookupRelease returns the release of a flavor and version.
func LookupRelease(flavor, version string) (Release, bool) {
	i := slices.IndexFunc(Releases, func(r Release) bool { return r.Flavor == flavor && r.Version == version })
	if i < 0 {
		return Release{}, false
	}
	return Releases[i], true
}

// Versions returns the supported versions of a flavor, in table order.
func Versions(flavor string) []string {
	var vs []string
	for _, r := range Releases {
		if r.Flavor == flavor {
			vs = append(vs, r.Version)
		}
	}
	return vs
}

// DefaultToolsImage is the image the backup Job's and a restore's "tools"
// init container copies rclone from (cp /usr/local/bin/rclone), for the S3
// destinations: one image for every release, since the backup images hold
// no S3 client. rclone/rclone Dockerfile at v1.75.0: the binary is built
// with CGO_ENABLED=0 (static, so it runs in the Debian, Ubuntu and Oracle
// Linux backup images) and copied to /usr/local/bin/; the final stage is
// alpine:latest, whose busybox has cp. 1.75.0 (2026-07-31) is the newest
// release and fixes S3 redirects that leaked credentials
// (GHSA-8mxv-9xhp-86h4). Docker Hub tags follow the release without the v.
const DefaultToolsImage = "rclone/rclone:1.75.0"
