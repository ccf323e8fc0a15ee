//go:build e2e

package e2e

import (
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// Issue 14's proof. A 3-member MariaDB 10.11 cluster (GTIDs) is backed up
// by its CronJob's pod, run as rendered, into (a) its backup claim and (b)
// a real S3 server (versitygw, built by make e2e into bin/) on the host's
// 127.0.0.1, while a client writes; new clusters restored from each hold
// exactly the rows committed up to the GTID in the backup's manifest and
// replicate; a backup cut halfway is neither listed nor restorable; the
// retention deletes the oldest beyond the limit and nothing else.
//
// The database holds MYSQLGEN_E2E_BACKUP_MB megabytes (default 64) of
// filler rows besides the written ones; the throughput figures compare
// each backup and restore with tar | gzip -1 of the same data directory to
// and from the same destination.

const (
	s3Bucket    = "backups"
	s3Prefix    = "e2e"
	s3Port      = 9000 // where the pods reach the S3 server: hubAddress:s3Port
	s3Access    = "mysqlgen-e2e-access"
	s3SecretKey = "mysqlgen-e2e-secret-key"
	s3Secret    = "backup-s3"
	backupClaim = "mysql-backup"
	manifestTxt = "mysqlgen-backup.txt"
)

func backupMB() int {
	if v, err := strconv.Atoi(os.Getenv("MYSQLGEN_E2E_BACKUP_MB")); err == nil && v > 0 {
		return v
	}
	return 64
}

func TestBackup(t *testing.T) {
	runBackup(t, "  flavor: mariadb\n  version: \"10.11\"\n", "gzip")
}

// TestBackupMySQLDialect runs the same proof with the MySQL 5.7 render
// (binary log positions, XtraBackup 2.4's names), with the spec changes
// TestMySQLDialect explains. Without GTIDs the backup's point is the
// primary's binary log position in its manifest.
func TestBackupMySQLDialect(t *testing.T) {
	runBackup(t, mysql57Spec, "none")
}

// runBackup runs the proof on a cluster of the base spec; the backups to
// S3 use the given compression (the claim's, the default gzip).
func runBackup(t *testing.T, base, s3Compression string) {
	requireHost(t)
	bin, err := buildMysqlgen()
	if !check(t, "backup: build mysqlgen", err) {
		return
	}
	s3, err := startS3(t)
	if !check(t, "backup: S3 server (versitygw posix) on 127.0.0.1", err) {
		return
	}
	defer s3.stop()
	b := &backupRun{t: t, bin: bin, base: base, s3: s3, s3Compression: s3Compression}
	b.run()
}

// backupRun is the state of one TestBackup run.
type backupRun struct {
	t    *testing.T
	bin  string
	base string
	s3   *s3Server
	// s3Compression is spec.backup.compression of the S3 backups.
	s3Compression string
	src           *suite
	fill          string // CHECKSUM TABLE e2e.fill on the source
}

func (b *backupRun) s3Spec() string {
	return fmt.Sprintf("      endpoint: http://%s:%d\n      insecure: true\n      bucket: %s\n      prefix: %s\n      credentialsSecret: %s\n",
		hubAddress, s3Port, s3Bucket, s3Prefix, s3Secret)
}

func (b *backupRun) render(body string) (*manifest, error) {
	out, err := renderSpec(b.t, b.bin, b.base+body)
	if err != nil {
		return nil, err
	}
	return parseManifest(out)
}

func (b *backupRun) run() {
	t := b.t
	mPVC, err := b.render("  backup:\n    schedule: \"0 3 * * *\"\n    retention:\n      count: 2\n    pvc:\n      size: 5Gi\n")
	if !check(t, "backup: a spec with spec.backup.pvc renders a CronJob and a claim", firstErr(err, b.renderedBackup(mPVC, true))) {
		return
	}
	mS3, err := b.render("  backup:\n    schedule: \"0 3 * * *\"\n    compression: " + b.s3Compression + "\n    s3:\n" + b.s3Spec())
	if !check(t, "backup: a spec with spec.backup.s3 renders a CronJob with the tools init container", firstErr(err, b.renderedBackup(mS3, false))) {
		return
	}
	// One cluster, both CronJobs: the StatefulSet is the same in both renders.
	mPVC.CronJobs["mysql-backup-s3"] = mS3.CronJobs["mysql-backup"]
	src, done := b.start("backup source", mPVC, nil)
	if src == nil {
		return
	}
	defer done()
	b.src = src
	if !b.load() {
		return
	}
	pvcName, pvcMan := b.backupWhileWriting("pvc", "mysql-backup")
	s3Name, s3Man := b.backupWhileWriting("s3", "mysql-backup-s3")
	if pvcName != "" {
		b.restore("pvc", pvcName, pvcMan, "    pvc:\n      claimName: "+backupClaim+"\n")
	}
	if s3Name != "" {
		b.restore("s3", "latest", s3Man, "    s3:\n"+b.s3Spec())
	}
	cut := b.cutBackup(pvcMan)
	if pvcName != "" {
		b.retention(pvcName, cut)
		b.refuseRestoreOverData(pvcName)
	}
}

// refuseRestoreOverData applies spec.restore to the running source cluster
// (a mistake): a member that restarts holds data no restore made, and its
// init-mysql refuses to start it, saying why.
func (b *backupRun) refuseRestoreOverData(name string) {
	t, s := b.t, b.src
	label := "restore over data"
	m, err := b.render("  restore:\n    backup: " + name + "\n    pvc:\n      claimName: " + backupClaim + "\n")
	if !check(t, label+": renders", err) {
		return
	}
	s.c.apply(m)
	if !check(t, label+": "+s.pod(2)+" deleted", s.c.deletePod(2, 2*time.Minute)) {
		return
	}
	refused := waitFor(2*time.Minute, func() bool {
		p := s.c.pod(2)
		return p != nil && p.restarts(initContainer) > 0 && strings.Contains(p.logs(initContainer), "restore is for new clusters; remove spec.restore")
	})
	p := s.c.pod(2)
	check(t, label+": the member's init-mysql refuses, naming spec.restore", expect(refused && p != nil && !p.isReady(), "%s", s.c.status()))
}

// renderedBackup checks what the harness relies on in the render.
func (b *backupRun) renderedBackup(m *manifest, pvc bool) error {
	cj := m.CronJobs["mysql-backup"]
	if cj == nil {
		return fmt.Errorf("no CronJob mysql-backup: %v", m.Other)
	}
	ps := cj.Spec.JobTemplate.Spec.Template.Spec
	var inits []string
	for _, c := range ps.InitContainers {
		inits = append(inits, c.Name)
	}
	if pvc {
		if _, ok := m.PVCs[backupClaim]; !ok {
			return fmt.Errorf("no PersistentVolumeClaim %s", backupClaim)
		}
		return expect(len(inits) == 0, "init containers %v", inits)
	}
	return expect(strings.Join(inits, ",") == "tools", "init containers %v", inits)
}

// start runs a cluster from a parsed render with the test passwords and
// the S3 credentials, the pods reaching the S3 server at hubAddress.
func (b *backupRun) start(name string, m *manifest, claims map[string]string) (*suite, func()) {
	t := b.t
	s := &suite{t: t, name: name}
	if !check(t, name+": rendered StatefulSet has the expected containers", s.shape(m, 3)) {
		return nil, nil
	}
	secret, err := testSecret(m, testPasswords)
	if !check(t, name+": test Secret matches the StatefulSet's secret volume", err) {
		return nil, nil
	}
	creds := &corev1.Secret{ObjectMeta: metav1.ObjectMeta{Name: s3Secret},
		StringData: map[string]string{"AWS_ACCESS_KEY_ID": s3Access, "AWS_SECRET_ACCESS_KEY": s3SecretKey}}
	c, err := newCluster(clusterConfig{Manifest: m, Secrets: []*corev1.Secret{secret, creds}, Logf: t.Logf, Claims: claims})
	if !check(t, name+": simulation prepared (run "+idOf(c)+")", err) {
		return nil, nil
	}
	s.c = c
	c.socket = s.socket
	if !check(t, name+": the pods reach the S3 server", c.forwardToHost(s3Port, b.s3.port)) {
		c.close()
		return nil, nil
	}
	c.startController()
	return s, func() {
		if t.Failed() {
			s.dumpLogs()
		}
		check(t, name+": cleanup leaves no process, namespace or mount", c.close())
	}
}

// load creates the schema, fills MYSQLGEN_E2E_BACKUP_MB of rows and waits
// until every replica has applied them.
func (b *backupRun) load() bool {
	t, s := b.t, b.src
	if !check(t, "backup source: 3 pods Ready", s.c.waitReady(3, 5*time.Minute)) {
		return false
	}
	_, err := s.rootSQL(0, fmt.Sprintf(sqlLiterals+"CREATE DATABASE e2e; CREATE TABLE e2e.t (id INT AUTO_INCREMENT PRIMARY KEY, v VARCHAR(100) NOT NULL) ENGINE=InnoDB;"+
		" CREATE TABLE e2e.fill (id INT AUTO_INCREMENT PRIMARY KEY, b TEXT NOT NULL) ENGINE=InnoDB;"+
		" CREATE USER '%s'@'%%' IDENTIFIED BY %s; GRANT SELECT, INSERT, UPDATE, DELETE ON e2e.* TO '%s'@'%%';",
		appUser, sqlString(appPassword), appUser))
	if !check(t, "backup source: schema and non-admin user", err) {
		return false
	}
	start := time.Now()
	// 8 MB a statement: 8192 rows of 1 KiB of random hex digits (about 2:1
	// for gzip, as hex is 4 bits a byte).
	var parts []string
	for k := 0; k < 8; k++ {
		parts = append(parts, fmt.Sprintf("SHA2(CONCAT(seq, '-%d-', RAND()), 512)", k))
	}
	fillSQL := "INSERT INTO e2e.fill (b) SELECT CONCAT(" + strings.Join(parts, ", ") + ") FROM e2e.seq_1_to_8192"
	for i := 0; i < (backupMB()+7)/8; i++ {
		if _, err = s.rootSQL(0, fillSQL); err != nil {
			break
		}
	}
	if !check(t, fmt.Sprintf("backup source: %d MB of rows loaded", backupMB()), firstErr(err, s.write("b0", 300))) {
		return false
	}
	gtid, err := s.rootSQL(0, "SELECT @@gtid_binlog_pos")
	ok := err == nil && waitFor(time.Duration(backupMB())*time.Second+5*time.Minute, func() bool {
		for _, ord := range []int{1, 2} {
			if g, _ := s.rootSQL(ord, "SELECT @@gtid_slave_pos"); g != gtid {
				return false
			}
		}
		return true
	})
	figure("backup: loaded %d MB into the source and replicated it in %.0f s", backupMB(), time.Since(start).Seconds())
	b.fill, err = s.rootSQL(0, "CHECKSUM TABLE e2e.fill")
	return check(t, "backup source: the replicas applied every row", firstErr(err, expect(ok, "primary at %s", gtid)))
}

// written is one acknowledged write: its GTID's sequence number and row id.
type written struct {
	seq, id int
}

// startGTIDWriter inserts rows one at a time through the primary, noting
// each one's place in the primary's history and its row id: with GTIDs as
// the application user, the session's last committed GTID (@@last_gtid,
// MariaDB); without, as root, the binary log position after it (the
// writer is the only one writing).
func (b *backupRun) startGTIDWriter(tag string) (stop func() []written) {
	s := b.src
	var mu sync.Mutex
	var got []written
	quit, done := make(chan struct{}), make(chan struct{})
	go func() {
		defer close(done)
		for i := 0; ; i++ {
			select {
			case <-quit:
				return
			default:
			}
			insert := fmt.Sprintf("INSERT INTO e2e.t (v) VALUES ('%s-%s-%d'); ", s.c.id, tag, i)
			var out string
			var err error
			if s.gtid {
				out, err = s.appSQL(0, insert+"SELECT LAST_INSERT_ID(), @@last_gtid")
			} else {
				out, err = s.rootSQL(0, insert+"SELECT LAST_INSERT_ID(); SHOW MASTER STATUS")
			}
			f := strings.Fields(out)
			if err == nil && len(f) >= 2 {
				id, _ := strconv.Atoi(f[0])
				seq := gtidSeq(f[1])
				if !s.gtid && len(f) >= 3 {
					seq = binlogPoint(f[1], f[2])
				}
				mu.Lock()
				got = append(got, written{seq: seq, id: id})
				mu.Unlock()
			}
			time.Sleep(20 * time.Millisecond)
		}
	}()
	return func() []written {
		close(quit)
		<-done
		mu.Lock()
		defer mu.Unlock()
		return got
	}
}

// binlogPoint orders binary log coordinates: the file's number, then the
// position (mysql-bin.000003 4711: 3<<32 + 4711), -1 if unreadable.
func binlogPoint(file, pos string) int {
	i := strings.LastIndex(file, ".")
	n, err1 := strconv.Atoi(file[i+1:])
	p, err2 := strconv.Atoi(pos)
	if i < 0 || err1 != nil || err2 != nil {
		return -1
	}
	return n<<32 + p
}

// point is where in the primary's history a backup stands, comparable
// with the writer's: its GTID, or its binary log coordinates.
func (b *backupRun) point(man map[string]string) int {
	if b.src.gtid {
		return gtidSeq(man["gtid"])
	}
	return binlogPoint(man["binlog_file"], man["binlog_pos"])
}

// gtidSeq is the sequence number of a one-domain MariaDB GTID position
// (0-100-42: 42), -1 if it is not one.
func gtidSeq(g string) int {
	parts := strings.Split(strings.TrimSpace(g), "-")
	if len(parts) != 3 || strings.Contains(g, ",") {
		return -1
	}
	n, err := strconv.Atoi(parts[2])
	if err != nil {
		return -1
	}
	return n
}

// backupWhileWriting runs the CronJob's pod while the writer writes, and
// checks the backup it published. It returns the backup's name and manifest.
func (b *backupRun) backupWhileWriting(dest, cronJob string) (string, map[string]string) {
	t, s := b.t, b.src
	label := "backup " + dest
	maxBefore, err := s.rootSQL(0, "SELECT MAX(id) FROM e2e.t")
	if !check(t, label+": rows before", err) {
		return "", nil
	}
	stop := b.startGTIDWriter(dest)
	time.Sleep(time.Second)
	start := time.Now()
	code, j, err := s.c.runJob(cronJob, nil, time.Duration(backupMB())*time.Second+10*time.Minute)
	secs := time.Since(start).Seconds()
	time.Sleep(time.Second)
	writes := stop()
	if !check(t, label+": the CronJob's pod exits 0", firstErr(err, expect(code == 0, "exit %d: %s", code, tail(j.logs("backup"), 1500)))) {
		return "", nil
	}
	name := regexp.MustCompile(`backup (\d{8}T\d{6}Z) complete`).FindStringSubmatch(j.logs("backup"))
	if !check(t, label+": the pod names the backup it published", expect(name != nil, "%s", tail(j.logs("backup"), 800))) {
		return "", nil
	}
	man, err := b.manifest(dest, name[1])
	if !check(t, label+": the manifest is there", err) {
		return "", nil
	}
	check(t, label+": taken from a ready replica, the highest ordinal", expect(man["source"] == s.pod(2)+"."+s.c.svc.Name && man["source_role"] == "replica", "%v", man))
	seq := b.point(man)
	during := 0
	for _, w := range writes {
		if w.seq <= seq {
			during++
		}
	}
	check(t, label+": writes went on during the backup, on both sides of its point", expect(seq > 0 && during > 0 && during < len(writes),
		"gtid %q binlog %s %s, %d of %d writes at or before it", man["gtid"], man["binlog_file"], man["binlog_pos"], during, len(writes)))
	raw, _ := strconv.ParseFloat(man["raw_size"], 64)
	size, _ := strconv.ParseFloat(man["size"], 64)
	figure("backup %s: %.1f MB stream (%.1f MB stored, compression %s) in %.1f s (pod start to exit): %.1f MB/s",
		dest, raw/1e6, size/1e6, man["compression"], secs, raw/1e6/secs)
	b.tarBaseline(dest)
	man["_want_max_id"] = strconv.Itoa(wantMaxID(maxBefore, writes, seq))
	return name[1], man
}

// restoredHistory checks the restored primary's binary log: it starts
// from the backup's GTID state (the Gtid_list event the sidecar's
// take_over leaves at the head of the first log), and what was logged
// since is only the sidecar's own account statements (the local admin,
// the passwords it follows), never a row of the data.
func (b *backupRun) restoredHistory(s *suite, label, want string) {
	logs, err := s.rootSQL(0, "SHOW BINARY LOGS")
	if !check(b.t, label+": the restored primary's binary logs", err) {
		return
	}
	first, _, _ := strings.Cut(logs, "\t")
	events, err := s.rootSQL(0, "SHOW BINLOG EVENTS IN "+sqlString(first))
	if !check(b.t, label+": the restored primary's first binary log reads", err) {
		return
	}
	var head string
	var data []string
	for _, line := range strings.Split(events, "\n") {
		f := strings.Split(line, "\t")
		if len(f) < 6 {
			continue
		}
		switch {
		case f[2] == "Gtid_list" && head == "":
			head = f[5]
		case f[2] == "Table_map" || strings.Contains(f[5], "e2e"):
			data = append(data, f[2]+" "+f[5])
		}
	}
	check(b.t, label+": the restored primary's history starts at the backup's GTID state", expect(head == "["+want+"]", "Gtid_list %q, manifest %q", head, want))
	check(b.t, label+": nothing but account statements were logged since", expect(len(data) == 0, "%v", data))
}

// wantMaxID is the highest row id committed at or before GTID seq: a single
// writer's ids grow with its commits.
func wantMaxID(before string, writes []written, seq int) int {
	id, _ := strconv.Atoi(before)
	for _, w := range writes {
		if w.seq <= seq && w.id > id {
			id = w.id
		}
	}
	return id
}

// manifest reads a published manifest from the claim or through S3.
func (b *backupRun) manifest(dest, name string) (map[string]string, error) {
	var text string
	if dest == "pvc" {
		data, err := os.ReadFile(filepath.Join(b.src.c.pvcDir(backupClaim), name, manifestTxt))
		if err != nil {
			return nil, err
		}
		text = string(data)
	} else {
		out, err := b.s3.rclone("cat", b.s3.root()+"/"+name+"/"+manifestTxt)
		if err != nil {
			return nil, err
		}
		text = out
	}
	m := map[string]string{}
	for _, line := range strings.Split(text, "\n") {
		if k, v, ok := strings.Cut(line, "="); ok {
			m[k] = v
		}
	}
	return m, nil
}

// tarBaseline times tar | gzip -1 of the backed-up member's data directory
// to the same destination and back, for the figures.
func (b *backupRun) tarBaseline(dest string) {
	data := filepath.Join(b.src.c.pvcDir("data-"+b.src.pod(2)), "data")
	tmp, err := os.MkdirTemp("", "mysqlgen-e2e-tar-")
	if err != nil {
		return
	}
	defer os.RemoveAll(tmp)
	// A live data directory changes while tar reads it (exit 1): only the
	// time matters here.
	tar := "{ tar -C " + data + " -cf - .; [ $? -le 1 ]; }"
	put := fmt.Sprintf("%s | gzip -1 > %s/tar-baseline.tar.gz", tar, b.src.c.pvcDir(backupClaim))
	get := fmt.Sprintf("gzip -dc < %s/tar-baseline.tar.gz | tar -C %s -xf -", b.src.c.pvcDir(backupClaim), tmp)
	if dest == "s3" {
		put = fmt.Sprintf("%s | gzip -1 | rclone rcat %s/tar-baseline.tar.gz", tar, b.s3.root())
		get = fmt.Sprintf("rclone cat %s/tar-baseline.tar.gz | gzip -dc | tar -C %s -xf -", b.s3.root(), tmp)
	}
	du, _ := exec.Command("du", "-sb", data).Output()
	raw, _ := strconv.ParseFloat(strings.Fields(string(du) + " 0")[0], 64)
	for _, step := range []struct{ what, cmd string }{{"to", put}, {"back from", get}} {
		start := time.Now()
		cmd := exec.Command("bash", "-o", "pipefail", "-c", step.cmd)
		cmd.Env = b.s3.env()
		out, err := cmd.CombinedOutput()
		secs := time.Since(start).Seconds()
		if err != nil {
			b.t.Logf("tar baseline %s %s: %v %s", step.what, dest, err, out)
			return
		}
		figure("tar baseline %s %s: %.1f MB data directory in %.1f s: %.1f MB/s", step.what, dest, raw/1e6, secs, raw/1e6/secs)
	}
	if dest == "pvc" {
		if st, err := os.Stat(filepath.Join(b.src.c.pvcDir(backupClaim), "tar-baseline.tar.gz")); err == nil {
			figure("tar baseline: %.1f MB with gzip -1", float64(st.Size())/1e6)
		}
	}
}

// restore starts a new cluster from a backup and checks that it holds
// exactly the rows committed up to the backup's GTID, and replicates.
func (b *backupRun) restore(dest, backup string, man map[string]string, from string) {
	t, src := b.t, b.src
	label := "restore " + dest
	m, err := b.render("  restore:\n    backup: " + backup + "\n" + from)
	if !check(t, label+": a spec with spec.restore renders", err) {
		return
	}
	var claims map[string]string
	if dest == "pvc" {
		claims = map[string]string{backupClaim: src.c.pvcDir(backupClaim)}
	}
	s, done := b.start(label, m, claims)
	if s == nil {
		return
	}
	defer done()
	start := time.Now()
	if !check(t, label+": 3 pods Ready", s.c.waitReady(3, time.Duration(backupMB())*time.Second+8*time.Minute)) {
		return
	}
	maxID := man["_want_max_id"]
	want, err1 := src.rootSQL(0, "SELECT COUNT(*), COALESCE(SUM(CRC32(CONCAT_WS('#', id, v))), 0) FROM e2e.t WHERE id <= "+maxID)
	got, err2 := s.sum(0)
	check(t, label+": the restored primary holds exactly the rows committed up to the backup's point "+man["gtid"]+" "+man["binlog_file"]+" "+man["binlog_pos"],
		firstErr(err1, err2, expect(got == want, "restored %q, source up to id %s %q", got, maxID, want)))
	fill, err := s.rootSQL(0, "CHECKSUM TABLE e2e.fill")
	check(t, label+": the filler table's checksum is the source's", firstErr(err, expect(fill == b.fill, "%q, source %q", fill, b.fill)))
	if s.gtid {
		b.restoredHistory(s, label, man["gtid"])
	}
	if d := phase(s.c, s.pod(0), cloneContainer); d > 0 {
		raw, _ := strconv.ParseFloat(man["raw_size"], 64)
		figure("restore %s: %.1f MB stream fetched, verified, extracted and prepared in %.1f s: %.1f MB/s (cluster Ready in %.0f s)",
			dest, raw/1e6, d.Seconds(), raw/1e6/d.Seconds(), time.Since(start).Seconds())
	}
	n, _ := strconv.Atoi(strings.Fields(got + " 0")[0])
	s.rows = n
	s.primary = 0
	if check(t, label+": rows written to the restored cluster", s.write("r-"+dest, 50)) {
		s.verify(label, 3)
	}
	marker, err := os.ReadFile(filepath.Join(s.c.pvcDir("data-"+s.pod(0)), "data", "mysqlgen-restored"))
	check(t, label+": the restored data directory names its backup", firstErr(err, expect(strings.Contains(string(marker), "restore="+backup+"\n"), "%q", marker)))
}

// phase is how long a container of a pod ran to its successful exit.
func phase(c *cluster, pod, container string) time.Duration {
	var started time.Duration
	for _, e := range c.events() {
		if e.Pod != pod || e.Container != container {
			continue
		}
		switch {
		case e.Kind == "started":
			started = e.At
		case e.Kind == "exited" && e.Code == 0:
			return e.At - started
		}
	}
	return 0
}

// cutBackup cuts a backup's stream halfway (the source's backup tool is
// killed): the pod must fail, publish nothing, list nothing new, and a
// restore of that name must be refused. It returns the cut backup's name.
func (b *backupRun) cutBackup(prev map[string]string) string {
	t, s := b.t, b.src
	label := "cut backup"
	raw, _ := strconv.ParseInt(prev["raw_size"], 10, 64)
	res := make(chan string, 1)
	go func() { res <- interruptBackup(s.c.pod(2), max(raw/2, 1<<20), 3*time.Minute) }()
	code, j, err := s.c.runJob("mysql-backup", nil, 10*time.Minute)
	killed := <-res
	logs := j.logs("backup")
	check(t, label+": the source's backup was killed mid-stream and the pod failed",
		firstErr(err, expect(strings.HasPrefix(killed, "killed") && code != 0, "%s; exit %d", killed, code)))
	m := regexp.MustCompile(`to (\d{8}T\d{6}Z)/`).FindStringSubmatch(logs)
	if !check(t, label+": the pod named the backup it began", expect(m != nil, "%s", tail(logs, 800))) {
		return ""
	}
	name := m[1]
	_, err = os.Stat(filepath.Join(s.c.pvcDir(backupClaim), name))
	_, perr := os.Stat(filepath.Join(s.c.pvcDir(backupClaim), ".partial-"+name, manifestTxt))
	check(t, label+": nothing published under its name, no manifest in its partial directory",
		expect(os.IsNotExist(err) && os.IsNotExist(perr), "stat %v / %v; log: %s", err, perr, tail(logs, 600)))
	list := b.list(label)
	check(t, label+": backup.sh list does not show it", expect(!strings.Contains(list, name), "%s", list))
	// A new cluster asked to restore it refuses: clone-mysql fails, says why.
	mr, err := b.render("  restore:\n    backup: " + name + "\n    pvc:\n      claimName: " + backupClaim + "\n")
	if !check(t, label+": a restore of it renders", err) {
		return name
	}
	r, done := b.start("restore cut", mr, map[string]string{backupClaim: s.c.pvcDir(backupClaim)})
	if r == nil {
		return name
	}
	defer done()
	refused := waitFor(3*time.Minute, func() bool {
		p := r.c.pod(0)
		return p != nil && p.restarts(cloneContainer) > 0 && strings.Contains(p.logs(cloneContainer), "no complete backup '"+name+"'")
	})
	p := r.c.pod(0)
	check(t, label+": a restore of it is refused and the primary never starts", expect(refused && !p.isReady() && !fileExists(filepath.Join(r.c.pvcDir("data-"+r.pod(0)), "data")),
		"%s", r.c.status()))
	return name
}

// list runs the CronJob's pod with the argument list.
func (b *backupRun) list(label string) string {
	code, j, err := b.src.c.runJob("mysql-backup", []string{"list"}, 2*time.Minute)
	check(b.t, label+": backup.sh list exits 0", firstErr(err, expect(code == 0, "exit %d: %s", code, tail(j.logs("backup"), 600))))
	return j.logs("backup")
}

// retention: with count 2, two more backups leave the two newest complete
// ones; the oldest goes, the partial of the cut run goes, files that are
// not backups stay.
func (b *backupRun) retention(first, cut string) {
	t, s := b.t, b.src
	root := s.c.pvcDir(backupClaim)
	foreign := filepath.Join(root, "not-a-backup", "notes.txt")
	_ = os.MkdirAll(filepath.Dir(foreign), 0o755)
	_ = os.WriteFile(foreign, []byte("kept\n"), 0o644)
	var names []string
	for i := 0; i < 2; i++ {
		time.Sleep(1100 * time.Millisecond) // names are seconds
		code, j, err := s.c.runJob("mysql-backup", nil, time.Duration(backupMB())*time.Second+10*time.Minute)
		if !check(t, fmt.Sprintf("retention: backup %d exits 0", i+1), firstErr(err, expect(code == 0, "exit %d: %s", code, tail(j.logs("backup"), 800)))) {
			return
		}
		m := regexp.MustCompile(`backup (\d{8}T\d{6}Z) complete`).FindStringSubmatch(j.logs("backup"))
		if m != nil {
			names = append(names, m[1])
		}
	}
	var complete []string
	ents, _ := os.ReadDir(root)
	for _, e := range ents {
		if fileExists(filepath.Join(root, e.Name(), manifestTxt)) {
			complete = append(complete, e.Name())
		}
	}
	sort.Strings(complete)
	check(t, "retention: count 2 keeps the two newest complete backups, the oldest is deleted",
		expect(strings.Join(complete, ",") == strings.Join(names, ",") && !fileExists(filepath.Join(root, first)), "complete %v, newest %v", complete, names))
	check(t, "retention: the cut run's partial directory is gone, files that are not backups stay",
		expect(!fileExists(filepath.Join(root, ".partial-"+cut)) && fileExists(foreign) && fileExists(filepath.Join(root, "tar-baseline.tar.gz")),
			"partial present %v, foreign %v", fileExists(filepath.Join(root, ".partial-"+cut)), fileExists(foreign)))
	list := b.list("retention")
	var listed []string
	for _, line := range strings.Split(list, "\n") {
		if f := strings.Fields(line); len(f) > 0 && regexp.MustCompile(`^\d{8}T\d{6}Z$`).MatchString(f[0]) {
			listed = append(listed, f[0])
		}
	}
	check(t, "retention: backup.sh list prints exactly the complete backups", expect(strings.Join(listed, ",") == strings.Join(names, ","), "%v", listed))
	b.ageRetention(names)
}

// ageRetention: with maxAgeDays 30 and no count limit (the Job's env edited
// to what the render writes for spec.backup.retention.maxAgeDays: 30), a
// run deletes a complete backup named as taken in 2020 and keeps the recent
// ones and its own.
func (b *backupRun) ageRetention(recent []string) {
	t, s := b.t, b.src
	root := s.c.pvcDir(backupClaim)
	const old = "20200101T000000Z"
	if len(recent) == 0 || !check(t, "retention by age: a copy of "+recent[0]+" named "+old,
		copyBackupDir(filepath.Join(root, recent[0]), filepath.Join(root, old))) {
		return
	}
	time.Sleep(1100 * time.Millisecond) // names are seconds
	code, j, err := s.c.runJob("mysql-backup", nil, time.Duration(backupMB())*time.Second+10*time.Minute,
		corev1.EnvVar{Name: "MYSQLGEN_BACKUP_KEEP", Value: "0"}, corev1.EnvVar{Name: "MYSQLGEN_BACKUP_MAX_AGE_DAYS", Value: "30"})
	if !check(t, "retention by age: the backup exits 0", firstErr(err, expect(code == 0, "exit %d: %s", code, tail(j.logs("backup"), 800)))) {
		return
	}
	logs := j.logs("backup")
	kept := true
	for _, n := range recent {
		kept = kept && fileExists(filepath.Join(root, n, manifestTxt))
	}
	m := regexp.MustCompile(`backup (\d{8}T\d{6}Z) complete`).FindStringSubmatch(logs)
	check(t, "retention by age: maxAgeDays 30 deletes the backup of 2020, keeps the recent ones and the new one",
		expect(!fileExists(filepath.Join(root, old)) && kept && m != nil && fileExists(filepath.Join(root, m[1], manifestTxt)) &&
			strings.Contains(logs, "removing "+old+" (older than 30 days)"), "%s", tail(logs, 800)))
}

// copyBackupDir copies a backup's files into a new directory owned as the
// original is (the Job's user must be able to delete it).
func copyBackupDir(src, dst string) error {
	st, err := os.Stat(src)
	if err != nil {
		return err
	}
	sys, _ := st.Sys().(*syscall.Stat_t)
	if sys == nil {
		return fmt.Errorf("no owner for %s", src)
	}
	if err := os.Mkdir(dst, st.Mode().Perm()); err != nil {
		return err
	}
	ents, err := os.ReadDir(src)
	if err != nil {
		return err
	}
	for _, e := range ents {
		data, err := os.ReadFile(filepath.Join(src, e.Name()))
		if err != nil {
			return err
		}
		if err := os.WriteFile(filepath.Join(dst, e.Name()), data, 0o640); err != nil {
			return err
		}
		if err := os.Chown(filepath.Join(dst, e.Name()), int(sys.Uid), int(sys.Gid)); err != nil {
			return err
		}
	}
	return os.Chown(dst, int(sys.Uid), int(sys.Gid))
}

// s3Server is versitygw's posix gateway on 127.0.0.1: buckets are
// directories of its root.
type s3Server struct {
	dir  string
	port int
	cmd  *exec.Cmd
}

// startS3 starts bin/versitygw (make e2e builds it from tools/versitygw)
// and creates the bucket.
func startS3(t *testing.T) (*s3Server, error) {
	root, err := moduleRoot()
	if err != nil {
		return nil, err
	}
	bin := filepath.Join(root, "bin", "versitygw")
	if _, err := os.Stat(bin); err != nil {
		if os.Getenv("MYSQLGEN_E2E_REQUIRE") == "" {
			t.Skip("SKIP: bin/versitygw is missing (make e2e builds it)")
		}
		return nil, fmt.Errorf("bin/versitygw is missing: make e2e builds it")
	}
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	port := l.Addr().(*net.TCPAddr).Port
	l.Close()
	s := &s3Server{port: port}
	if s.dir, err = os.MkdirTemp("", "mysqlgen-e2e-s3-"); err != nil {
		return nil, err
	}
	s.cmd = exec.Command(bin, "--access", s3Access, "--secret", s3SecretKey, "--port", fmt.Sprintf("127.0.0.1:%d", port), "posix", s.dir)
	s.cmd.Stdout, s.cmd.Stderr = io.Discard, os.Stderr
	s.cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL, Setpgid: true}
	if err := s.cmd.Start(); err != nil {
		return nil, err
	}
	if !waitFor(20*time.Second, func() bool {
		c, err := net.Dial("tcp", fmt.Sprintf("127.0.0.1:%d", port))
		if err == nil {
			c.Close()
		}
		return err == nil
	}) {
		s.stop()
		return nil, fmt.Errorf("versitygw did not listen on 127.0.0.1:%d", port)
	}
	if out, err := s.rclone("mkdir", "e2e:"+s3Bucket); err != nil {
		s.stop()
		return nil, fmt.Errorf("creating the bucket: %v %s", err, out)
	}
	return s, nil
}

func (s *s3Server) root() string { return "e2e:" + s3Bucket + "/" + s3Prefix }

// env is the host's environment without AWS_* (which the AWS SDK inside
// rclone would read: a CA bundle, keys), with the rclone remote e2e:.
func (s *s3Server) env() []string {
	var env []string
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, "AWS_") && !strings.HasPrefix(kv, "RCLONE_") {
			env = append(env, kv)
		}
	}
	return append(env, "RCLONE_CONFIG=/dev/null", "RCLONE_CONFIG_E2E_TYPE=s3", "RCLONE_CONFIG_E2E_PROVIDER=Other",
		"RCLONE_CONFIG_E2E_ENDPOINT="+fmt.Sprintf("http://127.0.0.1:%d", s.port), "RCLONE_CONFIG_E2E_ACCESS_KEY_ID="+s3Access,
		"RCLONE_CONFIG_E2E_SECRET_ACCESS_KEY="+s3SecretKey, "RCLONE_CONFIG_E2E_FORCE_PATH_STYLE=true")
}

func (s *s3Server) rclone(args ...string) (string, error) {
	cmd := exec.Command(hostTools["rclone"], args...)
	cmd.Env = s.env()
	out, err := cmd.CombinedOutput()
	return string(out), err
}

func (s *s3Server) stop() {
	if s.cmd != nil && s.cmd.Process != nil {
		_ = s.cmd.Process.Kill()
		_ = s.cmd.Wait()
	}
	if os.Getenv("MYSQLGEN_E2E_KEEP") == "" {
		_ = os.RemoveAll(s.dir)
	}
}
