//go:build e2e

package e2e

import (
	"bufio"
	"bytes"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
)

// cluster simulates one StatefulSet: its controller (OrderedReady), the
// kubelet of each of its pods, the pod network and the DNS names of its
// headless Service.
type cluster struct {
	id      string // per-run id, part of every name on this machine
	dir     string // run directory: PVCs, pods, logs
	ns      string // Kubernetes namespace of the objects
	m       *manifest
	sts     *appsv1.StatefulSet
	svc     *corev1.Service
	secrets map[string]*corev1.Secret
	ids     idMap
	self    string // this test binary, re-executed as helper
	logf    func(format string, args ...any)
	start   time.Time

	claims map[string]string
	jobs   int

	hub    *exec.Cmd // holds the network namespace with the pod bridge
	socket string    // the server's socket, for the harness's SQL client

	// onInitFailure, when set, runs after an init container failed and
	// before the kubelet retries it: a test's look at that moment.
	onInitFailure func(p *pod, name string, code int)
	images        map[string]*imageProfile

	mu        sync.Mutex
	replicas  int
	pods      map[int]*pod
	instances int
	history   []event
	procs     map[*exec.Cmd]struct{} // every process started, for cleanup
	closed    bool
	held      map[int]bool // ordinals the controller must not create yet

	stop    chan struct{}
	stopped chan struct{}
}

// event is one thing that happened, kept for checks and failure reports.
type event struct {
	At        time.Duration
	Pod       string
	Inst      int
	Container string
	Kind      string // created, ready, unready, started, exited, deleted, gone, probe
	Detail    string
	Code      int
}

const (
	maxOrdinals = 16
	podNet      = "10.88.0."
	svcNet      = "10.96.0."
	hostsHeader = "# Kubernetes-managed hosts file (mysqlgen e2e simulator).\n127.0.0.1\tlocalhost\n::1\tlocalhost ip6-localhost ip6-loopback\nfe00::0\tip6-localnet\nfe00::0\tip6-mcastprefix\nfe00::1\tip6-allnodes\nfe00::2\tip6-allrouters\n"
)

type clusterConfig struct {
	Manifest *manifest
	Secrets  []*corev1.Secret
	Logf     func(format string, args ...any)
	// Claims maps claim names to the host directories of volumes that
	// outlive this cluster (the backup claim, shared with a restore).
	Claims map[string]string
}

func newRunID() string {
	b := make([]byte, 4)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}

// newCluster prepares the simulation (run directory, images, network hub)
// without starting any pod; start starts the controller.
func newCluster(cfg clusterConfig) (*cluster, error) {
	if len(cfg.Manifest.StatefulSets) != 1 {
		return nil, fmt.Errorf("want one StatefulSet, got %d", len(cfg.Manifest.StatefulSets))
	}
	sts := cfg.Manifest.StatefulSets[0]
	c := &cluster{
		id:      newRunID(),
		m:       cfg.Manifest,
		sts:     sts,
		secrets: map[string]*corev1.Secret{},
		logf:    cfg.Logf,
		start:   time.Now(),
		pods:    map[int]*pod{},
		procs:   map[*exec.Cmd]struct{}{},
		images:  map[string]*imageProfile{},
		claims:  cfg.Claims,
		stop:    make(chan struct{}),
		stopped: make(chan struct{}),
	}
	c.ns = sts.Namespace
	if c.ns == "" {
		c.ns = "e2e-" + c.id
	}
	if sts.Spec.Replicas != nil {
		c.replicas = int(*sts.Spec.Replicas)
	} else {
		c.replicas = 1
	}
	svc, ok := cfg.Manifest.Services[sts.Spec.ServiceName]
	if !ok {
		return nil, fmt.Errorf("StatefulSet %s: serviceName %q names no rendered Service", sts.Name, sts.Spec.ServiceName)
	}
	c.svc = svc
	for n, s := range cfg.Manifest.Secrets {
		c.secrets[n] = s
	}
	for _, s := range cfg.Secrets {
		c.secrets[s.Name] = s
	}
	var err error
	if c.self, err = os.Executable(); err != nil {
		return nil, err
	}
	if c.ids, err = ensureMysqlAccount(); err != nil {
		return nil, err
	}
	removeStaleRuns()
	if c.dir, err = os.MkdirTemp("", "mysqlgen-e2e-"+c.id+"-"); err != nil {
		return nil, err
	}
	if err := os.WriteFile(filepath.Join(c.dir, ownerFile), []byte(strconv.Itoa(os.Getpid())), 0o644); err != nil {
		return nil, err
	}
	register(c)
	// The run directory holds PVCs owned by the mysql account.
	if err := os.Chmod(c.dir, 0o755); err != nil {
		return nil, err
	}
	for _, d := range []string{"pvc", "pods", "logs", "images"} {
		if err := os.Mkdir(filepath.Join(c.dir, d), 0o755); err != nil {
			return nil, err
		}
	}
	specs := []*corev1.PodSpec{&sts.Spec.Template.Spec}
	for _, cj := range cfg.Manifest.CronJobs {
		specs = append(specs, &cj.Spec.JobTemplate.Spec.Template.Spec)
	}
	var ctrs []corev1.Container
	for _, spec := range specs {
		ctrs = append(append(ctrs, spec.InitContainers...), spec.Containers...)
	}
	for _, ct := range ctrs {
		if _, ok := c.images[ct.Image]; ok {
			continue
		}
		dir := filepath.Join(c.dir, "images", strconv.Itoa(len(c.images)))
		p, err := newImageProfile(ct.Image, dir, c.ids)
		if err != nil {
			return nil, fmt.Errorf("container %s: %w", ct.Name, err)
		}
		c.images[ct.Image] = p
	}
	if err := c.startHub(); err != nil {
		c.close()
		return nil, err
	}
	return c, nil
}

// ownerFile in a run directory holds the pid of the test binary that owns it.
const ownerFile = "owner.pid"

var (
	liveMu   sync.Mutex
	live     = map[*cluster]struct{}{}
	stopping bool
)

func register(c *cluster) {
	liveMu.Lock()
	live[c] = struct{}{}
	liveMu.Unlock()
}

func unregister(c *cluster) {
	liveMu.Lock()
	delete(live, c)
	liveMu.Unlock()
}

// closeAll tears down every live cluster: on SIGINT/SIGTERM and before
// go test's own timeout, which would exit without running deferred calls.
func closeAll(why string) {
	liveMu.Lock()
	if stopping {
		liveMu.Unlock()
		return
	}
	stopping = true
	cs := make([]*cluster, 0, len(live))
	for c := range live {
		cs = append(cs, c)
	}
	liveMu.Unlock()
	if len(cs) > 0 {
		fmt.Fprintf(os.Stderr, "e2e: %s: tearing down %d simulated cluster(s)\n", why, len(cs))
	}
	for _, c := range cs {
		if err := c.close(); err != nil {
			fmt.Fprintf(os.Stderr, "e2e: %v\n", err)
		}
	}
}

// removeStaleRuns deletes run directories whose owning test binary is gone
// (killed with SIGKILL, say); their processes died with it (Pdeathsig) and
// their mounts lived only in private namespaces.
func removeStaleRuns() {
	dirs, _ := filepath.Glob(filepath.Join(os.TempDir(), "mysqlgen-e2e-*"))
	for _, d := range dirs {
		b, err := os.ReadFile(filepath.Join(d, ownerFile))
		if err != nil {
			continue
		}
		pid, err := strconv.Atoi(strings.TrimSpace(string(b)))
		if err != nil || pid <= 0 || syscall.Kill(pid, 0) == nil {
			continue
		}
		_ = os.RemoveAll(d)
	}
}

// ensureMysqlAccount finds the host's mysql account, creating it (with
// uid/gid 999 when free, like the images) if missing. The images' uid and
// gid 999 map to it.
func ensureMysqlAccount() (idMap, error) {
	if _, err := user.LookupGroup("mysql"); err != nil {
		args := []string{"--system", "mysql"}
		if _, err := user.LookupGroupId("999"); err != nil {
			args = append([]string{"--gid", "999"}, args...)
		}
		if out, err := exec.Command(hostTools["groupadd"], args...).CombinedOutput(); err != nil {
			if _, lerr := user.LookupGroup("mysql"); lerr != nil { // not made by a concurrent run
				return idMap{}, fmt.Errorf("groupadd mysql: %v: %s", err, out)
			}
		}
	}
	if _, err := user.Lookup("mysql"); err != nil {
		args := []string{"--system", "--gid", "mysql", "--home-dir", "/nonexistent", "--no-create-home", "--shell", "/usr/sbin/nologin", "mysql"}
		if _, err := user.LookupId("999"); err != nil {
			args = append([]string{"--uid", "999"}, args...)
		}
		if out, err := exec.Command(hostTools["useradd"], args...).CombinedOutput(); err != nil {
			if _, lerr := user.Lookup("mysql"); lerr != nil { // not made by a concurrent run
				return idMap{}, fmt.Errorf("useradd mysql: %v: %s", err, out)
			}
		}
	}
	u, err := user.Lookup("mysql")
	if err != nil {
		return idMap{}, err
	}
	g, err := user.LookupGroup("mysql")
	if err != nil {
		return idMap{}, err
	}
	uid, _ := strconv.Atoi(u.Uid)
	gid, _ := strconv.Atoi(g.Gid)
	return idMap{UID: uid, GID: gid}, nil
}

func (c *cluster) elapsed() time.Duration { return time.Since(c.start).Round(10 * time.Millisecond) }

func (c *cluster) record(e event) {
	e.At = c.elapsed()
	c.mu.Lock()
	c.history = append(c.history, e)
	c.mu.Unlock()
	msg := fmt.Sprintf("%s/%d %s", e.Pod, e.Inst, e.Kind)
	if e.Container != "" {
		msg = fmt.Sprintf("%s/%d %s %s", e.Pod, e.Inst, e.Container, e.Kind)
	}
	if e.Detail != "" {
		msg += ": " + e.Detail
	}
	if c.logf != nil {
		c.logf("[%7.2fs] %s", e.At.Seconds(), msg)
	}
}

// events returns a copy of the history.
func (c *cluster) events() []event {
	c.mu.Lock()
	defer c.mu.Unlock()
	return append([]event(nil), c.history...)
}

// track remembers a started process so that close can kill it.
func (c *cluster) track(cmd *exec.Cmd) {
	c.mu.Lock()
	c.procs[cmd] = struct{}{}
	c.mu.Unlock()
}

func (c *cluster) untrack(cmd *exec.Cmd) {
	c.mu.Lock()
	delete(c.procs, cmd)
	c.mu.Unlock()
}

// startPause starts a helper that holds new namespaces and sets the hostname.
func (c *cluster) startPause(hostname string, flags uintptr) (*exec.Cmd, error) {
	cmd := exec.Command(c.self)
	cmd.Env = []string{helperModeEnv + "=pause", helperSpecEnv + "=" + hostname}
	cmd.SysProcAttr = &syscall.SysProcAttr{Cloneflags: flags, Pdeathsig: syscall.SIGKILL, Setpgid: true}
	out, err := cmd.StdoutPipe()
	if err != nil {
		return nil, err
	}
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("starting sandbox %s: %w", hostname, err)
	}
	c.track(cmd)
	line, err := bufio.NewReader(out).ReadString('\n')
	if err != nil || strings.TrimSpace(line) != "ready" {
		_ = cmd.Process.Kill()
		_ = cmd.Wait()
		c.untrack(cmd)
		return nil, fmt.Errorf("sandbox %s did not start: %v %s", hostname, err, stderr.String())
	}
	go func() { _, _ = io.Copy(io.Discard, out) }()
	return cmd, nil
}

// startHub creates the network namespace holding the pods' bridge. It
// exists only inside this run: nothing is added to the host's network.
func (c *cluster) startHub() error {
	hub, err := c.startPause("hub-"+c.id, syscall.CLONE_NEWNET|syscall.CLONE_NEWUTS)
	if err != nil {
		return err
	}
	c.hub = hub
	return c.ipBatch(hub.Process.Pid, "link add br0 type bridge\nlink set br0 up\nlink set lo up\n")
}

// ipBatch runs ip commands inside the network namespace of pid.
func (c *cluster) ipBatch(pid int, cmds string) error {
	cmd := exec.Command(hostTools["nsenter"], "--net=/proc/"+strconv.Itoa(pid)+"/ns/net", "--", hostTools["ip"], "-batch", "-")
	cmd.Stdin = strings.NewReader(cmds)
	if out, err := cmd.CombinedOutput(); err != nil {
		return fmt.Errorf("ip in netns of %d: %v: %s\n%s", pid, err, out, cmds)
	}
	return nil
}

// setInitFailureHook installs (or, with nil, removes) onInitFailure.
func (c *cluster) setInitFailureHook(f func(p *pod, name string, code int)) {
	c.mu.Lock()
	c.onInitFailure = f
	c.mu.Unlock()
}

func (c *cluster) initFailureHook() func(p *pod, name string, code int) {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.onInitFailure
}

// podIP is fixed per ordinal, like a stable MAC, so that a recreated pod
// does not leave peers with a stale neighbour entry.
func podIP(ord int) string { return podNet + strconv.Itoa(10+ord) }

// attach wires a pod sandbox to the bridge.
func (c *cluster) attach(p *pod) error {
	veth := "v" + strconv.Itoa(p.inst)
	sb := strconv.Itoa(p.sandboxPid)
	if err := c.ipBatch(c.hub.Process.Pid, fmt.Sprintf("link add %s type veth peer name eth0 netns %s\nlink set %s master br0 up\n", veth, sb, veth)); err != nil {
		return err
	}
	// Dual stack, as a cluster with IPv6 gives: the backup port must answer
	// on both families. nodad: the address is usable at once.
	return c.ipBatch(p.sandboxPid, fmt.Sprintf("link set lo up\nlink set eth0 address 02:88:00:00:00:%02x\naddr add %s/24 dev eth0\n"+
		"addr add %s/64 dev eth0 nodad\nlink set eth0 up\n", 10+p.ord, p.ip, podIPv6(p.ord)))
}

// podIPv6 is the pod's IPv6 address, fixed per ordinal like podIP.
func podIPv6(ord int) string { return "fd88::" + strconv.Itoa(10+ord) }

// podName is the StatefulSet's name for ordinal ord.
func (c *cluster) podName(ord int) string { return c.sts.Name + "-" + strconv.Itoa(ord) }

// dnsNames are the names the cluster DNS gives a StatefulSet pod through
// the headless Service, most qualified first; the hosts file lists them all
// because the files backend does not apply search domains.
func (c *cluster) dnsNames(ord int) []string {
	n := c.podName(ord) + "." + c.svc.Name
	return []string{n + "." + c.ns + ".svc.cluster.local", n + "." + c.ns + ".svc", n + "." + c.ns, n,
		c.svc.Name + "." + c.ns + ".svc.cluster.local", c.svc.Name + "." + c.ns + ".svc", c.svc.Name + "." + c.ns, c.svc.Name}
}

// hostsFile is a pod's /etc/hosts: the kubelet's own line for the pod, then
// one fixed slot per ordinal standing in for the cluster DNS. A slot is
// published (first byte '1' of 10.x) or not ('#') by rewriting one byte in
// place, so a reader never sees a half-written file.
func (c *cluster) hostsFile(self *pod) []byte {
	var b bytes.Buffer
	b.WriteString(hostsHeader)
	b.WriteString(c.selfLine(self))
	b.WriteString("# cluster DNS (headless Service " + c.svc.Name + "), one slot per ordinal:\n")
	for ord := 0; ord < maxOrdinals; ord++ {
		line := podIP(ord) + "\t" + strings.Join(c.dnsNames(ord), " ") + "\n"
		if !c.published(ord) {
			line = "#" + line[1:]
		}
		b.WriteString(line)
	}
	return b.Bytes()
}

// selfLine is the kubelet's line for the pod itself: with the Service's
// subdomain for a member, the bare name for a Job's pod (no hostname and
// subdomain set).
func (c *cluster) selfLine(self *pod) string {
	if self.job {
		return fmt.Sprintf("%s\t%s\n", self.ip, self.name)
	}
	return fmt.Sprintf("%s\t%s.%s.%s.svc.cluster.local\t%s\n", self.ip, self.name, c.svc.Name, c.ns, self.name)
}

// hostsSlotOffset is the byte offset of ordinal ord's slot in hostsFile.
func (c *cluster) hostsSlotOffset(self *pod, ord int) int64 {
	off := len(hostsHeader) + len(c.selfLine(self)) +
		len("# cluster DNS (headless Service "+c.svc.Name+"), one slot per ordinal:\n")
	for o := 0; o < ord; o++ {
		off += len(podIP(o) + "\t" + strings.Join(c.dnsNames(o), " ") + "\n")
	}
	return int64(off)
}

// published tells whether the DNS would answer for ordinal ord: the pod
// exists and is Ready, or the Service publishes not-ready addresses.
// Callers hold no lock on the pod.
func (c *cluster) published(ord int) bool {
	c.mu.Lock()
	p := c.pods[ord]
	c.mu.Unlock()
	if p == nil {
		return false
	}
	if c.svc.Spec.PublishNotReadyAddresses {
		return p.sandboxUp()
	}
	return p.isReady()
}

// refreshDNS rewrites every live pod's slot bytes to match readiness.
func (c *cluster) refreshDNS() {
	c.mu.Lock()
	pods := make([]*pod, 0, len(c.pods))
	for _, p := range c.pods {
		pods = append(pods, p)
	}
	c.mu.Unlock()
	state := make([]byte, maxOrdinals)
	for ord := range state {
		state[ord] = '#'
		if c.published(ord) {
			state[ord] = '1'
		}
	}
	for _, p := range pods {
		p.setDNS(state)
	}
}

// watchReady records every change of a pod's Ready condition.
func (c *cluster) watchReady() {
	c.mu.Lock()
	pods := make([]*pod, 0, len(c.pods))
	for _, p := range c.pods {
		pods = append(pods, p)
	}
	c.mu.Unlock()
	for _, p := range pods {
		r := p.isReady()
		p.mu.Lock()
		was := !p.readySince.IsZero()
		if r && !was {
			p.readySince = time.Now()
		} else if !r && was {
			p.readySince = time.Time{}
		}
		p.mu.Unlock()
		if r != was {
			kind := "pod-ready"
			if !r {
				kind = "pod-unready"
			}
			p.record(event{Kind: kind})
		}
	}
}

// startController runs the StatefulSet controller until close.
func (c *cluster) startController() {
	go func() {
		defer close(c.stopped)
		t := time.NewTicker(100 * time.Millisecond)
		defer t.Stop()
		for {
			select {
			case <-c.stop:
				return
			case <-t.C:
			}
			c.watchReady()
			c.reconcile()
			c.refreshDNS()
		}
	}()
}

// reconcile is one pass of the StatefulSet controller with podManagementPolicy
// OrderedReady: create the lowest missing ordinal once every lower pod is
// Running and Ready; remove surplus pods highest first, one at a time, only
// while every kept pod is Running and Ready.
func (c *cluster) reconcile() {
	for _, p := range c.reconcileLocked() {
		p.delete()
	}
}

// reconcileLocked decides under the lock and returns the pods to delete.
func (c *cluster) reconcileLocked() []*pod {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.closed {
		return nil
	}
	parallel := c.sts.Spec.PodManagementPolicy == appsv1.ParallelPodManagement
	for ord := 0; ord < c.replicas; ord++ {
		p := c.pods[ord]
		if p == nil && c.held[ord] {
			return nil
		}
		if p == nil {
			c.pods[ord] = c.newPod(ord)
			if !parallel {
				return nil
			}
			continue
		}
		if !parallel && (p.deleting() || !p.isReady()) {
			return nil
		}
	}
	var surplus []int
	for ord := range c.pods {
		if ord >= c.replicas {
			surplus = append(surplus, ord)
		}
	}
	sort.Sort(sort.Reverse(sort.IntSlice(surplus)))
	var del []*pod
	for _, ord := range surplus {
		p := c.pods[ord]
		if p.deleting() {
			return del // wait until it is gone
		}
		del = append(del, p)
		if !parallel {
			return del
		}
	}
	return del
}

// scale sets spec.replicas.
func (c *cluster) scale(n int) {
	c.mu.Lock()
	c.replicas = n
	c.mu.Unlock()
	c.record(event{Pod: c.sts.Name, Kind: "scaled", Detail: "replicas=" + strconv.Itoa(n)})
}

// pod returns the live pod object of ordinal ord, or nil.
func (c *cluster) pod(ord int) *pod {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.pods[ord]
}

// deletePod deletes pod ord (kubectl delete pod) and waits until it is gone.
func (c *cluster) deletePod(ord int, timeout time.Duration) error {
	p := c.pod(ord)
	if p == nil {
		return fmt.Errorf("%s does not exist", c.podName(ord))
	}
	p.delete()
	select {
	case <-p.done:
		return nil
	case <-time.After(timeout):
		return fmt.Errorf("%s still terminating after %s", p.name, timeout)
	}
}

// apply replaces the objects as kubectl apply of a new render would: the
// Services at once, the pods as the rollout recreates them (rollingUpdate).
func (c *cluster) apply(m *manifest) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.m = m
	c.sts = m.StatefulSets[0]
}

// rollingUpdate recreates the pods in the given order, each from the
// current template, waiting until it is Ready before the next, as the
// StatefulSet controller's RollingUpdate does (it goes highest first).
func (c *cluster) rollingUpdate(order []int, timeout time.Duration) error {
	for _, ord := range order {
		old := c.pod(ord)
		if err := c.deletePod(ord, timeout); err != nil {
			return err
		}
		ok := waitFor(timeout, func() bool {
			p := c.pod(ord)
			return p != nil && p != old && p.isReady()
		})
		if !ok {
			return fmt.Errorf("rolling update: %s not Ready again after %s: %s", c.podName(ord), timeout, c.status())
		}
	}
	return nil
}

// endpoint is the ordinal a Service would send a new connection to: a Ready
// pod its selector matches (the lowest, when several), or -1 when none.
func (c *cluster) endpoint(service string) int {
	c.mu.Lock()
	svc := c.m.Services[service]
	pods := make([]*pod, 0, len(c.pods))
	for _, p := range c.pods {
		pods = append(pods, p)
	}
	c.mu.Unlock()
	best := -1
	if svc == nil {
		return best
	}
	for _, p := range pods {
		match := len(svc.Spec.Selector) > 0
		for k, v := range svc.Spec.Selector {
			if p.labels[k] != v {
				match = false
			}
		}
		if match && p.isReady() && (best < 0 || p.ord < best) {
			best = p.ord
		}
	}
	return best
}

// hold keeps the controller from creating pod ord (its node is gone) until
// release; the pod's claim stays.
func (c *cluster) hold(ord int) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.held == nil {
		c.held = map[int]bool{}
	}
	c.held[ord] = true
}

func (c *cluster) release(ord int) {
	c.mu.Lock()
	defer c.mu.Unlock()
	delete(c.held, ord)
}

// losePod deletes pod ord and its data claim before the controller can
// recreate it, as when a node dies with its local disk and the pod is
// rescheduled elsewhere with a new, empty claim.
func (c *cluster) losePod(ord int, timeout time.Duration) error {
	c.mu.Lock()
	if c.held == nil {
		c.held = map[int]bool{}
	}
	c.held[ord] = true
	c.mu.Unlock()
	defer func() {
		c.mu.Lock()
		delete(c.held, ord)
		c.mu.Unlock()
	}()
	if err := c.deletePod(ord, timeout); err != nil {
		return err
	}
	return c.deletePVC("data", ord)
}

// deletePVC removes the claim of template tmpl for ordinal ord. Like the
// pvc-protection finalizer, it refuses while the pod exists.
func (c *cluster) deletePVC(tmpl string, ord int) error {
	if c.pod(ord) != nil {
		return fmt.Errorf("PVC %s-%s is in use by a pod", tmpl, c.podName(ord))
	}
	dir := c.pvcDir(tmpl + "-" + c.podName(ord))
	c.record(event{Pod: c.podName(ord), Kind: "pvc-deleted", Detail: tmpl})
	return os.RemoveAll(dir)
}

// pvcDir is a claim's volume; a claim shared with another simulated
// cluster (a backup claim a restore reads) lives where that one keeps it.
func (c *cluster) pvcDir(claim string) string {
	if d, ok := c.claims[claim]; ok {
		return d
	}
	return filepath.Join(c.dir, "pvc", claim)
}

// waitFor polls cond until it holds or the timeout passes.
func waitFor(timeout time.Duration, cond func() bool) bool {
	deadline := time.Now().Add(timeout)
	for {
		if cond() {
			return true
		}
		if time.Now().After(deadline) {
			return false
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// waitReady waits until exactly ordinals 0..n-1 exist and are Ready.
func (c *cluster) waitReady(n int, timeout time.Duration) error {
	ok := waitFor(timeout, func() bool {
		c.mu.Lock()
		defer c.mu.Unlock()
		if len(c.pods) != n {
			return false
		}
		for ord := 0; ord < n; ord++ {
			p := c.pods[ord]
			if p == nil || p.deleting() || !p.isReady() {
				return false
			}
		}
		return true
	})
	if !ok {
		return fmt.Errorf("pods 0..%d not all Ready after %s: %s", n-1, timeout, c.status())
	}
	return nil
}

// status is a one-line summary of every pod, like kubectl get pods.
func (c *cluster) status() string {
	c.mu.Lock()
	ords := make([]int, 0, len(c.pods))
	for o := range c.pods {
		ords = append(ords, o)
	}
	pods := c.pods
	c.mu.Unlock()
	sort.Ints(ords)
	var parts []string
	for _, o := range ords {
		parts = append(parts, pods[o].summary())
	}
	return strings.Join(parts, "; ")
}

// close deletes every pod (grace period capped at a few seconds), stops
// the hub and removes the run directory. It is safe to call twice.
func (c *cluster) close() error {
	c.mu.Lock()
	if c.closed {
		c.mu.Unlock()
		return nil
	}
	c.closed = true
	pods := make([]*pod, 0, len(c.pods))
	for _, p := range c.pods {
		pods = append(pods, p)
	}
	c.mu.Unlock()
	select {
	case <-c.stop:
	default:
		close(c.stop)
	}
	var wg sync.WaitGroup
	for _, p := range pods {
		wg.Add(1)
		go func(p *pod) {
			defer wg.Done()
			p.deleteWithGrace(5 * time.Second)
			select {
			case <-p.done:
			case <-time.After(30 * time.Second):
			}
		}(p)
	}
	wg.Wait()
	c.mu.Lock()
	procs := make([]*exec.Cmd, 0, len(c.procs))
	for cmd := range c.procs {
		procs = append(procs, cmd)
	}
	c.mu.Unlock()
	for _, cmd := range procs {
		if cmd.Process != nil {
			_ = syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL)
			_ = cmd.Process.Kill()
		}
	}
	if c.hub != nil {
		_ = c.hub.Wait()
	}
	var errs []error
	if left := c.leftovers(); left != "" {
		errs = append(errs, errors.New(left))
	}
	unregister(c)
	if c.dir != "" && os.Getenv("MYSQLGEN_E2E_KEEP") == "" {
		if err := os.RemoveAll(c.dir); err != nil {
			errs = append(errs, err)
		}
	}
	return errors.Join(errs...)
}

// leftovers reports processes still running in this run's namespaces and
// mounts of the run directory visible on the host.
func (c *cluster) leftovers() string {
	var out []string
	ok := waitFor(5*time.Second, func() bool {
		out = out[:0]
		c.mu.Lock()
		for cmd := range c.procs {
			if cmd.Process != nil && syscall.Kill(cmd.Process.Pid, 0) == nil {
				out = append(out, fmt.Sprintf("process %d (%s)", cmd.Process.Pid, strings.Join(cmd.Args, " ")))
			}
		}
		c.mu.Unlock()
		return len(out) == 0
	})
	if mi, err := os.ReadFile("/proc/self/mountinfo"); err == nil && c.dir != "" && bytes.Contains(mi, []byte(c.dir)) {
		out = append(out, "mounts under "+c.dir+" visible on the host")
		ok = false
	}
	if ok {
		return ""
	}
	return "left behind: " + strings.Join(out, ", ")
}
