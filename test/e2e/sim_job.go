//go:build e2e

package e2e

import (
	"fmt"
	"maps"
	"os"
	"os/exec"
	"slices"
	"strconv"
	"syscall"
	"time"

	batchv1 "k8s.io/api/batch/v1"
	corev1 "k8s.io/api/core/v1"
)

// jobOrdinalBase numbers the pods of Jobs after every member's slot, so
// that their addresses (podIP) never meet a member's.
const jobOrdinalBase = 40

// job is one run of a CronJob's pod, as the Job controller would create it
// from the jobTemplate (its name: <cronjob>-<n>-<suffix>).
type job struct {
	p *pod
}

// startJob starts a pod from the CronJob's jobTemplate as rendered; args,
// when not nil, replace the first container's (as `kubectl create job
// --from` and an edit would). The pod joins this cluster's network.
func (c *cluster) startJob(cronJob string, args []string, env ...corev1.EnvVar) (*job, error) {
	cj, ok := c.m.CronJobs[cronJob]
	if !ok {
		return nil, fmt.Errorf("no CronJob %q in the rendered output", cronJob)
	}
	tmpl := cj.Spec.JobTemplate.Spec.Template.DeepCopy()
	if tmpl.Spec.RestartPolicy != corev1.RestartPolicyNever {
		return nil, fmt.Errorf("CronJob %s: restartPolicy %q, the simulation runs Never", cronJob, tmpl.Spec.RestartPolicy)
	}
	if args != nil {
		tmpl.Spec.Containers[0].Args = args
	}
	// env, when given, replaces variables of the first container, as an
	// edit of the Job would.
	for _, e := range env {
		ctr := &tmpl.Spec.Containers[0]
		i := slices.IndexFunc(ctr.Env, func(v corev1.EnvVar) bool { return v.Name == e.Name })
		if i < 0 {
			return nil, fmt.Errorf("CronJob %s sets no %s to replace", cronJob, e.Name)
		}
		ctr.Env[i] = e
	}
	c.mu.Lock()
	c.jobs++
	n := c.jobs
	jobName := fmt.Sprintf("%s-%d", cronJob, 29000000+n)
	// The Job controller's labels on its pods (Kubernetes 1.27 and later).
	tmpl.Labels = maps.Clone(tmpl.Labels)
	if tmpl.Labels == nil {
		tmpl.Labels = map[string]string{}
	}
	tmpl.Labels[batchv1.JobNameLabel] = jobName
	tmpl.Labels["job-name"] = jobName
	name := jobName + "-" + c.id[:5]
	p := c.newPodFrom(jobOrdinalBase+n%100, name, tmpl)
	p.job = true
	c.mu.Unlock()
	go p.run()
	return &job{p: p}, nil
}

// wait waits for the Job's pod to finish and returns its exit code.
func (j *job) wait(timeout time.Duration) (int, error) {
	select {
	case <-j.p.done:
		return j.p.code, nil
	case <-time.After(timeout):
		j.p.deleteWithGrace(2 * time.Second)
		<-j.p.done
		return -1, fmt.Errorf("job pod %s still running after %s", j.p.name, timeout)
	}
}

// logs is the output of one container of the Job's pod.
func (j *job) logs(container string) string { return j.p.logs(container) }

// runJob runs one Job pod to its end.
func (c *cluster) runJob(cronJob string, args []string, timeout time.Duration, env ...corev1.EnvVar) (int, *job, error) {
	j, err := c.startJob(cronJob, args, env...)
	if err != nil {
		return -1, nil, err
	}
	code, err := j.wait(timeout)
	return code, j, err
}

// hubAddress is an address on the pods' bridge that is not a pod's: where
// a service outside the cluster (the S3 server) is reached.
const hubAddress = podNet + "1"

// forwardToHost makes hubAddress:port on the pods' network reach
// 127.0.0.1:hostPort of the host, as a route out of the cluster would: a
// socat in the hub's network namespace passes each connection through a
// Unix socket (file system, not network, namespaced) to a socat on the
// host. The host's network is not changed.
func (c *cluster) forwardToHost(port, hostPort int) error {
	if err := c.ipBatch(c.hub.Process.Pid, "addr add "+hubAddress+"/24 dev br0\n"); err != nil {
		return err
	}
	sock := c.dir + "/fwd-" + strconv.Itoa(port) + ".sock"
	host := exec.Command(hostTools["socat"], "UNIX-LISTEN:"+sock+",fork,unlink-early", "TCP:127.0.0.1:"+strconv.Itoa(hostPort))
	in := exec.Command(hostTools["nsenter"], "--net=/proc/"+strconv.Itoa(c.hub.Process.Pid)+"/ns/net", "--",
		hostTools["socat"], "TCP-LISTEN:"+strconv.Itoa(port)+",bind="+hubAddress+",fork,reuseaddr", "UNIX-CONNECT:"+sock)
	for _, cmd := range []*exec.Cmd{host, in} {
		cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL, Setpgid: true}
		if err := cmd.Start(); err != nil {
			return err
		}
		c.track(cmd)
		go func(cmd *exec.Cmd) { _ = cmd.Wait(); c.untrack(cmd) }(cmd)
		if cmd == host && !waitFor(5*time.Second, func() bool { return fileExists(sock) }) {
			return fmt.Errorf("forwarder socket %s did not appear", sock)
		}
	}
	return nil
}

func fileExists(path string) bool {
	_, err := os.Stat(path)
	return err == nil
}
