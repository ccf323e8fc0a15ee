//go:build e2e

package e2e

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
)

// Images cannot be pulled here, so each image the StatefulSet names is
// played by the host's own binaries (Debian's MariaDB 10.11, mariabackup,
// mbstream, socat) under a root file system that mimics the image where it
// matters to the scripts: its /etc configuration, its directories and their
// owners, its default user and environment, and the names of its tools.
//
// The shim directory is first in the image's PATH (mounted at shimMount).
// A shim may only do one of three things, so the scripts run unchanged:
//   - map a tool's name to the host tool that plays it
//     (xtrabackup -> mariabackup, xbstream -> mbstream, mysqld -> mariadbd);
//   - for the MySQL server image only, translate MySQL's data directory
//     initialisation (mysqld --initialize / --initialize-insecure, which
//     MariaDB lacks) into mariadb-install-db with an empty root password,
//     which is what --initialize-insecure creates;
//   - refuse a tool the real image does not ship (exit 127, "not found in
//     image"), so a script that relies on it fails here as it would there.
//
// Sources: MariaDB/mariadb-docker 10.11/Dockerfile (Ubuntu, user mysql with
// home /var/lib/mysql, /run/mysqld 1777, bind-address/log/user commented
// out, 05-skipcache.cnf, mariadb.conf.d read before conf.d, mariadb-backup
// and socat installed); docker-library/mysql 5.7/Dockerfile.oracle (Oracle
// Linux slim, uid/gid 999, /etc/my.cnf with socket /var/run/mysqld and
// !includedir /etc/mysql/conf.d/, no hostname binary: kubernetes/website
// #35432); ../shared/reference/images.md for the Percona XtraBackup images
// (uid 1001 by default, socat, no ncat, no server).
const shimMount = "/opt/mysqlgen-e2e/shim"

// imageUser is an account of the image's /etc/passwd.
type imageUser struct {
	UID, GID int
	Home     string
}

type imageProfile struct {
	Ref      string            // the image reference as rendered
	Kind     string            // mariadb, mysql, xtrabackup
	Version  [2]int            // major, minor from the tag
	Env      []string          // the image's ENV
	User     int               // default uid (USER)
	Users    map[int]imageUser // accounts the image defines
	EtcFiles []imageFile
	EtcSkip  []string // host /etc entries the image does not have
	Dirs     []imageDir
	ShimDir  string      // host directory with the shims
	Mounts   []mountSpec // host paths the image holds at fixed places
}

const defaultPath = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"

// parseImage splits an image reference into its repository's last
// components and tag.
func parseImage(ref string) (repo string, tag string) {
	r := ref
	if i := strings.Index(r, "@"); i >= 0 {
		r = r[:i]
	}
	if i := strings.LastIndex(r, ":"); i > strings.LastIndex(r, "/") {
		tag, r = r[i+1:], r[:i]
	}
	parts := strings.Split(r, "/")
	if len(parts) > 1 && (strings.ContainsAny(parts[0], ".:") || parts[0] == "localhost") {
		parts = parts[1:]
	}
	if len(parts) > 1 && parts[0] == "library" {
		parts = parts[1:]
	}
	return strings.Join(parts, "/"), tag
}

func parseVersion(tag string) [2]int {
	var v [2]int
	f := strings.FieldsFunc(tag, func(r rune) bool { return r < '0' || r > '9' })
	for i := 0; i < 2 && i < len(f); i++ {
		v[i], _ = strconv.Atoi(f[i])
	}
	return v
}

// newImageProfile describes the image and writes its shim directory under
// dir. ids maps the image's uid/gid 999 to the host's mysql account.
func newImageProfile(ref, dir string, ids idMap) (*imageProfile, error) {
	repo, tag := parseImage(ref)
	p := &imageProfile{Ref: ref, Version: parseVersion(tag), Users: map[int]imageUser{0: {0, 0, "/root"}}}
	shims := map[string]string{}
	var deny []string
	switch {
	case repo == "mariadb" || strings.HasSuffix(repo, "/mariadb") || strings.HasSuffix(repo, "/mariadb-server"):
		p.Kind = "mariadb"
		p.Env = []string{"PATH=" + shimMount + ":" + defaultPath, "GOSU_VERSION=1.19", "LANG=C.UTF-8",
			"MARIADB_VERSION=1:" + tag + "+maria~ubu2204"}
		p.Users[999] = imageUser{999, 999, "/var/lib/mysql"}
		p.EtcSkip = []string{"mysql", "my.cnf"}
		p.EtcFiles = mariadbEtc()
		p.Dirs = []imageDir{
			{Path: "/var/lib/mysql", Mode: 0o755, UID: ids.uid(999), GID: ids.gid(999)},
			{Path: "/run/mysqld", Mode: 0o1777, UID: ids.uid(999), GID: ids.gid(999)},
			{Path: "/docker-entrypoint-initdb.d", Mode: 0o755},
			{Path: "/etc/mysql/conf.d", Mode: 0o755},
		}
		deny = []string{"xtrabackup", "xbstream", "ncat", "nc", "netcat"}
		if p.Version[0] >= 11 {
			// MariaDB 11 packages moved the mysql* compatibility names to
			// *-compat packages the image does not install.
			deny = append(deny, "mysql", "mysqld", "mysqladmin", "mysqldump", "mysql_install_db", "mysqld_safe")
		}
	case repo == "mysql" || strings.HasSuffix(repo, "/mysql-server") || strings.HasSuffix(repo, "/community-server") ||
		repo == "percona" || strings.HasSuffix(repo, "/percona-server"):
		p.Kind = "mysql"
		p.Env = []string{"PATH=" + shimMount + ":" + defaultPath, "GOSU_VERSION=1.14",
			"MYSQL_MAJOR=" + fmt.Sprintf("%d.%d", p.Version[0], p.Version[1]), "MYSQL_VERSION=" + tag}
		p.Users[999] = imageUser{999, 999, "/var/lib/mysql"}
		p.EtcSkip = []string{"mysql", "my.cnf"}
		p.EtcFiles = mysqlEtc()
		p.Dirs = []imageDir{
			{Path: "/var/lib/mysql", Mode: 0o1777, UID: ids.uid(999), GID: ids.gid(999)},
			{Path: "/run/mysqld", Mode: 0o1777, UID: ids.uid(999), GID: ids.gid(999)},
			{Path: "/var/lib/mysql-files", Mode: 0o750, UID: ids.uid(999), GID: ids.gid(999)},
			{Path: "/docker-entrypoint-initdb.d", Mode: 0o755},
			{Path: "/etc/mysql/conf.d", Mode: 0o755},
		}
		shims["mysqld"] = fmt.Sprintf(mysqldShim, hostTools["mariadbd"], hostTools["mariadb-install-db"])
		deny = []string{"mariadbd", "mariadb", "mariadb-admin", "mariadb-install-db", "mariabackup", "mariadb-backup",
			"mbstream", "xtrabackup", "xbstream", "socat", "ncat", "nc", "netcat", "hostname"}
	case strings.HasSuffix(repo, "percona-xtradb-cluster"):
		// percona/percona-docker percona-xtradb-cluster-5.7/Dockerfile (UBI 8
		// minimal): XtraBackup 2.4, socat, hostname, the PXC server, and of
		// the client package only mysql and mysqldump; USER 1001.
		p.Kind = "xtrabackup"
		p.Env = []string{"PATH=" + shimMount + ":" + defaultPath}
		p.User = 1001
		p.Users[1001] = imageUser{1001, 1001, "/home/mysql"}
		p.EtcSkip = []string{"mysql", "my.cnf"}
		p.Dirs = []imageDir{{Path: "/etc/mysql/conf.d", Mode: 0o775, UID: 1001, GID: 1001},
			{Path: "/var/lib/mysql", Mode: 0o775, UID: 1001, GID: 1001}}
		shims["xtrabackup"] = execShim(hostTools["mariabackup"])
		shims["xbstream"] = execShim(hostTools["mbstream"])
		shims["mysqld"] = fmt.Sprintf(mysqldShim, hostTools["mariadbd"], hostTools["mariadb-install-db"])
		deny = []string{"mariadbd", "mariadb", "mariadb-admin", "mariadb-install-db", "mariabackup", "mariadb-backup",
			"mbstream", "mysqladmin", "ncat", "nc", "netcat"}
	case strings.HasSuffix(repo, "percona-xtrabackup") || strings.HasSuffix(repo, "/xtrabackup"):
		p.Kind = "xtrabackup"
		p.Env = []string{"PATH=" + shimMount + ":" + defaultPath}
		p.User = 1001
		p.Users[1001] = imageUser{1001, 1001, "/home/mysql"}
		p.EtcSkip = []string{"mysql", "my.cnf"}
		shims["xtrabackup"] = execShim(hostTools["mariabackup"])
		shims["xbstream"] = execShim(hostTools["mbstream"])
		deny = []string{"mariadbd", "mysqld", "mariadb-install-db", "mysql_install_db", "mariabackup",
			"mariadb-backup", "mbstream", "ncat", "nc", "netcat", "hostname"}
	case repo == "rclone/rclone" || strings.HasSuffix(repo, "/rclone"):
		// rclone/rclone Dockerfile (alpine): the static binary at
		// /usr/local/bin/rclone, the only thing the tools init container
		// takes from it (cp into an emptyDir). Played by Debian's rclone
		// package: /usr/local/bin of this image is a directory whose rclone
		// links to the host's, which cp follows.
		p.Kind = "rclone"
		p.Env = []string{"PATH=" + shimMount + ":" + defaultPath}
		bin := filepath.Join(dir, "usr-local-bin")
		if err := os.MkdirAll(bin, 0o755); err != nil {
			return nil, err
		}
		if err := os.Symlink(hostTools["rclone"], filepath.Join(bin, "rclone")); err != nil {
			return nil, err
		}
		p.Mounts = []mountSpec{{Source: bin, Target: "/usr/local/bin", ReadOnly: true}}
		deny = []string{"mariadbd", "mysqld", "mariadb", "mysql", "mariabackup", "mariadb-backup", "xtrabackup", "mbstream", "xbstream", "socat"}
	default:
		return nil, fmt.Errorf("image %q: no host stand-in is known for it", ref)
	}
	p.ShimDir = filepath.Join(dir, "shim")
	if err := os.MkdirAll(p.ShimDir, 0o755); err != nil {
		return nil, err
	}
	for _, n := range deny {
		shims[n] = fmt.Sprintf("#!/bin/sh\necho \"%s: command not found (not in image %s; mysqlgen e2e shim)\" >&2\nexit 127\n", n, ref)
	}
	names := make([]string, 0, len(shims))
	for n := range shims {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, n := range names {
		if err := os.WriteFile(filepath.Join(p.ShimDir, n), []byte(shims[n]), 0o755); err != nil {
			return nil, err
		}
	}
	return p, nil
}

// execShim maps a tool's name to the host's tool, by absolute path so that
// another shim in the same directory cannot stand in the way.
func execShim(target string) string {
	return fmt.Sprintf("#!/bin/sh\n# mysqlgen e2e shim: the image's tool is played by the host's %s.\nexec %s \"$@\"\n", target, target)
}

// mysqldShim plays MySQL's mysqld with MariaDB's mariadbd. MySQL creates a
// data directory with `mysqld --initialize-insecure` (root@localhost, empty
// password); MariaDB has no such flag, and mariadb-install-db with the
// "normal" root authentication does that job. All other arguments pass
// through unchanged, in order. The initialisation stands in for MySQL's
// own internals, which use no PATH, so it runs with the host's PATH and not
// the image's (whose shims refuse tools such as hostname that
// mariadb-install-db calls).
const mysqldShim = `#!/bin/sh
# mysqlgen e2e shim: the mysql image's mysqld is played by the host's mariadbd.
init=
for a in "$@"; do
	case "$a" in --initialize|--initialize-insecure) init=1 ;; esac
done
if [ -z "$init" ]; then
	exec %[1]s "$@"
fi
for a in "$@"; do
	shift
	case "$a" in --initialize|--initialize-insecure) ;; *) set -- "$@" "$a" ;; esac
done
PATH=/usr/sbin:/usr/bin:/sbin:/bin
export PATH
exec %[2]s --auth-root-authentication-method=normal --skip-test-db "$@"
`

// mariadbEtc is /etc/mysql of the mariadb image: Ubuntu's MariaDB packaging
// after the Dockerfile's edits (mariadb.conf.d before conf.d, bind-address
// commented out, no name resolution).
func mariadbEtc() []imageFile {
	cnf := "# The MariaDB configuration file (as in the mariadb image)\n" +
		"[client-server]\n# Port or socket location where to connect\n# port = 3306\nsocket = /run/mysqld/mysqld.sock\n\n" +
		"# Import all .cnf files from configuration directory\n\n!includedir /etc/mysql/mariadb.conf.d/\n!includedir /etc/mysql/conf.d/\n"
	return []imageFile{
		{Path: "/etc/mysql/my.cnf", Content: cnf, Mode: 0o644},
		{Path: "/etc/mysql/mariadb.cnf", Content: cnf, Mode: 0o644},
		{Path: "/etc/mysql/mariadb.conf.d/05-skipcache.cnf", Content: "[mariadb]\nhost-cache-size=0\nskip-name-resolve\n", Mode: 0o644},
		{Path: "/etc/mysql/mariadb.conf.d/50-client.cnf", Content: "[client]\ndefault-character-set = utf8mb4\n\n[client-mariadb]\n", Mode: 0o644},
		{Path: "/etc/mysql/mariadb.conf.d/50-server.cnf", Content: "[server]\n\n[mysqld]\npid-file                = /run/mysqld/mysqld.pid\nbasedir                 = /usr\n" +
			"#datadir                 = /var/lib/mysql\n#tmpdir                  = /tmp\n#bind-address            = 127.0.0.1\n" +
			"expire_logs_days        = 10\ncharacter-set-server  = utf8mb4\ncollation-server      = utf8mb4_general_ci\n\n[embedded]\n\n[mariadb]\n\n[mariadb-10.11]\n", Mode: 0o644},
	}
}

// mysqlEtc is /etc/my.cnf of the Oracle Linux mysql image (5.7 and 8.x).
func mysqlEtc() []imageFile {
	return []imageFile{{Path: "/etc/my.cnf", Mode: 0o644, Content: "# as in the mysql image (Oracle Linux)\n[mysqld]\nskip-host-cache\nskip-name-resolve\n" +
		"datadir=/var/lib/mysql\nsocket=/var/run/mysqld/mysqld.sock\nsecure-file-priv=/var/lib/mysql-files\nuser=mysql\n\n" +
		"pid-file=/var/run/mysqld/mysqld.pid\n[client]\nsocket=/var/run/mysqld/mysqld.sock\n\n!includedir /etc/mysql/conf.d/\n"}}
}

// hostTools are the host binaries that play the images' tools, resolved
// once by findHostTools.
var hostTools = map[string]string{}

// requiredTools are the host commands the simulator and the stand-ins need.
var requiredTools = []string{"mariadbd", "mariadb", "mariadb-admin", "mariadb-install-db", "mariabackup", "mbstream",
	"socat", "nsenter", "setpriv", "env", "ip", "useradd", "groupadd", "rclone", "gzip", "zstd", "openssl"}

// findHostTools resolves requiredTools, reporting every missing one.
func findHostTools() error {
	var missing []string
	for _, n := range requiredTools {
		p, err := exec.LookPath(n)
		if err != nil {
			for _, d := range []string{"/usr/sbin", "/sbin"} {
				if _, e := os.Stat(filepath.Join(d, n)); e == nil {
					p, err = filepath.Join(d, n), nil
				}
			}
		}
		if err != nil {
			missing = append(missing, n)
			continue
		}
		hostTools[n] = p
	}
	if len(missing) > 0 {
		return fmt.Errorf("missing host commands: %s (install mariadb-server-core mariadb-client mariadb-backup socat rclone zstd openssl)", strings.Join(missing, ", "))
	}
	return nil
}

// idMap maps the images' mysql uid/gid 999 to the host's mysql account.
type idMap struct{ UID, GID int }

func (m idMap) uid(u int) int {
	if u == 999 {
		return m.UID
	}
	return u
}

func (m idMap) gid(g int) int {
	if g == 999 {
		return m.GID
	}
	return g
}
