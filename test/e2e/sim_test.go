//go:build e2e

package e2e

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// TestSimulator proves the pod simulator on a small fixture of its own
// (testdata/fixture.yaml), independent of mysqlgen's output.
func TestSimulator(t *testing.T) {
	requireHost(t)
	data, err := os.ReadFile(filepath.Join("testdata", "fixture.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	m, err := parseManifest(data)
	if !check(t, "sim: fixture parses into typed objects", err) {
		return
	}
	secret := &corev1.Secret{ObjectMeta: metav1.ObjectMeta{Name: "fix-secret"},
		StringData: map[string]string{"root-password": "s3cr3t pw"}}
	c, err := newCluster(clusterConfig{Manifest: m, Secrets: []*corev1.Secret{secret}, Logf: t.Logf})
	if !check(t, "sim: cluster prepared", err) {
		return
	}
	defer func() {
		check(t, "sim: cleanup leaves no process, namespace or mount", c.close())
		_, err := os.Stat(c.dir)
		check(t, "sim: run directory removed", expect(os.IsNotExist(err), "still there: %v", err))
	}()
	c.startController()
	if !check(t, "sim: 2 pods Ready", c.waitReady(2, 90*time.Second)) {
		return
	}
	check(t, "sim: OrderedReady (fix-1 created after fix-0 Ready)", orderedReady(c.events(), "fix-0", "fix-1"))

	out, err := c.execOut(1, "echo", "hostname")
	check(t, "sim: hostname is fix-1", firstErr(err, expect(out == "fix-1", "got %q", out)))
	out, err = c.execOut(1, "echo", "getent", "hosts", "fix-0.fix")
	check(t, "sim: fix-0.fix resolves to its pod address", firstErr(err, expect(strings.HasPrefix(out, podIP(0)+" "), "got %q", out)))
	out, err = c.execOut(1, "echo", "socat", "-T5", "-", "TCP:fix-0.fix:3307")
	check(t, "sim: fix-1 reaches fix-0 over the pod network", firstErr(err, expect(out == "from fix-0", "got %q", out)))
	out, err = c.execOut(1, "echo", "sh", "-c", "echo $FIX_READ_SERVICE_HOST:$FIX_READ_SERVICE_PORT")
	check(t, "sim: service link variables", firstErr(err, expect(strings.HasSuffix(out, ":3306"), "got %q", out)))

	check(t, "sim: init container retried after failing once", expect(c.pod(1).restarts("init-conf") == 1, "restarts %d", c.pod(1).restarts("init-conf")))
	out, err = c.sql(1, "mysql", "root", "", "SELECT @@server_id", false)
	check(t, "sim: server-id from the init container's .cnf", firstErr(err, expect(out == "101", "got %q", out)))
	out, err = c.execOut(1, "mysql", "cat", "/etc/mysql/conf.d/env-expanded")
	check(t, "sim: env $(VAR) expansion like the kubelet", firstErr(err, expect(out == "fix-1-x $HOME $(UNDEFINED)", "got %q", out)))
	out, err = c.execOut(1, "mysql", "sh", "-c", "stat -L -c '%a %g' /etc/fix-secret/root-password; cat /etc/fix-secret/root-password; echo; echo \"$ROOT_PASSWORD\"; id -u")
	want := fmt.Sprintf("440 %d\ns3cr3t pw\ns3cr3t pw\n%d", c.ids.GID, c.ids.UID)
	check(t, "sim: secret volume 0400+fsGroup readable by uid 999, env from secretKeyRef", firstErr(err, expect(out == want, "got %q want %q", out, want)))
	out, err = c.execOut(1, "echo", "sh", "-c", "id -u; test -e /etc/mysql/conf.d/server-id.cnf || echo no-conf")
	check(t, "sim: containers have their own mounts and user", firstErr(err, expect(out == "0\nno-conf", "got %q", out)))
	out, err = c.execOut(1, "echo", "sh", "-c", "xtrabackup --version; echo $?")
	check(t, "sim: image shims refuse tools the image lacks", firstErr(err, expect(strings.HasSuffix(out, "127"), "got %q", out)))

	// Liveness: remove the file the probe tests; the container restarts.
	p0 := c.pod(0)
	_, err = c.execOut(0, "echo", "rm", "/tmp/alive")
	ok := waitFor(20*time.Second, func() bool { return p0.restarts("echo") >= 1 && p0.container("echo").isRunning() })
	check(t, "sim: failed liveness probe restarts the container", firstErr(err, expect(ok, "restarts %d", p0.restarts("echo"))))

	// A killed server process: the container restarts, the pod is Ready again.
	p1 := c.pod(1)
	pids := p1.procsIn(p1.container("mysql"), "mariadbd")
	for _, pid := range pids {
		_ = syscall.Kill(pid, syscall.SIGKILL)
	}
	ok = waitFor(60*time.Second, func() bool { return p1.restarts("mysql") >= 1 && p1.isReady() })
	check(t, "sim: killed server restarts and the pod is Ready again", expect(len(pids) == 1 && ok, "pids %v, %s", pids, c.status()))

	// Pod deletion: the PVC is kept, emptyDirs are fresh.
	_, err1 := c.execOut(1, "mysql", "touch", "/var/lib/mysql/pvc-marker", "/etc/mysql/conf.d/emptydir-marker")
	err2 := c.deletePod(1, 30*time.Second)
	err3 := c.waitReady(2, 60*time.Second)
	check(t, "sim: deleted pod is recreated and Ready", firstErr(err1, err2, err3))
	out, err = c.execOut(1, "mysql", "sh", "-c", "test -e /var/lib/mysql/pvc-marker && echo pvc; test -e /etc/mysql/conf.d/emptydir-marker && echo emptydir; true")
	check(t, "sim: PVC kept, emptyDir fresh after pod deletion", firstErr(err, expect(out == "pvc", "got %q", out)))
	check(t, "sim: recreated pod's init ran once", expect(c.pod(1).restarts("init-conf") == 0, "restarts %d", c.pod(1).restarts("init-conf")))

	c.scale(3)
	err = c.waitReady(3, 90*time.Second)
	check(t, "sim: scale up to 3 in order", firstErr(err, orderedReady(c.events(), "fix-1", "fix-2")))
	c.scale(2)
	err = c.waitReady(2, 60*time.Second)
	_, serr := os.Stat(c.pvcDir("data-fix-2"))
	check(t, "sim: scale down to 2 keeps the PVC of fix-2", firstErr(err, serr))
}

// orderedReady checks that the last incarnation of next was created after
// prev last became Ready.
func orderedReady(evs []event, prev, next string) error {
	var readyAt, createdAt time.Duration = -1, -1
	for _, e := range evs {
		if e.Pod == prev && e.Kind == "pod-ready" {
			readyAt = e.At
		}
		if e.Pod == next && e.Kind == "created" {
			createdAt = e.At
		}
	}
	if readyAt < 0 || createdAt < 0 || createdAt < readyAt {
		return fmt.Errorf("%s Ready at %v, %s created at %v", prev, readyAt, next, createdAt)
	}
	return nil
}

func expect(ok bool, format string, args ...any) error {
	if ok {
		return nil
	}
	return fmt.Errorf(format, args...)
}

func firstErr(errs ...error) error {
	for _, e := range errs {
		if e != nil {
			return e
		}
	}
	return nil
}
