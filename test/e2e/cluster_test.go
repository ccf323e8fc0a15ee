//go:build e2e

package e2e

import (
	"bytes"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// The container names the issue fixes; the suite checks the render has them.
const (
	initContainer  = "init-mysql"
	cloneContainer = "clone-mysql"
	serverName     = "mysql"
	sidecarName    = "xtrabackup"
	appUser        = "e2e_app"
)

// Passwords with a space, both quotes, a backslash, '#', ';', '$' and, but
// in the replication password (refused there: see TestPasswords), a line
// break: whatever a script does with them, it must not break on them.
// TestPasswords tries every printable ASCII character.
var testPasswords = map[string]string{
	"root-password":        "r00t pw 'q\" \\ #$x;\nline 2 \\n",
	"replication-password": `repl pw "q' \ #$y;\n`,
	"backup-password":      "b@ck pw 'q\" \\ #$z;\n\\",
	"metrics-password":     "metr pw 'q\" \\ #$w;\n%(user)",
}

const appPassword = `app pw 'q" \ #$v`

// TestMariaDB runs the seven scenarios against the mariadb 10.11 render.
// The server runs with sql-mode NO_BACKSLASH_ESCAPES, under which a password
// with a backslash written for the default mode would no longer match.
func TestMariaDB(t *testing.T) {
	runSuite(t, "mariadb", "  flavor: mariadb\n  version: \"10.11\"\n  config:\n    sql-mode: NO_BACKSLASH_ESCAPES,STRICT_TRANS_TABLES\n")
}

// TestMySQLDialect runs them against the MySQL 5.7 render, whose SQL
// (CHANGE MASTER TO, START SLAVE, binlog positions) MariaDB accepts. Two
// things MariaDB reads differently are restored through the spec, never by
// touching a script:
//   - the 5.7 defaults master-info-repository and relay-log-info-repository
//     are unknown to MariaDB (the server stops): spec.config gives them with
//     the loose- prefix, which MySQL 5.7 applies and MariaDB skips;
//   - MySQL 5.7's REPLICATION CLIENT lets the backup user read SHOW SLAVE
//     STATUS (XtraBackup's --slave-info); MariaDB 10.5+ split it into BINLOG
//     MONITOR and SLAVE MONITOR, so a spec patch adds SLAVE MONITOR to the
//     backup user's grant list for this run.
func TestMySQLDialect(t *testing.T) {
	runSuite(t, "mysql57", mysql57Spec)
}

// mysql57Spec is the MySQL 5.7 render with the changes TestMySQLDialect
// explains; TestBackupMySQLDialect backs it up.
const mysql57Spec = `  flavor: mysql
  version: "5.7"
  config:
    loose-master-info-repository: TABLE
    loose-relay-log-info-repository: TABLE
  patches:
  - patch: |
      apiVersion: apps/v1
      kind: StatefulSet
      metadata:
        name: mysql
      spec:
        template:
          spec:
            initContainers:
            - name: init-mysql
              env:
              - name: MYSQLGEN_BACKUP_PRIVILEGES
                value: RELOAD, LOCK TABLES, PROCESS, REPLICATION CLIENT, SLAVE MONITOR
`

var (
	buildOnce sync.Once
	binPath   string
	buildErr  error
	binDir    string
)

// buildMysqlgen builds the CLI once per test binary run.
func buildMysqlgen() (string, error) {
	buildOnce.Do(func() {
		root, err := moduleRoot()
		if err != nil {
			buildErr = err
			return
		}
		binDir, err = os.MkdirTemp("", "mysqlgen-e2e-bin-")
		if err != nil {
			buildErr = err
			return
		}
		binPath = filepath.Join(binDir, "mysqlgen")
		goTool := filepath.Join(runtime.GOROOT(), "bin", "go")
		if _, err := os.Stat(goTool); err != nil {
			goTool = "go"
		}
		cmd := exec.Command(goTool, "build", "-o", binPath, "./cmd/mysqlgen")
		cmd.Dir = root
		if out, err := cmd.CombinedOutput(); err != nil {
			buildErr = fmt.Errorf("go build ./cmd/mysqlgen: %v\n%s", err, out)
		}
	})
	return binPath, buildErr
}

func moduleRoot() (string, error) {
	dir, err := os.Getwd()
	if err != nil {
		return "", err
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			if b, _ := os.ReadFile(filepath.Join(dir, "go.mod")); bytes.Contains(b, []byte("module github.com/mysqlgen/mysqlgen\n")) {
				return dir, nil
			}
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return "", fmt.Errorf("no go.mod of github.com/mysqlgen/mysqlgen above the test")
		}
		dir = parent
	}
}

// suite is one rendered cluster under test.
type suite struct {
	t          *testing.T
	name       string
	c          *cluster
	socket     string
	scripts    string // where the scripts are mounted
	specBody   string // the spec as rendered, for re-rendering it changed
	primary    int    // the ordinal spec.primary names
	gtid       bool   // MYSQLGEN_GTID=ON: GTID replication, else binlog positions
	rows       int    // rows written through the primary so far
	cloneBytes int64  // what a full clone sent, measured in scenario 4
}

func runSuite(t *testing.T, name, specBody string) {
	s, done := startSuite(t, name, specBody, testPasswords, 3)
	if s == nil {
		return
	}
	defer done()
	s.scenarios()
}

// startSuite renders the spec, checks the StatefulSet's shape and starts
// the simulated cluster's controller with a Secret of the given passwords;
// done tears it down (after printing the logs if t failed). It returns nil
// when a check failed.
func startSuite(t *testing.T, name, specBody string, passwords map[string]string, replicas int32) (*suite, func()) {
	requireHost(t)
	bin, err := buildMysqlgen()
	if !check(t, name+": build mysqlgen", err) {
		return nil, nil
	}
	out, err := renderSpec(t, bin, specBody)
	if !check(t, name+": mysqlgen render -f exits 0", err) {
		return nil, nil
	}
	s, done := startManifest(t, name, out, passwords, replicas)
	if s != nil {
		s.specBody = specBody
	}
	return s, done
}

// startManifest starts a simulated cluster from rendered YAML, as startSuite.
// extra are the objects a user creates beside the render (*corev1.Secret,
// *corev1.ConfigMap): a certificate, users' passwords, init SQL.
func startManifest(t *testing.T, name string, out []byte, passwords map[string]string, replicas int32, extra ...any) (*suite, func()) {
	m, err := parseManifest(out)
	if !check(t, name+": the printed bytes parse into typed objects", err) {
		return nil, nil
	}
	s := &suite{t: t, name: name}
	if !check(t, name+": rendered StatefulSet has the expected containers", s.shape(m, replicas)) {
		return nil, nil
	}
	var secrets []*corev1.Secret
	for _, o := range extra {
		switch o := o.(type) {
		case *corev1.Secret:
			secrets = append(secrets, o)
		case *corev1.ConfigMap:
			m.ConfigMaps[o.Name] = o
		}
	}
	secret, err := testSecret(m, passwords, secrets...)
	if !check(t, name+": test Secret matches the StatefulSet's secret volume", err) {
		return nil, nil
	}
	secrets = append(secrets, secret)
	c, err := newCluster(clusterConfig{Manifest: m, Secrets: secrets, Logf: t.Logf})
	if !check(t, name+": simulation prepared (run "+idOf(c)+")", err) {
		return nil, nil
	}
	s.c = c
	c.socket = s.socket
	c.startController()
	return s, func() {
		if t.Failed() {
			s.dumpLogs()
		}
		check(t, name+": cleanup leaves no process, namespace or mount", c.close())
	}
}

// renderSpec runs mysqlgen render on a cluster named mysql with this spec.
func renderSpec(t *testing.T, bin, specBody string) ([]byte, error) {
	specPath := filepath.Join(t.TempDir(), "cluster.yaml")
	spec := "apiVersion: mysqlgen.dev/v1alpha1\nkind: MySQLCluster\nmetadata:\n  name: mysql\nspec:\n" + specBody
	if err := os.WriteFile(specPath, []byte(spec), 0o644); err != nil {
		return nil, err
	}
	var stdout, stderr bytes.Buffer
	cmd := exec.Command(bin, "render", "-f", specPath)
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	err := cmd.Run()
	return stdout.Bytes(), firstErr(err, expect(stderr.Len() == 0, "stderr: %s", stderr.String()))
}

func idOf(c *cluster) string {
	if c == nil {
		return "?"
	}
	return c.id
}

// shape checks the names the issue and the scenarios rely on.
func (s *suite) shape(m *manifest, replicas int32) error {
	sts := m.StatefulSets[0]
	ps := sts.Spec.Template.Spec
	var inits, ctrs []string
	for _, c := range ps.InitContainers {
		inits = append(inits, c.Name)
	}
	for _, c := range ps.Containers {
		ctrs = append(ctrs, c.Name)
		if c.Name == serverName {
			for _, e := range c.Env {
				switch e.Name {
				case "MYSQLGEN_SOCKET":
					s.socket = e.Value
				case "MYSQLGEN_GTID":
					s.gtid = e.Value == "ON"
				}
			}
			for _, m := range c.VolumeMounts {
				if m.Name == "scripts" {
					s.scripts = m.MountPath
				}
			}
		}
	}
	// A restore from S3 copies rclone in first (the backup contract); a
	// spec patch that names init-mysql moves it ahead (strategic merge
	// keeps the patch's order), which is fine while tools runs before
	// clone-mysql, the container that uses it.
	want := initContainer + "," + cloneContainer
	for _, c := range ps.InitContainers {
		for _, e := range c.Env {
			if c.Name == cloneContainer && e.Name == "MYSQLGEN_RCLONE" {
				want = "tools," + want
			}
		}
	}
	patched := initContainer + ",tools," + cloneContainer
	if got := strings.Join(inits, ","); got != want && !(want == "tools,"+initContainer+","+cloneContainer && got == patched) {
		return fmt.Errorf("init containers %v, want %s", inits, want)
	}
	if len(ctrs) < 2 || ctrs[0] != serverName || ctrs[1] != sidecarName {
		return fmt.Errorf("containers %v", ctrs)
	}
	if sts.Spec.Replicas == nil || *sts.Spec.Replicas != replicas {
		return fmt.Errorf("replicas %v, want %d", sts.Spec.Replicas, replicas)
	}
	return nil
}

// testSecret is the Secret the StatefulSet's secret volume names: the one
// secret volume that no other given Secret (a certificate) fills.
func testSecret(m *manifest, passwords map[string]string, others ...*corev1.Secret) (*corev1.Secret, error) {
	var names []string
	for _, v := range m.StatefulSets[0].Spec.Template.Spec.Volumes {
		if v.Secret != nil && !slices.ContainsFunc(others, func(o *corev1.Secret) bool { return o.Name == v.Secret.SecretName }) {
			names = append(names, v.Secret.SecretName)
		}
	}
	if len(names) != 1 {
		return nil, fmt.Errorf("want one secret volume, got %v", names)
	}
	return &corev1.Secret{ObjectMeta: metav1.ObjectMeta{Name: names[0]}, StringData: passwords}, nil
}

func (s *suite) pod(ord int) string { return s.c.podName(ord) }

// rootSQL runs SQL as root over the server container's socket.
func (s *suite) rootSQL(ord int, q string) (string, error) {
	return s.c.sql(ord, serverName, "root", testPasswords["root-password"], q, false)
}

// appSQL runs SQL as the non-admin user over TCP to the pod's own address.
func (s *suite) appSQL(ord int, q string) (string, error) {
	return s.c.sql(ord, serverName, appUser, appPassword, q, true)
}

// write inserts n rows through the primary as the application user.
func (s *suite) write(tag string, n int) error {
	for n > 0 {
		k := min(n, 200)
		var b strings.Builder
		b.WriteString("INSERT INTO e2e.t (v) VALUES ")
		for i := 0; i < k; i++ {
			if i > 0 {
				b.WriteString(",")
			}
			fmt.Fprintf(&b, "('%s-%s-%d')", s.c.id, tag, s.rows+i)
		}
		if _, err := s.appSQL(s.primary, b.String()); err != nil {
			return err
		}
		s.rows += k
		n -= k
	}
	return nil
}

// sum is a table's row count and an order-independent checksum of its rows.
func (s *suite) sum(ord int) (string, error) {
	return s.rootSQL(ord, "SELECT COUNT(*), COALESCE(SUM(CRC32(CONCAT_WS('#', id, v))), 0) FROM e2e.t")
}

// verify is the data check after every scenario: every replica holds the
// primary's rows (count and checksum), replicates with both threads
// running, has server-id 100+N, and refuses writes from a non-admin user.
func (s *suite) verify(label string, n int) {
	t := s.t
	want, err := s.sum(s.primary)
	wantRows := fmt.Sprintf("%d\t", s.rows)
	if !check(t, fmt.Sprintf("%s: the primary holds the %d rows written", label, s.rows),
		firstErr(err, expect(strings.HasPrefix(want, wantRows), "got %q", want))) {
		return
	}
	for ord := 0; ord < n; ord++ {
		if ord == s.primary {
			continue
		}
		var got string
		var gerr error
		waitFor(90*time.Second, func() bool {
			got, gerr = s.sum(ord)
			return gerr == nil && got == want
		})
		check(t, fmt.Sprintf("%s: %s holds every row (count and checksum equal to the primary's)", label, s.pod(ord)),
			firstErr(gerr, expect(got == want, "got %q, primary %q", got, want)))
	}
	var errs []string
	for ord := 0; ord < n; ord++ {
		if ord == s.primary {
			continue
		}
		st, err := s.c.sql(ord, serverName, "root", testPasswords["root-password"], "SHOW SLAVE STATUS", false, "-E")
		if err != nil {
			errs = append(errs, err.Error())
			continue
		}
		if !strings.Contains(st, "Slave_IO_Running: Yes") || !strings.Contains(st, "Slave_SQL_Running: Yes") {
			errs = append(errs, fmt.Sprintf("%s: %s", s.pod(ord), tail(st, 400)))
		}
		if !strings.Contains(st, "Master_Host: "+s.pod(s.primary)+"."+s.c.svc.Name) {
			errs = append(errs, fmt.Sprintf("%s replicates from elsewhere: %s", s.pod(ord), tail(st, 400)))
		}
		// MariaDB reports the mode in Using_Gtid: Slave_Pos with GTIDs, No
		// with binlog file and position.
		// A former primary finds its place by current_pos (what it logged).
		if want := map[bool]string{true: "Using_Gtid: (Slave|Current)_Pos", false: "Using_Gtid: No"}[s.gtid]; !regexp.MustCompile(want).MatchString(st) {
			errs = append(errs, fmt.Sprintf("%s: want %q: %s", s.pod(ord), want, tail(st, 400)))
		}
	}
	mode := "binlog positions"
	if s.gtid {
		mode = "GTIDs"
	}
	check(t, fmt.Sprintf("%s: replication I/O and SQL threads run on every replica, from ordinal %d, by %s", label, s.primary, mode), joinErrs(errs))
	errs = nil
	for ord := 0; ord < n; ord++ {
		got, err := s.rootSQL(ord, "SELECT @@server_id")
		if err != nil || got != strconv.Itoa(100+ord) {
			errs = append(errs, fmt.Sprintf("%s: server_id %q %v", s.pod(ord), got, err))
		}
	}
	check(t, label+": server-ids are 100+N", joinErrs(errs))
	errs = nil
	if ro, err := s.rootSQL(s.primary, "SELECT @@read_only"); err != nil || ro != "0" {
		errs = append(errs, fmt.Sprintf("primary read_only %q %v", ro, err))
	}
	for ord := 0; ord < n; ord++ {
		if ord == s.primary {
			continue
		}
		_, err := s.appSQL(ord, "INSERT INTO e2e.t (v) VALUES ('must-fail')")
		if err == nil || !strings.Contains(err.Error(), "read-only") {
			errs = append(errs, fmt.Sprintf("%s accepted or failed otherwise: %v", s.pod(ord), err))
		}
	}
	check(t, label+": replicas refuse writes from a non-admin user (read-only), the primary does not", joinErrs(errs))
}

func joinErrs(errs []string) error {
	if len(errs) == 0 {
		return nil
	}
	return fmt.Errorf("%s", strings.Join(errs, "; "))
}

// dataInode identifies the PVC's data directory: a clone renames a new
// directory into place, so an unchanged inode means no clone happened.
func (s *suite) dataInode(ord int) (uint64, error) {
	st, err := os.Stat(filepath.Join(s.c.pvcDir("data-"+s.pod(ord)), "data"))
	if err != nil {
		return 0, err
	}
	return st.Sys().(*syscall.Stat_t).Ino, nil
}

func (s *suite) txBytes(ord int) int64 {
	p := s.c.pod(ord)
	if p == nil {
		return -1
	}
	v, err := p.netStat("tx_bytes")
	if err != nil {
		return -1
	}
	return v
}

func (s *suite) scenarios() {
	t, c := s.t, s.c
	n := s.name

	// 1. Three pods come up, in order; every replica holds every row.
	if !check(t, n+" 1: 3 pods Ready", c.waitReady(3, 5*time.Minute)) {
		return
	}
	check(t, n+" 1: OrderedReady: each pod created after the previous one was Ready",
		firstErr(orderedReady(c.events(), s.pod(0), s.pod(1)), orderedReady(c.events(), s.pod(1), s.pod(2))))
	_, err := s.rootSQL(0, fmt.Sprintf(sqlLiterals+"CREATE DATABASE e2e; CREATE TABLE e2e.t (id INT AUTO_INCREMENT PRIMARY KEY, v VARCHAR(100) NOT NULL) ENGINE=InnoDB;"+
		" CREATE USER '%s'@'%%' IDENTIFIED BY %s; GRANT SELECT, INSERT, UPDATE, DELETE ON e2e.* TO '%s'@'%%';",
		appUser, sqlString(appPassword), appUser))
	if !check(t, n+" 1: schema and non-admin user created on the primary", err) {
		return
	}
	if !check(t, n+" 1: rows written through the primary as the non-admin user", s.write("s1", 500)) {
		return
	}
	s.verify(n+" 1", 3)
	s.cloneAuth(n + " 1")

	// 2. A replica's server process is killed: the container restarts.
	p1 := c.pod(1)
	before := p1.restarts(serverName)
	pids := append(p1.procsIn(p1.container(serverName), "mariadbd"), p1.procsIn(p1.container(serverName), "mysqld")...)
	for _, pid := range pids {
		_ = syscall.Kill(pid, syscall.SIGKILL)
	}
	werr := s.write("s2", 200)
	restarted := waitFor(3*time.Minute, func() bool { return p1.restarts(serverName) > before && p1.isReady() })
	check(t, n+" 2: killed server process of "+s.pod(1)+" restarts in its container, pod Ready again",
		firstErr(werr, expect(len(pids) == 1 && restarted && c.pod(1) == p1, "pids %v, %s", pids, c.status())))
	s.verify(n+" 2", 3)

	// 3. A replica pod is deleted and recreated with its PVC: no clone.
	ino, ierr := s.dataInode(2)
	tx1 := s.txBytes(1)
	derr := c.deletePod(2, 6*time.Minute)
	werr = s.write("s3", 200)
	rerr := c.waitReady(3, 5*time.Minute)
	ino2, ierr2 := s.dataInode(2)
	dtx := s.txBytes(1) - tx1
	check(t, n+" 3: deleted replica "+s.pod(2)+" is recreated and Ready", firstErr(derr, werr, rerr))
	check(t, n+" 3: the recreated replica kept its data directory (clone skipped)",
		firstErr(ierr, ierr2, expect(ino == ino2 && dtx < 2<<20, "inode %d -> %d, donor sent %d bytes", ino, ino2, dtx)))
	s.verify(n+" 3", 3)

	// 4. Scale to 4: the new pod clones from ordinal 2, not the primary.
	tx0, tx2 := s.txBytes(0), s.txBytes(2)
	c.scale(4)
	rerr = c.waitReady(4, 5*time.Minute)
	d0, d2 := s.txBytes(0)-tx0, s.txBytes(2)-tx2
	s.cloneBytes = d2
	t.Logf("scenario 4: bytes sent while %s cloned: %s %d, %s %d", s.pod(3), s.pod(2), d2, s.pod(0), d0)
	check(t, n+" 4: scaled to 4, "+s.pod(3)+" Ready", firstErr(rerr, orderedReady(c.events(), s.pod(2), s.pod(3))))
	check(t, n+" 4: "+s.pod(3)+" cloned from "+s.pod(2)+", not from the primary",
		expect(d2 > 4<<20 && d2 > 10*d0, "bytes sent during the clone: %s %d, %s %d", s.pod(2), d2, s.pod(0), d0))
	if err := s.write("s4", 200); err != nil {
		check(t, n+" 4: rows written", err)
	}
	s.verify(n+" 4", 4)

	// 5. A clone interrupted halfway: the donor's backup process is killed
	// mid-stream; the next attempt clones again from scratch.
	s.interruptedClone()

	// 6. The primary is restarted: replicas reconnect, later rows arrive.
	derr = c.deletePod(0, 6*time.Minute)
	rerr = c.waitReady(4, 5*time.Minute)
	check(t, n+" 6: primary pod deleted, recreated with its PVC and Ready", firstErr(derr, rerr))
	werr = s.write("s6", 300)
	check(t, n+" 6: rows written through the restarted primary", werr)
	s.verify(n+" 6", 4)

	// 7. Scale down to 2, write, scale up to 4 again with the old PVCs.
	inoA, e1 := s.dataInode(2)
	inoB, e2 := s.dataInode(3)
	c.scale(2)
	rerr = c.waitReady(2, 10*time.Minute)
	check(t, n+" 7: scaled down to 2", rerr)
	werr = s.write("s7", 300)
	check(t, n+" 7: rows written while scaled down", werr)
	c.scale(4)
	rerr = c.waitReady(4, 5*time.Minute)
	inoA2, e3 := s.dataInode(2)
	inoB2, e4 := s.dataInode(3)
	check(t, n+" 7: scaled up to 4 again, every pod Ready", rerr)
	check(t, n+" 7: "+s.pod(2)+" and "+s.pod(3)+" reused their old PVCs (clone skipped) and caught up",
		firstErr(e1, e2, e3, e4, expect(inoA == inoA2 && inoB == inoB2, "inodes %d->%d, %d->%d", inoA, inoA2, inoB, inoB2)))
	s.verify(n+" 7", 4)

	// 8. Issue 13 (d): the primary loses its pod and its volume. Without
	// GTIDs the replicas cannot follow a re-cloned primary (its sidecar says
	// so): the scenario needs them.
	if !s.gtid {
		return
	}
	s.lostPrimary(n+" 8 (d)", 4)

	// 9. Issue 13 (a), (f): switchover 0 -> 1, the pods restarted highest
	// ordinal first, as the StatefulSet controller does.
	s.switchover(n+" 9 (a)", 1, []int{3, 2, 1, 0}, 4)

	// 10. Issue 13 (e): scale up and down after the switchover: the new
	// member clones and follows the current primary.
	c.scale(5)
	rerr = c.waitReady(5, 5*time.Minute)
	check(t, n+" 10 (e): scaled to 5 after the switchover, "+s.pod(4)+" Ready", rerr)
	if err := s.write("s10", 100); err != nil {
		check(t, n+" 10 (e): rows written", err)
	}
	s.verify(n+" 10 (e)", 5)
	c.scale(4)
	check(t, n+" 10 (e): scaled down to 4", c.waitReady(4, 5*time.Minute))

	// 11. Issue 13 (b), (f): back 1 -> 0, the pods restarted lowest first.
	s.switchover(n+" 11 (b)", 0, []int{0, 1, 2, 3}, 4)

	// 12. Issue 13 (c), its second half: a member comes back with an errant
	// transaction and re-clones, its old data kept aside.
	s.rejoin(n+" 12 (c)", 3, 4)

	// 13. Issue 13 (c): failover to 1 with ordinal 0's node gone; ordinal 0
	// comes back with an errant transaction and re-clones.
	s.failover(n+" 13 (c)", 4)
}

// interruptedClone runs scenario 5: ordinal 3 is removed with its PVC and
// comes back; while it clones from ordinal 2, the donor's backup process
// is killed mid-stream. The failed attempt must not leave a data directory;
// the retry must clone completely.
func (s *suite) interruptedClone() {
	t, c, n := s.t, s.c, s.name+" 5"
	c.scale(3)
	if !check(t, n+": scaled to 3 to remove "+s.pod(3), c.waitReady(3, 10*time.Minute)) {
		return
	}
	if !check(t, n+": PVC of "+s.pod(3)+" deleted", c.deletePVC("data", 3)) {
		return
	}
	var mu sync.Mutex
	var afterFailure []string
	c.setInitFailureHook(func(p *pod, name string, code int) {
		if p.ord != 3 || name != cloneContainer {
			return
		}
		// The kubelet is about to retry: what does the volume hold now?
		_, err := os.Stat(filepath.Join(c.pvcDir("data-"+p.name), "data"))
		mu.Lock()
		afterFailure = append(afterFailure, fmt.Sprintf("exit %d, data dir present: %v", code, err == nil))
		mu.Unlock()
	})
	defer c.setInitFailureHook(nil)
	donor := c.pod(2)
	res := make(chan string, 1)
	cut := int64(3 << 20)
	if s.cloneBytes > 2*cut {
		cut = s.cloneBytes / 2 // halfway through a full clone's stream
	}
	go func() { res <- interruptBackup(donor, cut, 3*time.Minute) }()
	c.scale(4)
	killed := <-res
	t.Logf("scenario 5: %s (a full clone sent %d bytes)", killed, s.cloneBytes)
	rerr := c.waitReady(4, 6*time.Minute)
	check(t, n+": the donor's backup was killed mid-stream", expect(strings.HasPrefix(killed, "killed"), "%s", killed))
	mu.Lock()
	af := append([]string(nil), afterFailure...)
	mu.Unlock()
	ok := len(af) > 0
	for _, a := range af {
		if !strings.HasSuffix(a, "present: false") {
			ok = false
		}
	}
	check(t, n+": the failed clone left no data directory behind", expect(ok, "after failed attempts: %v", af))
	restarts := -1
	if p3 := c.pod(3); p3 != nil {
		restarts = p3.restarts(cloneContainer)
	}
	check(t, n+": "+s.pod(3)+" cloned again and is Ready", firstErr(rerr, expect(restarts >= 1, "clone-mysql restarts %d", restarts)))
	_, err := os.Stat(filepath.Join(c.pvcDir("data-"+s.pod(3)), ".staging"))
	check(t, n+": no staging directory left", expect(os.IsNotExist(err), "stat: %v", err))
	out, err := s.rootSQL(3, "CHECK TABLE e2e.t; SELECT COUNT(*) > 0 FROM mysql.user")
	check(t, n+": cloned tables are sound", firstErr(err, expect(strings.Contains(out, "status\tOK") && strings.HasSuffix(out, "1"), "got %q", out)))
	if err := s.write("s5", 200); err != nil {
		check(t, n+": rows written", err)
	}
	s.verify(n, 4)
}

// interruptBackup waits for the donor sidecar's backup process, lets it
// write in small steps (SIGSTOP/SIGCONT) until it has written at least
// after bytes, and kills it: a cut in the middle of the stream.
func interruptBackup(donor *pod, after int64, timeout time.Duration) string {
	side := donor.container(sidecarName)
	deadline := time.Now().Add(timeout)
	var pid int
	for pid == 0 {
		if time.Now().After(deadline) {
			return "no backup process appeared on " + donor.name
		}
		for _, comm := range []string{"mariadb-backup", "mariabackup"} {
			for _, p := range donor.procsIn(side, comm) {
				pid = p
			}
		}
		if pid == 0 {
			time.Sleep(5 * time.Millisecond)
		}
	}
	_ = syscall.Kill(pid, syscall.SIGSTOP)
	for {
		w := wchar(pid)
		if w < 0 {
			return "the backup ended before it could be cut"
		}
		if w >= after {
			_ = syscall.Kill(pid, syscall.SIGKILL)
			return fmt.Sprintf("killed %s's backup after %d bytes", donor.name, w)
		}
		_ = syscall.Kill(pid, syscall.SIGCONT)
		time.Sleep(2 * time.Millisecond)
		_ = syscall.Kill(pid, syscall.SIGSTOP)
	}
}

// wchar is the bytes a process has written so far, -1 once it is gone.
func wchar(pid int) int64 {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/io", pid))
	if err != nil {
		return -1
	}
	for _, l := range strings.Split(string(b), "\n") {
		if v, ok := strings.CutPrefix(l, "wchar: "); ok {
			n, _ := strconv.ParseInt(v, 10, 64)
			return n
		}
	}
	return -1
}

// sqlLiterals starts the harness's statements that hold sqlString text, as
// the scripts' do: whatever sql-mode the server has, a backslash is then an
// ordinary character.
const sqlLiterals = "SET SESSION sql_mode = 'NO_BACKSLASH_ESCAPES'; "

// sqlString quotes a string for SQL after sqlLiterals.
func sqlString(v string) string {
	return "'" + strings.ReplaceAll(v, `'`, `''`) + "'"
}

// dumpLogs prints the tail of every container log of the run on failure.
func (s *suite) dumpLogs() {
	logs, _ := filepath.Glob(filepath.Join(s.c.dir, "logs", "*", "*.log"))
	for _, l := range logs {
		s.t.Logf("==== %s\n%s", strings.TrimPrefix(l, s.c.dir+"/"), readTail(l, 3000))
	}
}
