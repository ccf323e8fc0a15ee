//go:build e2e

package e2e

import (
	"crypto/sha256"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// The TLS and accounts proof runs on one cluster, rendered from a
// spec with spec.tls (requireSecureTransport), declared databases and users
// and spec.initSQL by the real binary. Certificates are made with the
// openssl CLI in cert-manager's Secret layout (tls.crt, tls.key, ca.crt):
// cert-manager's controller needs a running API server with its webhook and
// CRDs, which the pod simulator does not have; the Secret it would write is
// what the pods read, and that is exactly what is made here.
const tlsSpec = `  flavor: mariadb
  version: "10.11"
  config:
    performance_schema: "ON"
  tls:
    secretName: mysql-tls
    requireSecureTransport: true
  databases:
  - name: app_db
    characterSet: utf8mb4
    collation: utf8mb4_bin
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
    requireSSL: true
    maxUserConnections: 10
  - name: reporting
    host: "10.88.0.%"
    passwordSecretKeyRef: {name: app-secret, key: reporting}
    grants:
    - privileges: [SELECT, CREATE TEMPORARY TABLES]
      database: app_db
  - name: legacy
    state: absent
  initSQL:
    configMapName: mysql-init
  backup:
    schedule: "@daily"
    pvc: {size: 1Gi}
`

// The init SQL makes tables in the declared databases (it runs after them)
// and records each run: a second run would fail on CREATE TABLE and add a row.
var initSQL = map[string]string{
	"01-schema.sql": "CREATE DATABASE init_db;\nCREATE TABLE init_db.runs (id INT AUTO_INCREMENT PRIMARY KEY, host VARCHAR(64));\n" +
		"CREATE TABLE app_db.t (id INT AUTO_INCREMENT PRIMARY KEY, v VARCHAR(64));\nCREATE TABLE other.t (v INT);\nCREATE TABLE other.u (v INT);\n",
	"02-record.sql": "INSERT INTO init_db.runs (host) VALUES (@@hostname);\n",
	"README.txt":    "not SQL: never run\n",
}

const tlsDir = "/etc/mysqlgen/tls"

var tlsFlags = []string{"--ssl", "--ssl-ca=" + tlsDir + "/ca.crt", "--ssl-verify-server-cert"}

// pki makes a CA and leaf certificates with the openssl CLI.
type pki struct{ dir string }

func (k pki) run(args ...string) error {
	cmd := exec.Command(hostTools["openssl"], args...)
	cmd.Dir = k.dir
	if out, err := cmd.CombinedOutput(); err != nil {
		return fmt.Errorf("openssl %s: %v\n%s", strings.Join(args, " "), err, out)
	}
	return nil
}

func newPKI(dir string) (pki, error) {
	k := pki{dir}
	return k, k.run("req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes",
		"-keyout", "ca.key", "-out", "ca.crt", "-days", "2", "-subj", "/CN=mysqlgen e2e CA",
		"-addext", "basicConstraints=critical,CA:TRUE", "-addext", "keyUsage=critical,keyCertSign,cRLSign")
}

// secret issues a certificate with this serial for every member's short
// name (<sts>-<k>.<service>, what the scripts dial) and the Services, for
// server and client use, and returns the Secret cert-manager would write.
func (k pki) secret(serial int) (*corev1.Secret, error) {
	var names []string
	for i := 0; i < 8; i++ {
		names = append(names, fmt.Sprintf("DNS:mysql-%d.mysql", i))
	}
	names = append(names, "DNS:mysql", "DNS:mysql-primary")
	ext := "subjectAltName=" + strings.Join(names, ",") + "\nextendedKeyUsage=serverAuth,clientAuth\nkeyUsage=critical,digitalSignature\n"
	if err := os.WriteFile(filepath.Join(k.dir, "ext.cnf"), []byte(ext), 0o600); err != nil {
		return nil, err
	}
	if err := k.run("req", "-new", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes",
		"-keyout", "tls.key", "-out", "tls.csr", "-subj", "/CN=mysql"); err != nil {
		return nil, err
	}
	if err := k.run("x509", "-req", "-in", "tls.csr", "-CA", "ca.crt", "-CAkey", "ca.key", "-set_serial", fmt.Sprint(serial),
		"-days", "1", "-extfile", "ext.cnf", "-out", "tls.crt"); err != nil {
		return nil, err
	}
	data := map[string][]byte{}
	for _, f := range []string{"tls.crt", "tls.key", "ca.crt"} {
		b, err := os.ReadFile(filepath.Join(k.dir, f))
		if err != nil {
			return nil, err
		}
		data[f] = b
	}
	return &corev1.Secret{ObjectMeta: metav1.ObjectMeta{Name: "mysql-tls"}, Type: corev1.SecretTypeTLS, Data: data}, nil
}

func userSecret(app, reporting string) *corev1.Secret {
	return &corev1.Secret{ObjectMeta: metav1.ObjectMeta{Name: "app-secret"},
		StringData: map[string]string{"password": app, "reporting": reporting}}
}

// clientSQL runs a query from pod ord's server container over TCP to host,
// with the given client flags (TLS or none).
func (s *suite) clientSQL(ord int, user, password, host, q string, flags ...string) (string, error) {
	p := s.c.pod(ord)
	if p == nil {
		return "", fmt.Errorf("%s does not exist", s.pod(ord))
	}
	argv := append([]string{"mysql", "-u" + user, "--connect-timeout=5", "-N", "-B", "-h" + host, "-P3306", "--protocol=TCP"}, flags...)
	r := p.exec(p.container(serverName), append(argv, "-e", q), []string{"MYSQL_PWD=" + password}, 30*time.Second)
	if r.Code != 0 || r.Err != nil {
		return r.Stdout, fmt.Errorf("%s as %s to %s: %q: %s", p.name, user, host, q, strings.TrimSpace(r.Stderr+" "+fmt.Sprint(r.Err)))
	}
	return strings.TrimRight(r.Stdout, "\n"), nil
}

// serial prints the serial of the certificate a TLS client is shown at
// host:port from pod ord: MySQL's protocol (openssl s_client -starttls
// mysql) or the backup port (plain TLS, with the member's client cert).
func (s *suite) serial(ord int, host string, port int) string {
	p := s.c.pod(ord)
	if p == nil {
		return ""
	}
	starttls := "-starttls mysql"
	if port != 3306 {
		starttls = "-cert " + tlsDir + "/tls.crt -key " + tlsDir + "/tls.key"
	}
	script := fmt.Sprintf("openssl s_client -connect %s:%d %s -CAfile %s/ca.crt -verify_return_error </dev/null 2>/dev/null | openssl x509 -noout -serial",
		host, port, starttls, tlsDir)
	r := p.exec(p.container(sidecarName), []string{"bash", "-c", script}, nil, 30*time.Second)
	return strings.TrimSpace(r.Stdout)
}

// readiness samples every pod's readiness until stopped and reports each
// moment a pod of 0..n-1 was missing or not Ready.
type readiness struct {
	stop   chan struct{}
	wg     sync.WaitGroup
	mu     sync.Mutex
	misses []string
	polls  int
}

func (s *suite) watchReadiness(n int) *readiness {
	r := &readiness{stop: make(chan struct{})}
	r.wg.Add(1)
	go func() {
		defer r.wg.Done()
		for {
			select {
			case <-r.stop:
				return
			case <-time.After(200 * time.Millisecond):
			}
			r.mu.Lock()
			r.polls++
			for ord := 0; ord < n; ord++ {
				if p := s.c.pod(ord); p == nil || !p.isReady() {
					r.misses = append(r.misses, fmt.Sprintf("%s at %s", s.pod(ord), s.c.elapsed()))
				}
			}
			r.mu.Unlock()
		}
	}()
	return r
}

func (r *readiness) finish() ([]string, int) {
	close(r.stop)
	r.wg.Wait()
	return r.misses, r.polls
}

// tlsCluster starts the TLS cluster: render, certificate, users' Secret,
// init SQL ConfigMap.
func tlsCluster(t *testing.T, name, body string, replicas int32) (*suite, pki, func()) {
	requireHost(t)
	bin, err := buildMysqlgen()
	if !check(t, name+": build mysqlgen", err) {
		return nil, pki{}, nil
	}
	out, err := renderSpec(t, bin, body)
	if !check(t, name+": mysqlgen render of spec.tls, databases, users, initSQL exits 0", err) {
		return nil, pki{}, nil
	}
	k, err := newPKI(t.TempDir())
	if !check(t, name+": CA made with openssl", err) {
		return nil, pki{}, nil
	}
	cert, err := k.secret(1)
	if !check(t, name+": certificate (serial 1) made with openssl in cert-manager's layout", err) {
		return nil, pki{}, nil
	}
	cm := &corev1.ConfigMap{ObjectMeta: metav1.ObjectMeta{Name: "mysql-init"}, Data: initSQL}
	s, done := startManifest(t, name, out, testPasswords, replicas, cert, userSecret(appPassword, "rep pw 1"), cm)
	if s != nil {
		s.specBody = body
	}
	return s, k, done
}

// TestTLS: encrypted replication and clients, certificate renewal without
// restarts, every password rotated with the cluster replicating and Ready,
// the clone of a new member over mutual TLS, init SQL once across restarts.
func TestTLS(t *testing.T) {
	s, k, done := tlsCluster(t, "tls", tlsSpec, 3)
	if s == nil {
		return
	}
	defer done()
	c := s.c
	if !check(t, "tls: 3 pods Ready (probes on the socket under require_secure_transport; replicas cloned over mutual TLS)", c.waitReady(3, 6*time.Minute)) {
		return
	}
	s.tlsEncrypted("tls")
	s.backupOverTLS("tls")
	s.accountsExact("tls")
	s.initOnce("tls", 3, testPasswords["root-password"])
	passwords := s.rotateAll("tls")
	s.renewCertificate("tls", k, passwords)
	s.cloneOverTLS("tls", passwords)
	// The primary restarts: init SQL stays done, accounts stay exact.
	if check(t, "tls: the primary's pod is deleted and comes back", c.deletePod(0, 2*time.Minute)) {
		check(t, "tls: 4 pods Ready after the primary's restart", c.waitReady(4, 5*time.Minute))
		s.initOnce("tls: after the primary's restart", 4, passwords["root-password"])
	}
	for ord := 0; ord < 4; ord++ {
		if p := c.pod(ord); p != nil {
			check(t, fmt.Sprintf("tls: %s's sidecar never restarted (watcher and listener kept running)", p.name),
				expect(p.restarts(sidecarName) == 0, "%d restarts", p.restarts(sidecarName)))
		}
	}
}

// backupOverTLS runs the backup CronJob's pod as rendered: the members'
// backup port speaks mutual TLS only (cloneOverTLS shows a plain peer gets
// no greeting), so a published backup proves the Job's pod holds the
// certificate and dials with it.
func (s *suite) backupOverTLS(label string) {
	code, j, err := s.c.runJob("mysql-backup", nil, 5*time.Minute)
	if !check(s.t, label+": the backup Job's pod exits 0 through the mutual-TLS backup port",
		firstErr(err, expect(code == 0, "exit %d: %s", code, tail(j.logs("backup"), 1500)))) {
		return
	}
	name := regexp.MustCompile(`backup (\d{8}T\d{6}Z) complete`).FindStringSubmatch(j.logs("backup"))
	if !check(s.t, label+": the backup Job names the backup it published", expect(name != nil, "%s", tail(j.logs("backup"), 800))) {
		return
	}
	manifest := filepath.Join(s.c.pvcDir("mysql-backup"), name[1], "mysqlgen-backup.txt")
	_, err = os.Stat(manifest)
	check(s.t, label+": the backup's manifest is on the claim", err)
}

// tlsEncrypted checks both ends of replication and a client connection.
func (s *suite) tlsEncrypted(label string) {
	t, c := s.t, s.c
	for _, ord := range []int{1, 2} {
		st, err := c.sql(ord, serverName, "root", testPasswords["root-password"], "SHOW SLAVE STATUS", false, "-E")
		check(t, fmt.Sprintf("%s: %s replicates with TLS, verifying the primary's certificate against the CA", label, s.pod(ord)),
			firstErr(err, expect(strings.Contains(st, "Master_SSL_Allowed: Yes") && strings.Contains(st, "Master_SSL_Verify_Server_Cert: Yes") &&
				strings.Contains(st, "Master_SSL_CA_File: "+tlsDir+"/ca.crt") && strings.Contains(st, "Slave_IO_Running: Yes"), "%s", st)))
	}
	// The primary's view: each replica's Binlog Dump session has a cipher.
	q := "SELECT COUNT(*) FROM performance_schema.threads t JOIN performance_schema.status_by_thread s USING (THREAD_ID) " +
		"WHERE t.PROCESSLIST_COMMAND = 'Binlog Dump' AND s.VARIABLE_NAME = 'Ssl_cipher' AND s.VARIABLE_VALUE <> ''"
	var got string
	waitFor(30*time.Second, func() bool { got, _ = s.rootSQL(0, q); return got == "2" })
	check(t, label+": the primary sees both replicas' replication sessions encrypted (Ssl_cipher per thread)", expect(got == "2", "got %q", got))
	out, err := s.clientSQL(1, "root", testPasswords["root-password"], s.pod(0)+".mysql", "SHOW SESSION STATUS LIKE 'Ssl_cipher'", tlsFlags...)
	check(t, label+": a client that verifies the server's certificate gets an encrypted session", firstErr(err, expect(strings.HasPrefix(out, "Ssl_cipher\t") && len(out) > len("Ssl_cipher\t"), "got %q", out)))
	// The same login with and without TLS: only the transport differs.
	// MariaDB 10.11 answers a plain TCP login with "Access denied".
	_, errTLS := s.clientSQL(1, "root", testPasswords["root-password"], s.pod(0)+".mysql", "SELECT 1", tlsFlags...)
	_, err = s.clientSQL(1, "root", testPasswords["root-password"], s.pod(0)+".mysql", "SELECT 1", "--skip-ssl")
	check(t, label+": a client without TLS is refused (require_secure_transport), the same login with TLS is not", firstErr(errTLS, expect(err != nil, "accepted")))
	if err != nil {
		figure("tls: a plain TCP client is told: %s", err.Error()[strings.LastIndex(err.Error(), "ERROR"):])
	}
	out, err = s.rootSQL(0, "SELECT @@require_secure_transport")
	check(t, label+": the local socket stays open under require_secure_transport", firstErr(err, expect(out == "1", "got %q", out)))
	_, err = s.clientSQL(1, "root", testPasswords["root-password"], s.pod(0)+".mysql", "SELECT 1", "--ssl", "--ssl-ca=/etc/ssl/certs/ca-certificates.crt", "--ssl-verify-server-cert")
	check(t, label+": a client that trusts another CA refuses the server", expect(err != nil, "connected"))
}

// accountsExact checks the declared users' grants, logins and refusals,
// then adds grants and a user by hand and checks that the next apply (a
// changed users' Secret) takes them away again.
func (s *suite) accountsExact(label string) {
	t, c := s.t, s.c
	// Sorted: ' ' sorts before ','.
	wantApp := []string{"GRANT SELECT ON `other`.`t` TO `app`@`%`", "GRANT SELECT, INSERT, UPDATE, DELETE ON `app\\_db`.* TO `app`@`%`"}
	grants := func(user string) ([]string, string, error) {
		out, err := s.c.sql(0, serverName, "root", testPasswords["root-password"], "SHOW GRANTS FOR "+user, false, "-N", "-B", "-r")
		var rest []string
		usage := ""
		for _, l := range strings.Split(out, "\n") {
			if strings.HasPrefix(l, "GRANT USAGE ON *.*") {
				usage = l
			} else if l != "" {
				rest = append(rest, l)
			}
		}
		slices.Sort(rest)
		return rest, usage, err
	}
	got, usage, err := grants("'app'@'%'")
	check(t, label+": app's grants are exactly the spec's", firstErr(err, expect(slices.Equal(got, wantApp), "got %q", got)))
	check(t, label+": app requires TLS and has 10 connections at most", expect(strings.Contains(usage, "REQUIRE SSL") && strings.Contains(usage, "MAX_USER_CONNECTIONS 10"), "%q", usage))
	cs, err := s.rootSQL(0, "SELECT CONCAT(DEFAULT_CHARACTER_SET_NAME, ' ', DEFAULT_COLLATION_NAME) FROM information_schema.SCHEMATA WHERE SCHEMA_NAME = 'app_db'")
	check(t, label+": app_db has the declared character set and collation", firstErr(err, expect(cs == "utf8mb4 utf8mb4_bin", "got %q", cs)))
	host := s.pod(0) + ".mysql"
	_, err = s.clientSQL(1, "app", appPassword, host, "INSERT INTO app_db.t (v) VALUES ('by app'); SELECT v FROM other.t", tlsFlags...)
	check(t, label+": app writes app_db and reads other.t", err)
	for _, q := range []string{"SELECT * FROM other.u", "CREATE TABLE app_db.x (v INT)", "SELECT * FROM init_db.runs", "DROP TABLE app_db.t"} {
		_, err = s.clientSQL(1, "app", appPassword, host, q, tlsFlags...)
		check(t, label+": app is refused "+q, expect(err != nil && strings.Contains(err.Error(), "denied"), "%v", err))
	}
	out, err := s.clientSQL(1, "reporting", "rep pw 1", host, "SELECT COUNT(*) FROM app_db.t", tlsFlags...)
	check(t, label+": reporting (host 10.88.0.%) reads app_db", firstErr(err, expect(out == "1", "got %q", out)))
	_, err = s.clientSQL(1, "reporting", "rep pw 1", host, "DELETE FROM app_db.t", tlsFlags...)
	check(t, label+": reporting is refused DELETE", expect(err != nil && strings.Contains(err.Error(), "denied"), "%v", err))

	// By hand: more for app, a user the spec marks absent. A changed users'
	// Secret (the reporting password) makes the primary apply the accounts.
	_, err = s.rootSQL(0, "GRANT DROP, CREATE ON app_db.* TO 'app'@'%'; GRANT SELECT ON init_db.* TO 'app'@'%'; GRANT SELECT ON other.* TO 'app'@'%' WITH GRANT OPTION; "+
		"CREATE USER 'legacy'@'%' IDENTIFIED BY 'x'")
	check(t, label+": grants and the legacy user added by hand", err)
	check(t, label+": the users' Secret changes in place", c.updateSecret(userSecret(appPassword, "rep pw 2")))
	ok := waitFor(60*time.Second, func() bool {
		_, err := s.clientSQL(1, "reporting", "rep pw 2", host, "SELECT 1", tlsFlags...)
		return err == nil
	})
	check(t, label+": reporting's new password works without a restart", expect(ok, "%s", c.status()))
	waitFor(30*time.Second, func() bool { got, _, _ = grants("'app'@'%'"); return slices.Equal(got, wantApp) })
	check(t, label+": what was granted by hand is revoked again: app's grants equal the spec's", expect(slices.Equal(got, wantApp), "got %q", got))
	n, err := s.rootSQL(0, "SELECT COUNT(*) FROM mysql.user WHERE User = 'legacy'")
	check(t, label+": legacy (state: absent) is dropped", firstErr(err, expect(n == "0", "got %q", n)))
	n, err = s.rootSQL(2, "SELECT COUNT(*) FROM mysql.user WHERE User = 'app'")
	check(t, label+": the declared users reached the replicas by replication", firstErr(err, expect(n == "1", "got %q", n)))
}

// initOnce checks that init SQL ran exactly once, on every member.
func (s *suite) initOnce(label string, n int, rootPassword string) {
	for ord := 0; ord < n; ord++ {
		var out string
		var err error
		waitFor(30*time.Second, func() bool {
			out, err = s.c.sql(ord, serverName, "root", rootPassword, "SELECT COUNT(*) FROM init_db.runs", false)
			return out == "1"
		})
		check(s.t, fmt.Sprintf("%s: init SQL ran exactly once (%s)", label, s.pod(ord)), firstErr(err, expect(out == "1", "got %q", out)))
	}
}

// rotateAll changes every managed password and the app user's in place
// while sampling readiness, and returns the new passwords.
func (s *suite) rotateAll(label string) map[string]string {
	t, c := s.t, s.c
	next := map[string]string{}
	for k, v := range testPasswords {
		next[k] = "new " + v
	}
	newApp := "new " + appPassword
	r := s.watchReadiness(3)
	start := time.Now()
	// A writer on the primary's socket as the local admin, which no
	// rotation touches: every write must succeed and reach the replicas.
	stopW, wrote := make(chan struct{}), make(chan [2]int)
	go func() {
		ok, failed := 0, 0
		for {
			select {
			case <-stopW:
				wrote <- [2]int{ok, failed}
				return
			case <-time.After(100 * time.Millisecond):
			}
			if _, err := c.execOut(0, sidecarName, "bash", "-c", `mariadb --defaults-extra-file="$MYSQLGEN_GENERATED_DIR/admin.cnf" -e "INSERT INTO app_db.t (v) VALUES ('during rotation')"`); err != nil {
				failed++
			} else {
				ok++
			}
		}
	}()
	cred := ""
	for _, v := range c.sts.Spec.Template.Spec.Volumes {
		if v.Name == "credentials" && v.Secret != nil {
			cred = v.Secret.SecretName
		}
	}
	err := firstErr(c.updateSecret(&corev1.Secret{ObjectMeta: metav1.ObjectMeta{Name: cred}, StringData: next}),
		c.updateSecret(userSecret(newApp, "rep pw 2")))
	check(t, label+": every password changed in place (root, replication, backup, metrics, app)", err)
	for ord := 0; ord < 3; ord++ {
		ok := waitFor(90*time.Second, func() bool {
			_, e1 := c.sql(ord, serverName, "root", next["root-password"], "SELECT 1", false)
			_, e2 := c.execOut(ord, sidecarName, "bash", "-c", `mariadb --defaults-extra-file="$MYSQLGEN_GENERATED_DIR/root.cnf" -N -B -e 'SELECT 1' && mariadb --defaults-extra-file="$MYSQLGEN_GENERATED_DIR/backup.cnf" -N -B -e 'SELECT 1'`)
			return e1 == nil && e2 == nil
		})
		check(t, fmt.Sprintf("%s: %s: root takes the new password, root's and backup's client files were rewritten", label, s.pod(ord)), expect(ok, "%s", c.status()))
		_, err := c.sql(ord, serverName, "root", testPasswords["root-password"], "SELECT 1", false)
		check(t, fmt.Sprintf("%s: %s: the old root password is refused", label, s.pod(ord)), expect(err != nil, "accepted"))
	}
	// Replicas re-point with the new password (the sidecar records its
	// digest when it has); a reconnect proves it.
	for _, ord := range []int{1, 2} {
		var st string
		want := fmt.Sprintf("%x", sha256.Sum256([]byte(next["replication-password"])))
		ok := waitFor(90*time.Second, func() bool {
			st, _ = c.execOut(ord, sidecarName, "bash", "-c", `cat "$MYSQLGEN_DATA_ROOT/data/mysqlgen-replication-password.sha256"`)
			return st == want
		})
		_, err := c.sql(ord, serverName, "root", next["root-password"], "STOP SLAVE IO_THREAD; START SLAVE IO_THREAD", false)
		waitFor(60*time.Second, func() bool {
			st, _ = c.sql(ord, serverName, "root", next["root-password"], "SHOW SLAVE STATUS", false, "-E")
			return strings.Contains(st, "Slave_IO_Running: Yes")
		})
		check(t, fmt.Sprintf("%s: %s reconnects to the primary with the new replication password", label, s.pod(ord)),
			firstErr(err, expect(ok && strings.Contains(st, "Slave_IO_Running: Yes") && strings.Contains(st, "Master_SSL_Allowed: Yes"), "%s", st)))
	}
	close(stopW)
	w := <-wrote
	check(t, fmt.Sprintf("%s: %d writes during the rotation, none refused", label, w[0]), expect(w[1] == 0 && w[0] > 0, "%d refused", w[1]))
	want, err := c.sql(0, serverName, "root", next["root-password"], "SELECT COUNT(*) FROM app_db.t WHERE v = 'during rotation'", false)
	for _, ord := range []int{1, 2} {
		var got string
		waitFor(30*time.Second, func() bool {
			got, _ = c.sql(ord, serverName, "root", next["root-password"], "SELECT COUNT(*) FROM app_db.t WHERE v = 'during rotation'", false)
			return got == want
		})
		check(t, fmt.Sprintf("%s: %s holds every row written during the rotation", label, s.pod(ord)), firstErr(err, expect(got == want && want == fmt.Sprint(w[0]), "%q, primary %q, written %d", got, want, w[0])))
	}
	_, err = s.clientSQL(1, "app", newApp, s.pod(0)+".mysql", "INSERT INTO app_db.t (v) VALUES ('after rotation')", tlsFlags...)
	check(t, label+": app logs in with its new password", err)
	_, err = s.clientSQL(1, "app", appPassword, s.pod(0)+".mysql", "SELECT 1", tlsFlags...)
	check(t, label+": app's old password is refused", expect(err != nil, "accepted"))
	for _, ord := range []int{1, 2} {
		var out string
		waitFor(30*time.Second, func() bool {
			out, _ = c.sql(ord, serverName, "root", next["root-password"], "SELECT COUNT(*) FROM app_db.t WHERE v = 'after rotation'", false)
			return out == "1"
		})
		check(t, fmt.Sprintf("%s: %s replicated a row written after the rotation", label, s.pod(ord)), expect(out == "1", "got %q", out))
	}
	misses, polls := r.finish()
	figure("tls: rotation of every password: %d readiness samples of 3 pods over %s, %d not Ready", polls, time.Since(start).Round(time.Second), len(misses))
	check(t, label+": every pod stayed Ready throughout the rotation", expect(len(misses) == 0, "%v", misses))
	return next
}

// renewCertificate replaces the certificate (serial 2) in place and waits
// for every server and backup port to show it, without a restart.
func (s *suite) renewCertificate(label string, k pki, passwords map[string]string) {
	t, c := s.t, s.c
	restarts := map[string]int{}
	for ord := 0; ord < 3; ord++ {
		restarts[s.pod(ord)] = c.pod(ord).restarts(serverName) + c.pod(ord).restarts(sidecarName)
		check(t, fmt.Sprintf("%s: %s serves certificate serial 1 (MySQL protocol and backup port)", label, s.pod(ord)),
			expect(s.serial((ord+1)%3, s.pod(ord)+".mysql", 3306) == "serial=01" && s.serial((ord+1)%3, s.pod(ord)+".mysql", 3307) == "serial=01",
				"%q %q", s.serial((ord+1)%3, s.pod(ord)+".mysql", 3306), s.serial((ord+1)%3, s.pod(ord)+".mysql", 3307)))
	}
	cert, err := k.secret(2)
	if !check(t, label+": a renewed certificate (serial 2)", err) {
		return
	}
	r := s.watchReadiness(3)
	start := time.Now()
	check(t, label+": the certificate Secret changes in place", c.updateSecret(cert))
	for ord := 0; ord < 3; ord++ {
		var a, b string
		ok := waitFor(90*time.Second, func() bool {
			a, b = s.serial((ord+1)%3, s.pod(ord)+".mysql", 3306), s.serial((ord+1)%3, s.pod(ord)+".mysql", 3307)
			return a == "serial=02" && b == "serial=02"
		})
		check(t, fmt.Sprintf("%s: %s serves the renewed certificate to new clients (MySQL protocol and backup port)", label, s.pod(ord)), expect(ok, "%q %q", a, b))
		n := c.pod(ord).restarts(serverName) + c.pod(ord).restarts(sidecarName)
		check(t, fmt.Sprintf("%s: %s restarted no container for it", label, s.pod(ord)), expect(n == restarts[s.pod(ord)], "%d restarts, was %d", n, restarts[s.pod(ord)]))
	}
	figure("tls: certificate renewal reached 3 servers and backup ports in %s", time.Since(start).Round(time.Second))
	for _, ord := range []int{1, 2} {
		_, err := c.sql(ord, serverName, "root", passwords["root-password"], "STOP SLAVE IO_THREAD; START SLAVE IO_THREAD", false)
		var st string
		waitFor(60*time.Second, func() bool {
			st, _ = c.sql(ord, serverName, "root", passwords["root-password"], "SHOW SLAVE STATUS", false, "-E")
			return strings.Contains(st, "Slave_IO_Running: Yes")
		})
		check(t, fmt.Sprintf("%s: %s reconnects over TLS to the renewed certificate", label, s.pod(ord)), firstErr(err, expect(strings.Contains(st, "Slave_IO_Running: Yes"), "%s", st)))
	}
	misses, _ := r.finish()
	check(t, label+": every pod stayed Ready throughout the renewal", expect(len(misses) == 0, "%v", misses))
}

// cloneOverTLS scales to 4: the new member clones from mysql-2 over mutual
// TLS; a peer without the cluster's client certificate gets no greeting.
func (s *suite) cloneOverTLS(label string, passwords map[string]string) {
	t, c := s.t, s.c
	host := s.pod(0) + ".mysql"
	p := c.pod(1)
	plain := p.exec(p.container(sidecarName), []string{"bash", "-c", "exec 3<>/dev/tcp/" + host + "/3307; timeout 3 head -c 200 <&3"}, nil, 30*time.Second)
	check(t, label+": a plain TCP peer gets no greeting from the backup port", expect(!strings.Contains(plain.Stdout, "mysqlgen-clone"), "%s", plain))
	noCert := p.exec(p.container(sidecarName), []string{"bash", "-c", "socat -T 3 STDIO OPENSSL:" + host + ":3307,verify=1,cafile=" + tlsDir + "/ca.crt </dev/null"}, nil, 30*time.Second)
	check(t, label+": a TLS peer without a client certificate gets no greeting", expect(!strings.Contains(noCert.Stdout, "mysqlgen-clone"), "%s", noCert))
	withCert := p.exec(p.container(sidecarName), []string{"bash", "-c", `source "$0"; socat -T 3 STDIO "$(peer_socat_address "$1" 3307)" </dev/null`,
		s.scripts + "/common.sh", host}, nil, 30*time.Second)
	check(t, label+": a member with the cluster's certificate is greeted", expect(strings.HasPrefix(withCert.Stdout, "mysqlgen-clone/1 "), "%s", withCert))
	c.scale(4)
	if !check(t, label+": mysql-3 clones over mutual TLS and is Ready", c.waitReady(4, 5*time.Minute)) {
		return
	}
	want, err1 := c.sql(0, serverName, "root", passwords["root-password"], "SELECT COUNT(*) FROM app_db.t", false)
	var got string
	waitFor(30*time.Second, func() bool {
		got, _ = c.sql(3, serverName, "root", passwords["root-password"], "SELECT COUNT(*) FROM app_db.t", false)
		return got == want
	})
	st, err2 := c.sql(3, serverName, "root", passwords["root-password"], "SHOW SLAVE STATUS", false, "-E")
	check(t, label+": mysql-3 holds the primary's rows and replicates with TLS", firstErr(err1, err2,
		expect(got == want && strings.Contains(st, "Master_SSL_Allowed: Yes") && strings.Contains(st, "Slave_IO_Running: Yes"), "rows %q want %q; %s", got, want, st)))
}
