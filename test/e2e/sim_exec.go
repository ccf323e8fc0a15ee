//go:build e2e

package e2e

import (
	"bytes"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"

	corev1 "k8s.io/api/core/v1"
)

// execResult is the outcome of a command run inside a container.
type execResult struct {
	Code           int
	Stdout, Stderr string
	TimedOut       bool
	Err            error
}

func (r execResult) String() string {
	return fmt.Sprintf("exit %d (timeout %v, err %v) stdout %q stderr %q", r.Code, r.TimedOut, r.Err, tail(r.Stdout, 300), tail(r.Stderr, 300))
}

// exec runs argv in a running container like `kubectl exec` or an exec
// probe: in the container's namespaces (mount, UTS, network, IPC, PID),
// as its user and groups, in its working directory, with its environment
// (plus extra variables).
func (p *pod) exec(c *ctr, argv []string, extraEnv []string, timeout time.Duration) execResult {
	c.mu.Lock()
	pid, running := c.pid, c.running
	c.mu.Unlock()
	if !running {
		return execResult{Code: -1, Err: fmt.Errorf("container %s is not running", c.spec.Name)}
	}
	// Entering the mount namespace puts the process at the container's root;
	// env -C then moves to the working directory (nsenter --wd would open
	// the directory on the host's side).
	args := []string{"--target", strconv.Itoa(pid), "--mount", "--uts", "--net", "--ipc", "--pid", "--",
		"setpriv", "--reuid=" + strconv.Itoa(c.uid), "--regid=" + strconv.Itoa(c.gid)}
	if len(c.groups) == 0 {
		args = append(args, "--clear-groups")
	} else {
		gs := make([]string, len(c.groups))
		for i, g := range c.groups {
			gs[i] = strconv.Itoa(g)
		}
		args = append(args, "--groups="+strings.Join(gs, ","))
	}
	args = append(args, "--", "env", "-i")
	if wd := c.spec.WorkingDir; wd != "" && wd != "/" {
		args = append(args, "--chdir="+wd)
	}
	args = append(args, c.env...)
	args = append(args, extraEnv...)
	args = append(args, argv...)
	cmd := exec.Command(hostTools["nsenter"], args...)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGKILL}
	if err := cmd.Start(); err != nil {
		return execResult{Code: -1, Err: err}
	}
	p.c.track(cmd)
	defer p.c.untrack(cmd)
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	var err error
	timedOut := false
	select {
	case err = <-done:
	case <-time.After(timeout):
		timedOut = true
		_ = syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL)
		err = <-done
	}
	r := execResult{Stdout: stdout.String(), Stderr: stderr.String(), TimedOut: timedOut}
	if err != nil {
		r.Code = -1
		if ee, ok := err.(*exec.ExitError); ok {
			r.Code = ee.ExitCode()
		} else {
			r.Err = err
		}
	}
	if timedOut {
		r.Code = -1
	}
	return r
}

// probeState follows one probe's consecutive results.
type probeState struct {
	kind             string
	spec             *corev1.Probe
	successes, fails int
}

func probeDefaults(pr *corev1.Probe) (delay, period, timeout time.Duration, success, failure int) {
	delay = time.Duration(pr.InitialDelaySeconds) * time.Second
	period, timeout, success, failure = 10*time.Second, time.Second, 1, 3
	if pr.PeriodSeconds > 0 {
		period = time.Duration(pr.PeriodSeconds) * time.Second
	}
	if pr.TimeoutSeconds > 0 {
		timeout = time.Duration(pr.TimeoutSeconds) * time.Second
	}
	if pr.SuccessThreshold > 0 {
		success = int(pr.SuccessThreshold)
	}
	if pr.FailureThreshold > 0 {
		failure = int(pr.FailureThreshold)
	}
	return
}

// probe runs the container's startup, liveness and readiness probes like
// the kubelet's prober workers until stop is closed: each worker probes at
// once and then every period, skipping until initialDelaySeconds have
// passed since the container started; liveness and readiness wait for the
// startup probe; a failed liveness or startup probe kills the container.
func (p *pod) probe(c *ctr, stop <-chan struct{}) {
	for _, k := range []struct {
		kind string
		pr   *corev1.Probe
	}{{"startup", c.spec.StartupProbe}, {"liveness", c.spec.LivenessProbe}, {"readiness", c.spec.ReadinessProbe}} {
		if k.pr != nil {
			go p.probeWorker(c, &probeState{kind: k.kind, spec: k.pr}, stop)
		}
	}
}

func (p *pod) probeWorker(c *ctr, st *probeState, stop <-chan struct{}) {
	delay, period, timeout, success, failure := probeDefaults(st.spec)
	c.mu.Lock()
	startedAt := c.startedAt
	c.mu.Unlock()
	t := time.NewTicker(period)
	defer t.Stop()
	for first := true; ; first = false {
		if !first {
			select {
			case <-stop:
				return
			case <-t.C:
			}
		}
		select {
		case <-stop:
			return
		default:
		}
		if time.Since(startedAt) < delay {
			continue
		}
		c.mu.Lock()
		started := c.started
		c.mu.Unlock()
		if st.kind != "startup" && !started {
			continue
		}
		if st.kind == "startup" && started {
			return
		}
		ok, detail := p.runProbe(c, st.spec, timeout)
		select {
		case <-stop:
			return
		default:
		}
		if ok {
			st.successes++
			st.fails = 0
		} else {
			st.fails++
			st.successes = 0
			p.record(event{Container: c.spec.Name, Kind: st.kind + "-probe-failed", Detail: fmt.Sprintf("%d/%d %s", st.fails, failure, detail)})
		}
		switch st.kind {
		case "startup":
			if ok {
				c.mu.Lock()
				c.started = true
				c.mu.Unlock()
				return
			}
			if st.fails >= failure {
				p.killForProbe(c, st, "startup")
				return
			}
		case "liveness":
			if st.fails >= failure {
				p.killForProbe(c, st, "liveness")
				return
			}
		case "readiness":
			c.mu.Lock()
			was := c.ready
			if ok && st.successes >= success {
				c.ready = true
			} else if !ok && st.fails >= failure {
				c.ready = false
			}
			now := c.ready
			c.mu.Unlock()
			if was != now {
				kind := "ready"
				if !now {
					kind = "unready"
				}
				p.record(event{Container: c.spec.Name, Kind: kind})
			}
		}
	}
}

// killForProbe restarts the container after a failed liveness or startup
// probe: SIGTERM, then SIGKILL after the grace period.
func (p *pod) killForProbe(c *ctr, st *probeState, kind string) {
	p.record(event{Container: c.spec.Name, Kind: kind + "-kill", Detail: "container will be restarted"})
	p.mu.Lock()
	grace := p.grace
	p.mu.Unlock()
	if g := st.spec.TerminationGracePeriodSeconds; g != nil {
		grace = time.Duration(*g) * time.Second
	}
	go p.stopContainer(c, time.Now().Add(grace), true)
}

// runProbe executes one probe action.
func (p *pod) runProbe(c *ctr, pr *corev1.Probe, timeout time.Duration) (bool, string) {
	switch {
	case pr.Exec != nil:
		r := p.exec(c, pr.Exec.Command, nil, timeout)
		if r.TimedOut {
			return false, fmt.Sprintf("timed out after %s", timeout)
		}
		if r.Code != 0 {
			return false, fmt.Sprintf("exit %d: %s", r.Code, tail(r.Stdout+" "+r.Stderr, 200))
		}
		return true, ""
	case pr.TCPSocket != nil:
		port := pr.TCPSocket.Port.IntValue()
		if port == 0 {
			port = p.namedPort(pr.TCPSocket.Port.String())
		}
		cmd := exec.Command(hostTools["nsenter"], "--net=/proc/"+strconv.Itoa(p.sandboxPid)+"/ns/net", "--",
			hostTools["socat"], "-u", "OPEN:/dev/null", fmt.Sprintf("TCP:%s:%d,connect-timeout=%d", p.ip, port, int(timeout.Seconds())))
		if out, err := cmd.CombinedOutput(); err != nil {
			return false, tail(string(out), 200)
		}
		return true, ""
	}
	return false, "probe handler not simulated (only exec and tcpSocket)"
}

func (p *pod) namedPort(name string) int {
	for _, cs := range p.spec.Containers {
		for _, port := range cs.Ports {
			if port.Name == name {
				return int(port.ContainerPort)
			}
		}
	}
	return 0
}

// container returns a container of the pod by name.
func (p *pod) container(name string) *ctr {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.containers[name]
}

// restarts returns a container's restart count.
func (p *pod) restarts(name string) int {
	c := p.container(name)
	if c == nil {
		return -1
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.restarts
}

// nsInode identifies the PID namespace of a process.
func nsInode(pid int, ns string) string {
	l, err := os.Readlink(filepath.Join("/proc", strconv.Itoa(pid), "ns", ns))
	if err != nil {
		return ""
	}
	return l
}

// procsIn lists the host pids of processes in a container (its PID
// namespace) whose command name is comm (any when empty).
func (p *pod) procsIn(c *ctr, comm string) []int {
	c.mu.Lock()
	pid, running := c.pid, c.running
	c.mu.Unlock()
	if !running {
		return nil
	}
	want := nsInode(pid, "pid")
	if want == "" {
		return nil
	}
	ents, _ := os.ReadDir("/proc")
	var out []int
	for _, e := range ents {
		n, err := strconv.Atoi(e.Name())
		if err != nil {
			continue
		}
		if nsInode(n, "pid") != want {
			continue
		}
		if comm != "" {
			b, _ := os.ReadFile(filepath.Join("/proc", e.Name(), "comm"))
			if strings.TrimSpace(string(b)) != comm {
				continue
			}
		}
		out = append(out, n)
	}
	return out
}

// netStat reads a counter (tx_bytes, rx_bytes) of the pod's eth0.
func (p *pod) netStat(counter string) (int64, error) {
	out, err := exec.Command(hostTools["nsenter"], "--net=/proc/"+strconv.Itoa(p.sandboxPid)+"/ns/net", "--",
		hostTools["ip"], "-s", "-o", "link", "show", "eth0").CombinedOutput()
	if err != nil {
		return 0, fmt.Errorf("%v: %s", err, out)
	}
	// -o puts everything on one line: "... RX: bytes packets ... \    N ... TX: bytes ... \    N ..."
	f := strings.Fields(strings.ReplaceAll(string(out), "\\", " "))
	for i, w := range f {
		if (counter == "rx_bytes" && w == "RX:") || (counter == "tx_bytes" && w == "TX:") {
			// header words follow until the first number
			for j := i + 1; j < len(f); j++ {
				if v, err := strconv.ParseInt(f[j], 10, 64); err == nil {
					return v, nil
				}
			}
		}
	}
	return 0, fmt.Errorf("no %s in %q", counter, out)
}
