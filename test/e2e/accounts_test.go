//go:build e2e

package e2e

import (
	"fmt"
	"strings"
	"syscall"
	"testing"
	"time"
)

// Without TLS: declared users and init SQL, the sidecar restarted alone
// (init SQL stays done), and a cluster that predates the socket-
// authenticated local admin (dropped here by hand) keeps its probes green
// with root's password until its primary restarts and makes the admin.
const accountsSpec = `  flavor: mariadb
  version: "10.11"
  replicas: 2
  databases:
  - name: app_db
  - name: other
  users:
  - name: app
    passwordSecretKeyRef: {name: app-secret, key: password}
    grants:
    - privileges: [SELECT, INSERT, UPDATE, DELETE]
      database: app_db
    - privileges: [SELECT]
      database: other
      table: t
  - name: reporting
    host: "10.88.0.%"
    passwordSecretKeyRef: {name: app-secret, key: reporting}
    grants:
    - privileges: [SELECT]
      database: app_db
  initSQL:
    configMapName: mysql-init
`

func TestAccounts(t *testing.T) {
	s, _, done := tlsCluster(t, "accounts", accountsSpec, 2)
	if s == nil {
		return
	}
	defer done()
	c := s.c
	if !check(t, "accounts: 2 pods Ready", c.waitReady(2, 5*time.Minute)) {
		return
	}
	root := testPasswords["root-password"]
	host := s.pod(0) + ".mysql"
	out, err := s.clientSQL(1, "app", appPassword, host, "INSERT INTO app_db.t (v) VALUES ('x'); SELECT COUNT(*) FROM other.t")
	check(t, "accounts: app writes app_db and reads other.t over plain TCP (no spec.tls)", firstErr(err, expect(out == "0", "got %q", out)))
	_, err = s.clientSQL(1, "app", appPassword, host, "SELECT * FROM other.u")
	check(t, "accounts: app is refused a table it was not granted", expect(err != nil && strings.Contains(err.Error(), "denied"), "%v", err))
	out, err = s.clientSQL(1, "reporting", "rep pw 1", host, "SELECT COUNT(*) FROM app_db.t")
	check(t, "accounts: reporting reads app_db", firstErr(err, expect(out == "1", "got %q", out)))
	s.initOnce("accounts", 2, root)

	// The sidecar alone restarts: it applies the accounts again, init SQL
	// does not run again.
	p0 := c.pod(0)
	before := p0.restarts(sidecarName)
	for _, pid := range p0.procsIn(p0.container(sidecarName), "bash") {
		_ = syscall.Kill(pid, syscall.SIGKILL)
	}
	ok := waitFor(2*time.Minute, func() bool { return p0.restarts(sidecarName) > before && p0.isReady() })
	check(t, "accounts: the primary's sidecar restarted alone and is Ready", expect(ok, "%s", c.status()))
	s.initOnce("accounts: after the sidecar's restart", 2, root)

	// A cluster that predates the local admin: probes fall back to root's
	// password; the primary's next start makes the admin (replicated).
	_, err = s.rootSQL(0, "DROP USER 'mysql'@'localhost'")
	check(t, "accounts: the local admin dropped by hand (a cluster made before it)", err)
	r := s.watchReadiness(2)
	time.Sleep(12 * time.Second) // two readiness periods and more
	misses, polls := r.finish()
	check(t, fmt.Sprintf("accounts: without the local admin, probes log in with root's password (%d samples)", polls), expect(len(misses) == 0, "%v", misses))
	if check(t, "accounts: the primary restarts", c.deletePod(0, 2*time.Minute)) {
		check(t, "accounts: 2 pods Ready again", c.waitReady(2, 5*time.Minute))
	}
	for ord := 0; ord < 2; ord++ {
		var got string
		waitFor(30*time.Second, func() bool {
			got, _ = s.rootSQL(ord, "SELECT plugin FROM mysql.user WHERE User = 'mysql' AND Host = 'localhost'")
			return got == "unix_socket"
		})
		check(t, fmt.Sprintf("accounts: %s has the socket-authenticated admin again", s.pod(ord)), expect(got == "unix_socket", "got %q", got))
		out, err := c.execOut(ord, sidecarName, "bash", "-c", `mariadb --defaults-extra-file="$MYSQLGEN_GENERATED_DIR/admin.cnf" -N -B -e 'SELECT CURRENT_USER()'`)
		check(t, fmt.Sprintf("accounts: %s's sidecar logs in on the socket without a password", s.pod(ord)), firstErr(err, expect(out == "mysql@localhost", "got %q", out)))
	}
	s.initOnce("accounts: after the primary's restart", 2, root)
}
