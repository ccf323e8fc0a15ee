//go:build e2e

package e2e

import (
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"
)

// TestKustomizeNames proves issue 13's item 4: an overlay with namePrefix
// and namespace renames the objects but no string the pods depend on, and
// the cluster still clones and replicates (the members find the primary
// from their own names and the governing Service in /etc/hosts), while the
// -primary Service, which selects by pod index, selects ordinal 0. The
// overlay is built by the kustomize that kubectl embeds.
func TestKustomizeNames(t *testing.T) {
	requireHost(t)
	kubectl, err := exec.LookPath("kubectl")
	if err != nil {
		t.Skip("SKIP: no kubectl, whose kustomize builds the overlay")
	}
	bin, err := buildMysqlgen()
	if !check(t, "kustomize: build mysqlgen", err) {
		return
	}
	out, err := renderSpec(t, bin, "  flavor: mariadb\n  version: \"10.11\"\n  replicas: 2\n"+
		"  backup:\n    schedule: \"0 3 * * *\"\n    pvc:\n      size: 1Gi\n")
	if !check(t, "kustomize: mysqlgen render exits 0", err) {
		return
	}
	dir := t.TempDir()
	kust := "resources:\n- cluster.yaml\nnamePrefix: team-\nnamespace: shop\n"
	werr := firstErr(os.WriteFile(filepath.Join(dir, "cluster.yaml"), out, 0o644),
		os.WriteFile(filepath.Join(dir, "kustomization.yaml"), []byte(kust), 0o644))
	built, err := exec.Command(kubectl, "kustomize", dir).Output()
	if !check(t, "kustomize: kubectl kustomize builds an overlay with namePrefix team- and namespace shop", firstErr(werr, err)) {
		return
	}
	s, done := startManifest(t, "kustomize", built, testPasswords, 2)
	if s == nil {
		return
	}
	defer done()
	c := s.c
	check(t, "kustomize: the StatefulSet and its Service are renamed", expect(c.sts.Name == "team-mysql" && c.svc.Name == "team-mysql" && c.ns == "shop",
		"sts %s, service %s, namespace %s", c.sts.Name, c.svc.Name, c.ns))
	if !check(t, "kustomize: 2 pods Ready (team-mysql-1 cloned from team-mysql-0 and replicates)", c.waitReady(2, 5*time.Minute)) {
		return
	}
	st, err := c.sql(1, serverName, "root", testPasswords["root-password"], "SHOW SLAVE STATUS", false, "-E")
	check(t, "kustomize: team-mysql-1 replicates from team-mysql-0.team-mysql",
		firstErr(err, expect(strings.Contains(st, "Master_Host: team-mysql-0.team-mysql\n") && strings.Contains(st, "Slave_IO_Running: Yes"), "%s", tail(st, 500))))
	ord := c.endpoint("team-mysql-primary")
	check(t, "kustomize: the team-mysql-primary Service selects team-mysql-0 (by pod index), not a replica",
		expect(ord == 0, "selects ordinal %d", ord))
	renamedBackup(t, c)
}

// renamedBackup runs the renamed CronJob's pod, whose env still holds the
// rendered names: backup.sh finds the members' from its Job's name, backs
// up team-mysql-1 and writes into the renamed claim.
func renamedBackup(t *testing.T, c *cluster) {
	code, j, err := c.runJob("team-mysql-backup", nil, 10*time.Minute)
	if !check(t, "kustomize: the team-mysql-backup CronJob's pod exits 0", firstErr(err, expect(code == 0, "exit %d: %s", code, tail(j.logs("backup"), 800)))) {
		return
	}
	logs := j.logs("backup")
	name := "none"
	if m := regexp.MustCompile(`backup (\d{8}T\d{6}Z) complete`).FindStringSubmatch(logs); m != nil {
		name = m[1]
	}
	check(t, "kustomize: the backup came from team-mysql-1.team-mysql, the replica, into the team-mysql-backup claim",
		expect(strings.Contains(logs, "backing up team-mysql-1.team-mysql (replica)") &&
			fileExists(filepath.Join(c.pvcDir("team-mysql-backup"), name, manifestTxt)), "%s", tail(logs, 800)))
}
