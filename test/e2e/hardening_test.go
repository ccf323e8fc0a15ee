//go:build e2e

package e2e

import (
	"bufio"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"os/exec"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
)

// cloneAttempt is what a peer got from a member's backup port.
type cloneAttempt struct {
	banner string // the first line
	proof  string // the second line, the donor's proof (empty when refused)
	stream int64  // bytes after those lines, read until EOF or the limit
	err    error
}

// tryClone connects from inside pod from's network namespace to addr
// (host:port) as a cloning peer would, speaking the exchange of
// templates/common.sh with its own implementation (crypto/hmac), and
// answering with the key derived from password; an empty password sends
// garbage, and a nil answer nothing at all. It reads at most limit bytes of
// stream.
func (s *suite) tryClone(from int, addr, password string, answer bool, limit int64) cloneAttempt {
	p := s.c.pod(from)
	if p == nil {
		return cloneAttempt{err: fmt.Errorf("%s does not exist", s.pod(from))}
	}
	cmd := exec.Command(hostTools["nsenter"], "--net=/proc/"+strconv.Itoa(p.sandboxPid)+"/ns/net", "--",
		hostTools["socat"], "STDIO", "TCP:"+addr+",connect-timeout=5")
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGKILL}
	in, _ := cmd.StdinPipe()
	out, _ := cmd.StdoutPipe()
	if err := cmd.Start(); err != nil {
		return cloneAttempt{err: err}
	}
	s.c.track(cmd)
	defer func() {
		_ = syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL)
		_ = cmd.Wait()
		s.c.untrack(cmd)
	}()
	timer := time.AfterFunc(60*time.Second, func() { _ = syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL) })
	defer timer.Stop()
	r := bufio.NewReader(out)
	var a cloneAttempt
	line, err := r.ReadString('\n')
	a.banner = strings.TrimSuffix(line, "\n")
	if err != nil {
		a.err = fmt.Errorf("no greeting: %v (got %q)", err, line)
		return a
	}
	f := strings.Fields(a.banner)
	if len(f) != 2 || f[0] != "mysqlgen-clone/1" {
		a.err = fmt.Errorf("greeting %q", a.banner)
		return a
	}
	donorNonce := f[1]
	if answer {
		b := make([]byte, 16)
		_, _ = rand.Read(b)
		peerNonce := hex.EncodeToString(b)
		resp := "0123456789abcdef0123456789abcdef not-an-answer"
		if password != "" {
			resp = peerNonce + " " + cloneMAC(password, "peer "+donorNonce+" "+peerNonce)
		}
		fmt.Fprintf(in, "%s\n", resp)
		line, err = r.ReadString('\n')
		a.proof = strings.TrimSuffix(line, "\n")
		if err == nil && password != "" && a.proof != cloneMAC(password, "donor "+donorNonce+" "+peerNonce) {
			a.err = fmt.Errorf("the donor's proof %q is not HMAC-SHA256(sha256(password), donor ...)", a.proof)
			return a
		}
		if err != nil {
			a.stream = int64(len(line))
			return a // closed: refused
		}
	} else {
		_ = in.Close()
	}
	a.stream, _ = io.CopyN(io.Discard, r, limit)
	return a
}

// cloneMAC is the exchange's HMAC, written independently of the script's
// bash: HMAC-SHA256 keyed with SHA-256 of the password.
func cloneMAC(password, msg string) string {
	k := sha256.Sum256([]byte(password))
	m := hmac.New(sha256.New, k[:])
	m.Write([]byte(msg))
	return hex.EncodeToString(m.Sum(nil))
}

// cloneAuth proves issue 12's item 3 on a running cluster: the backup port of
// ordinal 0 gives a peer without the cluster's replication password nothing
// but its greeting, starts no backup for it, and streams to a peer with it;
// it answers on IPv6 too (item 10).
func (s *suite) cloneAuth(label string) {
	t, c := s.t, s.c
	donor := c.pod(0)
	backups := func() int {
		n := 0
		for _, comm := range []string{"mariadb-backup", "mariabackup"} {
			n += len(donor.procsIn(donor.container(sidecarName), comm))
		}
		return n
	}
	v4 := podIP(0) + ":3307"
	wrong := s.tryClone(1, v4, "not the replication password", true, 1<<20)
	check(t, label+": a peer answering with another password gets the greeting and nothing more",
		firstErr(wrong.err, expect(wrong.proof == "" && wrong.stream == 0, "proof %q, %d stream bytes", wrong.proof, wrong.stream)))
	garbage := s.tryClone(1, v4, "", true, 1<<20)
	check(t, label+": a peer answering garbage gets nothing more",
		firstErr(garbage.err, expect(garbage.proof == "" && garbage.stream == 0, "proof %q, %d stream bytes", garbage.proof, garbage.stream)))
	silent := s.tryClone(1, v4, "", false, 1<<20)
	check(t, label+": a peer that only listens gets nothing more",
		firstErr(silent.err, expect(silent.stream == 0, "%d stream bytes", silent.stream)))
	check(t, label+": no backup ran for them", expect(backups() == 0, "%d backup processes", backups()))
	refused := donor.logs(sidecarName)
	check(t, label+": the donor logged the refusals",
		expect(strings.Count(refused, "refused a peer that did not prove it holds the cluster's replication-password") >= 2, "log: %s", tail(refused, 600)))

	right := s.tryClone(1, v4, testPasswords["replication-password"], true, 4<<20)
	check(t, label+": a peer with the replication password gets the donor's proof and the stream",
		firstErr(right.err, expect(right.stream == 4<<20, "proof %q, %d stream bytes", right.proof, right.stream)))

	v6 := "[" + podIPv6(0) + "]:3307"
	six := s.tryClone(1, v6, "", false, 1)
	check(t, label+": the backup port answers on the pod's IPv6 address too (dual-stack listener)",
		firstErr(six.err, expect(strings.HasPrefix(six.banner, "mysqlgen-clone/1 "), "banner %q", six.banner)))
}

// printableASCII is every printable ASCII character, space to tilde.
func printableASCII() string {
	var b strings.Builder
	for c := byte(' '); c <= '~'; c++ {
		b.WriteByte(c)
	}
	return b.String()
}

// TestPasswords proves issue 12's item 4 against real MariaDB: passwords that
// hold every printable ASCII character, and a line break where the servers
// can keep one, work for every user the scripts create and log in as, on a
// server whose sql-mode has NO_BACKSLASH_ESCAPES; the replication password
// also after the replica restarts (it reads it back from master.info); and
// what no server can keep is refused at start with the key named.
func TestPasswords(t *testing.T) {
	all := printableASCII()
	passwords := map[string]string{
		"root-password":        all + "\n" + all,
		"backup-password":      "\n" + reverse(all),
		"replication-password": reverse(all),
		"metrics-password":     all + "\n%(user)x",
	}
	// The patch turns the metrics user on without the exporter's container,
	// whose httpGet probe the simulator does not run; containers are listed
	// in order, as a strategic merge patch keeps the patch's order.
	const body = `  flavor: mariadb
  version: "10.11"
  replicas: 2
  config:
    sql-mode: NO_BACKSLASH_ESCAPES
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
              - name: MYSQLGEN_METRICS
                value: "ON"
            containers:
            - name: mysql
            - name: xtrabackup
              env:
              - name: MYSQLGEN_METRICS
                value: "ON"
`
	s, done := startSuite(t, "passwords", body, passwords, 2)
	if s == nil {
		return
	}
	defer done()
	c := s.c
	if !check(t, "passwords: 2 pods Ready (probes log in as root; the replica cloned with the replication password as key)", c.waitReady(2, 5*time.Minute)) {
		return
	}
	for _, u := range []struct{ user, key string }{{"root", "root-password"}, {"metrics", "metrics-password"}} {
		out, err := c.sql(0, serverName, u.user, passwords[u.key], "SELECT CURRENT_USER()", false)
		check(t, "passwords: "+u.user+" logs in with the Secret's exact value (all printable ASCII and a line break)",
			firstErr(err, expect(strings.HasPrefix(out, u.user+"@"), "got %q", out)))
	}
	out, err := c.execOut(0, sidecarName, "bash", "-c", `mariadb --defaults-extra-file="$MYSQLGEN_GENERATED_DIR/backup.cnf" -N -B -e 'SELECT CURRENT_USER()'`)
	check(t, "passwords: the backup user logs in through its client file (cnf_quote)", firstErr(err, expect(out == "backup@localhost", "got %q", out)))
	_, err = c.sql(0, serverName, "root", passwords["root-password"], sqlLiterals+"CREATE DATABASE e2e; CREATE TABLE e2e.t (v VARCHAR(10)); INSERT INTO e2e.t VALUES ('a')", false)
	check(t, "passwords: a row written on the primary", err)
	// The replica is killed only once it has applied the row: killed while
	// it applies CREATE DATABASE, a MariaDB replica re-runs that DDL after
	// the crash and its SQL thread stops on "database exists" (DDL is not
	// crash-safe with gtid_slave_pos), which is not what this check is about.
	applied := waitFor(60*time.Second, func() bool {
		got, _ := c.sql(1, serverName, "root", passwords["root-password"], "SELECT GROUP_CONCAT(v) FROM e2e.t", false)
		return got == "a"
	})
	check(t, "passwords: the replica applied the row before its server is killed", expect(applied, "%s", c.status()))
	p1 := c.pod(1)
	before := p1.restarts(serverName)
	for _, pid := range p1.procsIn(p1.container(serverName), "mariadbd") {
		_ = syscall.Kill(pid, syscall.SIGKILL)
	}
	ok := waitFor(3*time.Minute, func() bool { return p1.restarts(serverName) > before && p1.isReady() })
	_, err = c.sql(0, serverName, "root", passwords["root-password"], "INSERT INTO e2e.t VALUES ('b')", false)
	var got string
	waitFor(60*time.Second, func() bool {
		got, _ = c.sql(1, serverName, "root", passwords["root-password"], "SELECT GROUP_CONCAT(v ORDER BY v) FROM e2e.t", false)
		return got == "a,b"
	})
	check(t, "passwords: after its server restarts, the replica logs in to the primary with the password it kept (master.info)",
		firstErr(err, expect(ok && got == "a,b", "restarted %v, rows %q, %s", ok, got, c.status())))

	// What no server can keep is refused by the function every script uses.
	// The values are printf %b escapes: an argument cannot hold a NUL.
	for _, r := range []struct{ key, value, want string }{
		{"replication-password", `line 1\nline 2`, "secret key 'replication-password' holds a line break"},
		{"root-password", `nul\0byte`, "secret key 'root-password' holds a NUL byte"},
		{"metrics-password", "x%(user)sy", "secret key 'metrics-password' holds '%(user)s'"},
		{"backup-password", `\n\n`, "secret key 'backup-password' is empty"},
	} {
		script := `d="$(mktemp -d)"; printf '%b' "$1" >"$d/$2"; MYSQLGEN_SECRET_DIR="$d"; source "$0"; read_secret v "$2"`
		res := p1.exec(p1.container(sidecarName), []string{"bash", "-c", script, s.scripts + "/common.sh", r.value, r.key}, nil, 30*time.Second)
		check(t, "passwords: refused at start: "+r.want, expect(res.Code == 1 && strings.Contains(res.Stderr, r.want), "%s", res))
	}
}

func reverse(s string) string {
	b := []byte(s)
	for i, j := 0, len(b)-1; i < j; i, j = i+1, j-1 {
		b[i], b[j] = b[j], b[i]
	}
	return string(b)
}
