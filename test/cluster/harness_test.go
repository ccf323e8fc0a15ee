//go:build cluster

// Package cluster runs mysqlgen's output against a real Kubernetes control plane: etcd v3.6.16 and
// kube-apiserver, kube-controller-manager and kube-scheduler built from k8s.io/kubernetes v1.34.4,
// with kwok v0.8.0 simulating three nodes (pods never run containers; everything else is the
// real control plane). Every component listens on 127.0.0.1 only, on free ports, and is stopped by
// its process group at the end of each test, also on failure.
//
//	hack/cluster-tools.sh        # builds bin/ (once)
//	go test -tags cluster ./test/cluster/ -v -count=1 -timeout 40m
//
// MYSQLGEN_CLUSTER_BIN overrides the binary directory (default: bin/ at the repo root);
// MYSQLGEN_CLUSTER_KEEP=1 keeps each cluster's directory (logs, kubeconfig) after the test.
package cluster

import (
	"bufio"
	"bytes"
	"context"
	"crypto/rand"
	"crypto/rsa"
	"crypto/tls"
	"crypto/x509"
	"encoding/hex"
	"encoding/json"
	"encoding/pem"
	"errors"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
)

// binDir is where hack/cluster-tools.sh put the binaries.
func binDir(t testing.TB) string {
	if d := os.Getenv("MYSQLGEN_CLUSTER_BIN"); d != "" {
		abs, err := filepath.Abs(d)
		if err != nil {
			t.Fatal(err)
		}
		return abs
	}
	return filepath.Join(repoRoot(t), "bin")
}

// repoRoot is two levels up from this package (test/cluster).
func repoRoot(t testing.TB) string {
	abs, err := filepath.Abs(filepath.Join("..", ".."))
	if err != nil {
		t.Fatal(err)
	}
	return abs
}

func requireFiles(t testing.TB, dir string, names ...string) {
	t.Helper()
	var missing []string
	for _, n := range names {
		if _, err := os.Stat(filepath.Join(dir, n)); err != nil {
			missing = append(missing, n)
		}
	}
	if len(missing) > 0 {
		t.Fatalf("missing in %s: %s; build them with hack/cluster-tools.sh (make cluster-tools)", dir, strings.Join(missing, ", "))
	}
}

// process is one running component.
type process struct {
	name    string
	cmd     *exec.Cmd
	logPath string
	logFile *os.File
	done    chan struct{}
	waitErr error
}

func (p *process) exited() bool {
	select {
	case <-p.done:
		return true
	default:
		return false
	}
}

// peakRSS reads VmHWM (peak resident set) of the process from /proc, "" when unavailable.
func (p *process) peakRSS() string {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", p.cmd.Process.Pid))
	if err != nil {
		return ""
	}
	for _, line := range strings.Split(string(b), "\n") {
		if strings.HasPrefix(line, "VmHWM:") {
			f := strings.Fields(line)
			if len(f) >= 2 {
				kb, _ := strconv.Atoi(f[1])
				return fmt.Sprintf("%d MiB", kb/1024)
			}
		}
	}
	return ""
}

// stop signals the process group with SIGTERM, then SIGKILL after a grace period.
func (p *process) stop(t testing.TB) {
	pid := p.cmd.Process.Pid
	rss := p.peakRSS()
	if !p.exited() {
		_ = syscall.Kill(-pid, syscall.SIGTERM)
		select {
		case <-p.done:
		case <-time.After(10 * time.Second):
			t.Logf("cluster: %s (pid %d) ignored SIGTERM for 10s, sending SIGKILL", p.name, pid)
			_ = syscall.Kill(-pid, syscall.SIGKILL)
			<-p.done
		}
	}
	// Whatever the component left in its group goes too.
	_ = syscall.Kill(-pid, syscall.SIGKILL)
	_ = p.logFile.Close()
	t.Logf("cluster: stopped %s (pid %d, peak RSS %s)", p.name, pid, rss)
}

func (p *process) tail(n int) string {
	b, err := os.ReadFile(p.logPath)
	if err != nil {
		return err.Error()
	}
	var lines []string
	for _, l := range strings.Split(strings.TrimRight(string(b), "\n"), "\n") {
		if !knownNoise(l) {
			lines = append(lines, l)
		}
	}
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return strings.Join(lines, "\n")
}

// knownNoise are log lines every healthy run of these components prints.
func knownNoise(l string) bool {
	for _, s := range []string{
		`configmap \"extension-apiserver-authentication\" not found`, // no front-proxy CA: not needed
		`"msg":"Syncing lease"`, // kwok heartbeats
		`"Missing timestamp for Node`,
		`Running http and grpc server on single port`,
		`it isn't recommended to use default name`,
		`simple token is not cryptographically signed`,
	} {
		if strings.Contains(l, s) {
			return true
		}
	}
	return false
}

// Options says what to start.
type Options struct {
	// ControlPlaneOnly starts etcd and kube-apiserver only (enough for dry-runs).
	ControlPlaneOnly bool
	// Nodes is the number of kwok nodes (default 3).
	Nodes int
}

// Cluster is a running control plane.
type Cluster struct {
	Dir        string
	Bin        string
	Kubeconfig string
	Server     string
	token      string
	procs      []*process
	nodes      int
	home       string
	http       *http.Client
}

// StartCluster starts etcd, kube-apiserver and (unless ControlPlaneOnly) kube-controller-manager,
// kube-scheduler and kwok with opts.Nodes fake nodes. Everything is stopped in t.Cleanup.
func StartCluster(t *testing.T, opts Options) *Cluster {
	t.Helper()
	if opts.Nodes == 0 {
		opts.Nodes = 3
	}
	bin := binDir(t)
	requireFiles(t, bin, "etcd", "kube-apiserver", "kubectl", "crds")
	if !opts.ControlPlaneOnly {
		requireFiles(t, bin, "kube-controller-manager", "kube-scheduler", "kwok", "kwok-stage-fast.yaml")
	}

	var dir string
	if os.Getenv("MYSQLGEN_CLUSTER_KEEP") == "1" {
		d, err := os.MkdirTemp("", "mysqlgen-cluster-")
		if err != nil {
			t.Fatal(err)
		}
		dir = d
		t.Logf("cluster: keeping %s", dir)
	} else {
		dir = t.TempDir()
	}
	c := &Cluster{
		Dir:   dir,
		Bin:   bin,
		token: randomHex(t, 24),
		home:  filepath.Join(dir, "home"),
		http: &http.Client{
			Timeout: 5 * time.Second,
			// The components serve self-signed certificates on loopback; the probes only
			// ask for /readyz and /healthz.
			Transport: &http.Transport{TLSClientConfig: &tls.Config{InsecureSkipVerify: true}},
		},
	}
	must(t, os.MkdirAll(c.home, 0o755))
	// Registered before any process starts: stops them all (reverse order), whatever happens.
	t.Cleanup(func() { c.stopAll(t) })

	t0 := time.Now()
	etcdClient, etcdPeer := freePort(t), freePort(t)
	c.start(t, "etcd", filepath.Join(bin, "etcd"),
		"--name=default",
		"--data-dir="+filepath.Join(dir, "etcd"),
		"--listen-client-urls=http://127.0.0.1:"+etcdClient,
		"--advertise-client-urls=http://127.0.0.1:"+etcdClient,
		"--listen-peer-urls=http://127.0.0.1:"+etcdPeer,
		"--initial-advertise-peer-urls=http://127.0.0.1:"+etcdPeer,
		"--initial-cluster=default=http://127.0.0.1:"+etcdPeer,
		"--unsafe-no-fsync",
		"--log-level=warn",
	)
	c.waitHTTP(t, "etcd", "http://127.0.0.1:"+etcdClient+"/health", "", 30*time.Second)
	t.Logf("cluster: etcd ready on 127.0.0.1:%s after %s", etcdClient, since(t0))

	// Service-account signing key (Go crypto; no openssl needed).
	key, err := rsa.GenerateKey(rand.Reader, 2048)
	must(t, err)
	saKey := filepath.Join(dir, "sa.key")
	saPub := filepath.Join(dir, "sa.pub")
	must(t, os.WriteFile(saKey, pem.EncodeToMemory(&pem.Block{Type: "RSA PRIVATE KEY", Bytes: x509.MarshalPKCS1PrivateKey(key)}), 0o600))
	pub, err := x509.MarshalPKIXPublicKey(&key.PublicKey)
	must(t, err)
	must(t, os.WriteFile(saPub, pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: pub}), 0o644))
	tokens := filepath.Join(dir, "tokens.csv")
	must(t, os.WriteFile(tokens, []byte(c.token+`,admin,admin,"system:masters"`+"\n"), 0o600))

	t1 := time.Now()
	apiPort := freePort(t)
	certDir := filepath.Join(dir, "apiserver-certs")
	c.Server = "https://127.0.0.1:" + apiPort
	c.start(t, "kube-apiserver", filepath.Join(bin, "kube-apiserver"),
		"--etcd-servers=http://127.0.0.1:"+etcdClient,
		"--bind-address=127.0.0.1",
		"--advertise-address=127.0.0.1",
		"--secure-port="+apiPort,
		"--cert-dir="+certDir,
		"--token-auth-file="+tokens,
		"--authorization-mode=RBAC",
		"--service-account-issuer=https://kubernetes.default.svc.cluster.local",
		"--service-account-key-file="+saPub,
		"--service-account-signing-key-file="+saKey,
		"--service-cluster-ip-range=10.96.0.0/16",
		// The "kubernetes" Endpoints would be 127.0.0.1, which the apiserver itself rejects.
		"--endpoint-reconciler-type=none",
		"--profiling=false",
		"--v=1",
	)
	c.waitHTTP(t, "kube-apiserver", c.Server+"/readyz", c.token, 60*time.Second)
	t.Logf("cluster: kube-apiserver ready on %s after %s", c.Server, since(t1))

	c.Kubeconfig = filepath.Join(dir, "kubeconfig")
	must(t, os.WriteFile(c.Kubeconfig, []byte(fmt.Sprintf(`apiVersion: v1
kind: Config
clusters:
- name: e2e
  cluster:
    server: %s
    certificate-authority: %s
users:
- name: admin
  user:
    token: %s
contexts:
- name: e2e
  context: {cluster: e2e, user: admin}
current-context: e2e
`, c.Server, filepath.Join(certDir, "apiserver.crt"), c.token)), 0o600))

	c.installCRDs(t)
	if opts.ControlPlaneOnly {
		t.Logf("cluster: control plane up in %s", since(t0))
		return c
	}

	t2 := time.Now()
	kcmPort := freePort(t)
	c.start(t, "kube-controller-manager", filepath.Join(bin, "kube-controller-manager"),
		"--kubeconfig="+c.Kubeconfig,
		"--authentication-kubeconfig="+c.Kubeconfig,
		"--authorization-kubeconfig="+c.Kubeconfig,
		"--bind-address=127.0.0.1",
		"--secure-port="+kcmPort,
		"--cert-dir="+filepath.Join(dir, "kcm-certs"),
		"--leader-elect=false",
		"--service-account-private-key-file="+saKey,
		"--root-ca-file="+filepath.Join(certDir, "apiserver.crt"),
		"--service-cluster-ip-range=10.96.0.0/16",
		"--profiling=false",
		"--v=1",
	)
	schedPort := freePort(t)
	c.start(t, "kube-scheduler", filepath.Join(bin, "kube-scheduler"),
		"--kubeconfig="+c.Kubeconfig,
		"--authentication-kubeconfig="+c.Kubeconfig,
		"--authorization-kubeconfig="+c.Kubeconfig,
		"--bind-address=127.0.0.1",
		"--secure-port="+schedPort,
		"--cert-dir="+filepath.Join(dir, "scheduler-certs"),
		"--leader-elect=false",
		"--profiling=false",
		"--v=1",
	)
	kwokPort := freePort(t)
	c.start(t, "kwok", filepath.Join(bin, "kwok"),
		"--kubeconfig="+c.Kubeconfig,
		"--config="+filepath.Join(bin, "kwok-stage-fast.yaml"),
		"--manage-all-nodes=false",
		"--manage-nodes-with-annotation-selector=kwok.x-k8s.io/node=fake",
		"--node-lease-duration-seconds=40",
		"--server-address=127.0.0.1:"+kwokPort,
		"--cidr=10.0.0.1/16",
		"--node-ip=10.0.0.1",
		"--v=INFO",
	)
	c.waitHTTP(t, "kube-controller-manager", "https://127.0.0.1:"+kcmPort+"/healthz", "", 60*time.Second)
	c.waitHTTP(t, "kube-scheduler", "https://127.0.0.1:"+schedPort+"/healthz", "", 60*time.Second)
	t.Logf("cluster: kube-controller-manager (127.0.0.1:%s), kube-scheduler (127.0.0.1:%s), kwok (127.0.0.1:%s) up after %s",
		kcmPort, schedPort, kwokPort, since(t2))

	ctx := testContext(t)
	c.AddNodes(t, ctx, opts.Nodes)
	// Pods cannot be created in a namespace before the service-account controller made "default".
	c.WaitFor(t, ctx, "service account default/default", 60*time.Second, func() (bool, string) {
		_, err := c.Kubectl(ctx, nil, "get", "serviceaccount", "default", "-n", "default")
		return err == nil, fmt.Sprint(err)
	})
	t.Logf("cluster: ready with %d kwok nodes after %s", opts.Nodes, since(t0))
	return c
}

// AddNodes registers n more kwok nodes (kwok-node-N, zones a/b/c in turn) and waits until all
// nodes are Ready.
func (c *Cluster) AddNodes(t *testing.T, ctx context.Context, n int) {
	t.Helper()
	var nodes strings.Builder
	for i := c.nodes; i < c.nodes+n; i++ {
		fmt.Fprintf(&nodes, `---
apiVersion: v1
kind: Node
metadata:
  name: kwok-node-%[1]d
  annotations:
    kwok.x-k8s.io/node: fake
    node.alpha.kubernetes.io/ttl: "0"
  labels:
    type: kwok
    kubernetes.io/hostname: kwok-node-%[1]d
    kubernetes.io/os: linux
    kubernetes.io/arch: amd64
    topology.kubernetes.io/zone: zone-%[2]c
status:
  allocatable: {cpu: "32", memory: 256Gi, pods: "110", ephemeral-storage: 1Ti}
  capacity: {cpu: "32", memory: 256Gi, pods: "110", ephemeral-storage: 1Ti}
`, i, 'a'+rune(i%3))
	}
	c.MustKubectl(t, ctx, []byte(nodes.String()), "apply", "-f", "-")
	c.nodes += n
	want := c.nodes
	c.WaitFor(t, ctx, fmt.Sprintf("%d kwok nodes Ready", want), 60*time.Second, func() (bool, string) {
		var list List[struct {
			Status struct {
				Conditions []Condition `json:"conditions"`
			} `json:"status"`
		}]
		if err := c.GetJSON(ctx, &list, "get", "nodes", "-o", "json"); err != nil {
			return false, err.Error()
		}
		ready := 0
		for _, n := range list.Items {
			if conditionTrue(n.Status.Conditions, "Ready") {
				ready++
			}
		}
		return ready == want, fmt.Sprintf("%d/%d nodes Ready", ready, want)
	})
}

// installCRDs applies bin/crds/*.yaml (the third-party kinds mysqlgen renders, such as
// ServiceMonitor) and waits until they are served.
func (c *Cluster) installCRDs(t *testing.T) {
	t.Helper()
	files, _ := filepath.Glob(filepath.Join(c.Bin, "crds", "*.yaml"))
	if len(files) == 0 {
		t.Fatalf("no CRDs in %s; run hack/cluster-tools.sh", filepath.Join(c.Bin, "crds"))
	}
	ctx := testContext(t)
	t0 := time.Now()
	args := []string{"apply", "--server-side"}
	for _, f := range files {
		args = append(args, "-f", f)
	}
	c.MustKubectl(t, ctx, nil, args...)
	args = []string{"wait", "--for=condition=Established", "--timeout=60s"}
	for _, f := range files {
		args = append(args, "-f", f)
	}
	c.MustKubectl(t, ctx, nil, args...)
	var names []string
	for _, f := range files {
		names = append(names, strings.TrimSuffix(filepath.Base(f), ".yaml"))
	}
	t.Logf("cluster: installed CRDs %s in %s", strings.Join(names, ", "), since(t0))
}

func (c *Cluster) start(t *testing.T, name, path string, args ...string) {
	t.Helper()
	logPath := filepath.Join(c.Dir, name+".log")
	f, err := os.Create(logPath)
	must(t, err)
	cmd := exec.Command(path, args...)
	cmd.Dir = c.Dir
	cmd.Stdout = f
	cmd.Stderr = f
	cmd.Env = append(os.Environ(), "HOME="+c.home, "KUBECONFIG="+filepath.Join(c.Dir, "kubeconfig"))
	setProcAttrs(cmd)
	if err := cmd.Start(); err != nil {
		_ = f.Close()
		t.Fatalf("cluster: start %s: %v", name, err)
	}
	p := &process{name: name, cmd: cmd, logPath: logPath, logFile: f, done: make(chan struct{})}
	go func() {
		p.waitErr = cmd.Wait()
		close(p.done)
	}()
	c.procs = append(c.procs, p)
	t.Logf("cluster: started %s (pid %d), log %s", name, cmd.Process.Pid, filepath.Base(logPath))
}

func (c *Cluster) stopAll(t *testing.T) {
	if t.Failed() {
		for _, p := range c.procs {
			t.Logf("cluster: last lines of %s.log (known noise left out):\n%s", p.name, p.tail(15))
		}
	}
	for i := len(c.procs) - 1; i >= 0; i-- {
		c.procs[i].stop(t)
	}
}

func (c *Cluster) proc(name string) *process {
	for _, p := range c.procs {
		if p.name == name {
			return p
		}
	}
	return nil
}

// waitHTTP polls url until it answers 200, failing early if the component exited.
func (c *Cluster) waitHTTP(t *testing.T, name, url, token string, timeout time.Duration) {
	t.Helper()
	p := c.proc(name)
	deadline := time.Now().Add(timeout)
	last := ""
	for time.Now().Before(deadline) {
		if p != nil && p.exited() {
			t.Fatalf("cluster: %s exited (%v) before it was ready; last lines of its log:\n%s", name, p.waitErr, p.tail(40))
		}
		req, _ := http.NewRequest(http.MethodGet, url, nil)
		if token != "" {
			req.Header.Set("Authorization", "Bearer "+token)
		}
		resp, err := c.http.Do(req)
		if err == nil {
			body := make([]byte, 512)
			n, _ := resp.Body.Read(body)
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return
			}
			last = fmt.Sprintf("HTTP %d: %s", resp.StatusCode, body[:n])
		} else {
			last = err.Error()
		}
		time.Sleep(200 * time.Millisecond)
	}
	tail := ""
	if p != nil {
		tail = p.tail(40)
	}
	t.Fatalf("cluster: %s not ready after %s (%s); last lines of its log:\n%s", name, timeout, last, tail)
}

// Kubectl runs the built kubectl against the cluster and returns its stdout; the error includes
// stderr.
func (c *Cluster) Kubectl(ctx context.Context, stdin []byte, args ...string) (string, error) {
	out, stderr, err := c.KubectlFull(ctx, stdin, args...)
	if err != nil {
		return out, fmt.Errorf("kubectl %s: %v: %s", strings.Join(args, " "), err, strings.TrimSpace(stderr))
	}
	return out, nil
}

// KubectlFull returns stdout and stderr separately, and the exit error as is.
func (c *Cluster) KubectlFull(ctx context.Context, stdin []byte, args ...string) (string, string, error) {
	ctx, cancel := context.WithTimeout(ctx, 2*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, filepath.Join(c.Bin, "kubectl"), append([]string{"--kubeconfig=" + c.Kubeconfig}, args...)...)
	cmd.Env = append(os.Environ(), "HOME="+c.home, "KUBECONFIG="+c.Kubeconfig, "KUBECTL_EXTERNAL_DIFF=")
	if stdin != nil {
		cmd.Stdin = bytes.NewReader(stdin)
	}
	var stdout, stderr bytes.Buffer
	cmd.Stdout = &stdout
	cmd.Stderr = &stderr
	err := cmd.Run()
	return stdout.String(), stderr.String(), err
}

func (c *Cluster) MustKubectl(t *testing.T, ctx context.Context, stdin []byte, args ...string) string {
	t.Helper()
	out, err := c.Kubectl(ctx, stdin, args...)
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// GetJSON runs kubectl with args (which must ask for -o json) and decodes the output into v.
func (c *Cluster) GetJSON(ctx context.Context, v any, args ...string) error {
	out, err := c.Kubectl(ctx, nil, args...)
	if err != nil {
		return err
	}
	if err := json.Unmarshal([]byte(out), v); err != nil {
		return fmt.Errorf("kubectl %s: decode: %v", strings.Join(args, " "), err)
	}
	return nil
}

// WaitFor polls cond every 250ms until it reports done, failing the test after timeout with the
// last status cond gave.
func (c *Cluster) WaitFor(t *testing.T, ctx context.Context, what string, timeout time.Duration, cond func() (bool, string)) {
	t.Helper()
	if err := c.Poll(ctx, timeout, cond); err != nil {
		t.Fatalf("timed out after %s waiting for %s: %v", timeout, what, err)
	}
}

// Poll is WaitFor returning an error instead of failing.
func (c *Cluster) Poll(ctx context.Context, timeout time.Duration, cond func() (bool, string)) error {
	deadline := time.Now().Add(timeout)
	last := ""
	for {
		ok, status := cond()
		if ok {
			return nil
		}
		last = status
		for _, p := range c.procs {
			if p.exited() {
				return fmt.Errorf("%s exited (%v); last status: %s", p.name, p.waitErr, last)
			}
		}
		if time.Now().After(deadline) {
			return errors.New(last)
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("%v; last status: %s", ctx.Err(), last)
		case <-time.After(250 * time.Millisecond):
		}
	}
}

// testContext ends a little before the go test -timeout deadline, so that a stuck wait fails
// the test and the cleanups (which stop the processes) still run.
func testContext(t *testing.T) context.Context {
	ctx := context.Background()
	if d, ok := t.Deadline(); ok {
		var cancel context.CancelFunc
		ctx, cancel = context.WithDeadline(ctx, d.Add(-30*time.Second))
		t.Cleanup(cancel)
	}
	return ctx
}

func freePort(t testing.TB) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	must(t, err)
	defer l.Close()
	return strconv.Itoa(l.Addr().(*net.TCPAddr).Port)
}

func randomHex(t testing.TB, n int) string {
	b := make([]byte, n)
	_, err := rand.Read(b)
	must(t, err)
	return hex.EncodeToString(b)
}

func must(t testing.TB, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

func since(t0 time.Time) time.Duration { return time.Since(t0).Round(10 * time.Millisecond) }

// firstLines returns at most n lines of s.
func firstLines(s string, n int) string {
	var b strings.Builder
	sc := bufio.NewScanner(strings.NewReader(s))
	for i := 0; sc.Scan() && i < n; i++ {
		b.WriteString(sc.Text())
		b.WriteByte('\n')
	}
	return b.String()
}
