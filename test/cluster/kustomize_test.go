//go:build cluster

package cluster

import (
	"bytes"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"testing"
	"time"
)

// The overlay of TestKustomizePrefix: what a team does to take a rendered cluster into its own
// namespace under its own names.
const (
	overlayPrefix    = "team-"
	overlayNamespace = "other"
	// A cluster name that occurs nowhere else in the render, so that every occurrence found in
	// the applied objects is a reference to it.
	kzName = "kzdb"
)

// TestKustomizePrefix is issue 13's item 4 on the control plane: a cluster taken through a
// kustomize overlay with namePrefix and namespace (the kustomize CLI, bin/kustomize), applied
// and rolled out, twice: the render of a 3-member cluster with spec.primary: 1 as the overlay's
// resource, and examples/kustomize-prefix, an overlay of the KRM generator in examples/kustomize.
// The renamed -primary Service must select exactly the primary, the read Service every pod, the
// renamed headless Service must govern the StatefulSet and publish each pod's hostname, the
// scripts must derive the prefixed names at run time, and no string the pods read may still
// name an unprefixed object they need.
func TestKustomizePrefix(t *testing.T) {
	kz := filepath.Join(binDir(t), "kustomize")
	if _, err := os.Stat(kz); err != nil {
		if os.Getenv("CI") != "" {
			t.Fatalf("no %s, and CI must run this test: make kustomize", kz)
		}
		t.Skipf("no %s: install it with make kustomize", kz)
	}
	one := 1
	spec := rolloutSpec(kzName, "mysql", "8.0")
	spec.Primary = &one
	cases := []struct {
		name, bare string
		primary    int
		replicas   int
		secret     string
		build      func(t *testing.T) []byte
	}{
		{"rendered", kzName, 1, 3, spec.Secret, func(t *testing.T) []byte { return kustomizeOverlay(t, kz, renderSpec(t, spec.YAML())) }},
		{"generator", "shop-db", 0, 2, "", func(t *testing.T) []byte {
			return kustomizeBuild(t, kz, filepath.Join(repoRoot(t), "examples", "kustomize-prefix"), "--enable-alpha-plugins", "--enable-exec")
		}},
	}
	c := StartCluster(t, Options{Nodes: 3})
	ctx := testContext(t)
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			d := NewDeployment(t, c, ctx, "unused", tc.build(t))
			if d.Name != overlayPrefix+tc.bare || d.NS != overlayNamespace {
				t.Fatalf("the overlay's StatefulSet is %s/%s, want %s/%s", d.NS, d.Name, overlayNamespace, overlayPrefix+tc.bare)
			}
			d.Primary = tc.primary
			d.Prepare(t, tc.secret, tc.replicas)
			d.PrepareScheduling(t, tc.replicas)
			d.Apply(t)
			t0 := time.Now()
			d.WaitRolledOut(t, int32(tc.replicas), 3*time.Minute)
			t.Logf("kustomize overlay: rolled out in %s", since(t0))
			d.CheckEndpoints(t, tc.replicas)
			d.checkPrimarySlice(t, tc.primary)
			d.checkGoverningService(t, tc.replicas)
			d.CheckPDBs(t, int32(tc.replicas))
			d.CheckNetworkPolicies(t, tc.replicas)
			d.checkRuntimeNames(t, tc.primary)
			d.checkBareName(t, tc.bare, overlayPrefix+tc.bare)
			d.CheckNoDrift(t)
		})
	}
}

// kustomizeOverlay writes an overlay of the rendered manifest that adds the prefix and the
// namespace, and returns what kustomize build makes of it.
func kustomizeOverlay(t *testing.T, kz string, rendered []byte) []byte {
	t.Helper()
	dir := t.TempDir()
	must(t, os.WriteFile(filepath.Join(dir, "cluster.yaml"), rendered, 0o644))
	must(t, os.WriteFile(filepath.Join(dir, "kustomization.yaml"), []byte(fmt.Sprintf(`apiVersion: kustomize.config.k8s.io/v1beta1
kind: Kustomization
namePrefix: %s
namespace: %s
resources:
- cluster.yaml
`, overlayPrefix, overlayNamespace)), 0o644))
	return kustomizeBuild(t, kz, dir)
}

// kustomizeBuild runs `kustomize build dir` with the mysqlgen binary of this test run first on
// PATH (a generator's exec path names it) and returns what it prints.
func kustomizeBuild(t *testing.T, kz, dir string, flags ...string) []byte {
	t.Helper()
	cmd := exec.Command(kz, append(append([]string{"build"}, flags...), dir)...)
	cmd.Env = append(os.Environ(), "PATH="+filepath.Dir(mysqlgenBinary(t))+string(os.PathListSeparator)+os.Getenv("PATH"))
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		t.Fatalf("kustomize build %s: %v\n%s", dir, err, stderr.String())
	}
	out, err := exec.Command(kz, "version").Output()
	must(t, err)
	t.Logf("kustomize %s build %s %s: %d bytes", strings.TrimSpace(string(out)), strings.Join(flags, " "), filepath.Base(dir), stdout.Len())
	return stdout.Bytes()
}

// checkGoverningService checks that the headless Service the StatefulSet names exists under the
// prefixed name, that every pod's subdomain (the kubelet's /etc/hosts line and the pod's DNS
// name) is that Service, and that its EndpointSlices publish each pod's hostname, which is what
// makes <pod>.<service> resolve for the scripts.
func (d *Deployment) checkGoverningService(t *testing.T, replicas int) {
	t.Helper()
	sts, err := d.GetSTS(t)
	must(t, err)
	svc := sts.Spec.ServiceName
	if svc != d.Name {
		t.Errorf("governing Service: the StatefulSet's serviceName is %q, want the prefixed %q", svc, d.Name)
	}
	var live struct {
		Spec struct {
			ClusterIP                string `json:"clusterIP"`
			PublishNotReadyAddresses bool   `json:"publishNotReadyAddresses"`
		} `json:"spec"`
	}
	if err := d.getJSON(&live, "get", "service", svc); err != nil {
		t.Fatalf("governing Service %s: %v", svc, err)
	}
	if live.Spec.ClusterIP != "None" {
		t.Errorf("governing Service %s has clusterIP %q, want None (headless)", svc, live.Spec.ClusterIP)
	}
	pods := d.Pods(t)
	var want []string
	for i := 0; i < replicas; i++ {
		n := fmt.Sprintf("%s-%d", d.Name, i)
		want = append(want, n+"→"+n)
		p, ok := pods[n]
		if !ok {
			t.Errorf("governing Service: pod %s missing", n)
			continue
		}
		if p.Spec.Hostname != n || p.Spec.Subdomain != svc {
			t.Errorf("pod %s has hostname %q subdomain %q, want %q and %q", n, p.Spec.Hostname, p.Spec.Subdomain, n, svc)
		}
	}
	var got []string
	err = d.c.Poll(d.ctx, 60*time.Second, func() (bool, string) {
		eps, err := d.sliceEndpoints(svc)
		if err != nil {
			return false, err.Error()
		}
		got = got[:0]
		for _, e := range eps {
			got = append(got, e.pod+"→"+e.hostname)
		}
		return strings.Join(got, ",") == strings.Join(want, ","), fmt.Sprintf("endpoints pod→hostname %v, want %v", got, want)
	})
	if err != nil {
		t.Errorf("EndpointSlices of the governing Service %s: %v", svc, err)
		return
	}
	t.Logf("check governing Service: OK, StatefulSet serviceName %s (headless, publishNotReadyAddresses %v), pods' subdomain %s, endpoints pod→hostname %v",
		svc, live.Spec.PublishNotReadyAddresses, svc, got)
}

// checkRuntimeNames runs the applied common.sh (the exact bytes of the live scripts ConfigMap)
// with the live pod's environment and the /etc/hosts line the kubelet writes for it, and checks
// the names the scripts derive: the governing Service and the primary's host, both prefixed. The
// hosts line is kubelet's format (k8s.io/kubernetes v1.34.4 pkg/kubelet/kubelet_pods.go,
// managedHostsFileContent: "<ip>\t<hostname>.<subdomain>.<namespace>.svc.<domain>\t<hostname>"),
// bind-mounted over /etc/hosts in a mount namespace of its own.
func (d *Deployment) checkRuntimeNames(t *testing.T, primary int) {
	t.Helper()
	if os.Geteuid() != 0 {
		t.Logf("run-time names: skipped (bind-mounting /etc/hosts needs root)")
		return
	}
	var cm struct {
		Data map[string]string `json:"data"`
	}
	if err := d.getJSON(&cm, "get", "configmap", d.Name+"-scripts"); err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	common := filepath.Join(dir, "common.sh")
	must(t, os.WriteFile(common, []byte(cm.Data["common.sh"]), 0o644))
	sts, err := d.GetSTS(t)
	must(t, err)
	wantHost := fmt.Sprintf("%s-%d.%s", d.Name, primary, sts.Spec.ServiceName)
	for _, p := range d.sortedPods(t) {
		env := d.liveEnv(t, p.Metadata.Name, "mysql")
		hosts := filepath.Join(dir, "hosts-"+p.Metadata.Name)
		must(t, os.WriteFile(hosts, []byte(fmt.Sprintf("# Kubernetes-managed hosts file.\n127.0.0.1\tlocalhost\n%s\t%s.%s.%s.svc.cluster.local\t%s\n",
			p.Status.PodIP, p.Spec.Hostname, p.Spec.Subdomain, d.NS, p.Spec.Hostname)), 0o644))
		got := runCommon(t, common, hosts, p.Spec.Hostname, env)
		want := sts.Spec.ServiceName + " " + wantHost
		if got != want {
			t.Errorf("run-time names in pod %s: common.sh derives SERVICE PRIMARY_HOST %q, want %q", p.Metadata.Name, got, want)
			continue
		}
		t.Logf("check run-time names in pod %s: OK (SERVICE PRIMARY_HOST = %s)", p.Metadata.Name, got)
	}
	// Without the kubelet's line (a pod on the host network, whose /etc/hosts the kubelet does not
	// write) the scripts fall back to MYSQLGEN_SERVICE, which kustomize does not rename: reported.
	p := d.sortedPods(t)[0]
	empty := filepath.Join(dir, "hosts-empty")
	must(t, os.WriteFile(empty, []byte("127.0.0.1\tlocalhost\n"), 0o644))
	t.Logf("run-time names without the kubelet's hosts line (fallback MYSQLGEN_SERVICE): SERVICE PRIMARY_HOST = %s",
		runCommon(t, common, empty, p.Spec.Hostname, d.liveEnv(t, p.Metadata.Name, "mysql")))
}

// runCommon sources common.sh in bash with /etc/hosts replaced by hosts (a private mount
// namespace), HOSTNAME and env set, and prints "$SERVICE $PRIMARY_HOST".
func runCommon(t *testing.T, common, hosts, hostname string, env []string) string {
	t.Helper()
	script := `mount --bind "$1" /etc/hosts && . "$2" && printf '%s %s' "$SERVICE" "$PRIMARY_HOST"`
	cmd := exec.Command("unshare", "--mount", "--propagation", "private", "bash", "-c", script, "bash", hosts, common)
	cmd.Env = append([]string{"PATH=" + os.Getenv("PATH"), "HOSTNAME=" + hostname}, env...)
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("sourcing common.sh for %s: %v\n%s", hostname, err, out)
	}
	return string(out)
}

func (d *Deployment) sortedPods(t *testing.T) []Pod {
	t.Helper()
	m := d.Pods(t)
	var out []Pod
	for _, n := range sortedKeys(m) {
		out = append(out, m[n])
	}
	return out
}

// liveEnv is the literal environment (name=value) of a container of the live pod.
func (d *Deployment) liveEnv(t *testing.T, pod, container string) []string {
	t.Helper()
	var p struct {
		Spec struct {
			Containers []struct {
				Name string `json:"name"`
				Env  []struct {
					Name  string  `json:"name"`
					Value *string `json:"value"`
				} `json:"env"`
			} `json:"containers"`
		} `json:"spec"`
	}
	if err := d.getJSON(&p, "get", "pod", pod); err != nil {
		t.Fatal(err)
	}
	var env []string
	for _, c := range p.Spec.Containers {
		if c.Name != container {
			continue
		}
		for _, e := range c.Env {
			if e.Value != nil {
				env = append(env, e.Name+"="+*e.Value)
			}
		}
	}
	if len(env) == 0 {
		t.Fatalf("pod %s has no container %s with an environment", pod, container)
	}
	return env
}

// bareNameReasons are the places where the unprefixed cluster name may stay after a namePrefix,
// each with the reason it is harmless; any other occurrence fails.
var bareNameReasons = []struct {
	where  *regexp.Regexp
	reason string
}{
	{regexp.MustCompile(`^StatefulSet env MYSQLGEN_SERVICE=`),
		"fallback only: common.sh takes the governing Service from the kubelet's /etc/hosts line (checked above) and reads MYSQLGEN_SERVICE only when that line is missing (hostNetwork pods; the render does not set hostNetwork)"},
	{regexp.MustCompile(`^StatefulSet volume credentials secretName=`),
		"the Secret spec.credentials.secretName names, made by the user and not part of the overlay's resources, so kustomize leaves the reference as it is and the user creates the Secret under that name"},
	{regexp.MustCompile(`^ConfigMap \S+ my\.cnf: #`),
		"a comment in my.cnf naming the MySQLCluster it was rendered from"},
}

// checkBareName looks for the unprefixed cluster name in every string the live pods read: the
// StatefulSet's commands, args, env values and the names its volumes and env references give,
// and every line of the rendered ConfigMaps. Each occurrence not part of the prefixed name is
// listed with its reason, and fails the test if it has none.
func (d *Deployment) checkBareName(t *testing.T, bare, prefixed string) {
	t.Helper()
	var hits []string
	find := func(where, s string) {
		for i := 0; ; {
			j := strings.Index(s[i:], bare)
			if j < 0 {
				return
			}
			j += i
			if !strings.HasSuffix(s[:j], strings.TrimSuffix(prefixed, bare)) {
				hits = append(hits, where+strings.TrimSpace(firstLineAround(s, j)))
			}
			i = j + len(bare)
		}
	}
	var sts Object
	if err := d.getJSON(&sts, "get", "statefulset", d.Name); err != nil {
		t.Fatal(err)
	}
	walkPodStrings(sts, find)
	for _, o := range d.Objs {
		if o.Kind() != "ConfigMap" {
			continue
		}
		var cm struct {
			Data map[string]string `json:"data"`
		}
		if err := d.getJSON(&cm, "get", "configmap", o.Name()); err != nil {
			t.Fatal(err)
		}
		for _, k := range sortedKeys(cm.Data) {
			find(fmt.Sprintf("ConfigMap %s %s: ", o.Name(), k), cm.Data[k])
		}
	}
	sort.Strings(hits)
	unexplained := 0
	for i, h := range hits {
		if i > 0 && hits[i-1] == h {
			continue // the name twice on one line
		}
		reason := ""
		for _, r := range bareNameReasons {
			if r.where.MatchString(h) {
				reason = r.reason
				break
			}
		}
		if reason == "" {
			unexplained++
			t.Errorf("bare name %q after namePrefix: %s (no reason known why this is harmless)", bare, h)
			continue
		}
		t.Logf("bare name %q after namePrefix: %s: harmless, %s", bare, h, reason)
	}
	if unexplained == 0 {
		t.Logf("check no unprefixed name the pods need: OK (%d occurrences of %q, each explained)", len(hits), bare)
	}
}

// walkPodStrings calls find on the strings of the StatefulSet's pod template that name things at
// run time: commands, args, env values, and the objects volumes and env references name.
func walkPodStrings(sts Object, find func(where, s string)) {
	var spec struct {
		Spec struct {
			Template struct {
				Spec struct {
					Containers     []podContainer `json:"containers"`
					InitContainers []podContainer `json:"initContainers"`
					Volumes        []struct {
						Name      string `json:"name"`
						ConfigMap *struct {
							Name string `json:"name"`
						} `json:"configMap"`
						Secret *struct {
							SecretName string `json:"secretName"`
						} `json:"secret"`
					} `json:"volumes"`
				} `json:"spec"`
			} `json:"template"`
		} `json:"spec"`
	}
	_ = sts.Into(&spec)
	ps := spec.Spec.Template.Spec
	seen := map[string]bool{}
	once := func(where, s string) {
		if !seen[where+s] {
			seen[where+s] = true
			find(where, s)
		}
	}
	for _, c := range append(ps.InitContainers, ps.Containers...) {
		for _, s := range append(c.Command, c.Args...) {
			once("StatefulSet command/args of "+c.Name+": ", s)
		}
		for _, e := range c.Env {
			once("StatefulSet env "+e.Name+"=", e.Value)
			if r := e.ValueFrom; r != nil {
				for _, ref := range []*struct {
					Name string `json:"name"`
				}{r.ConfigMapKeyRef, r.SecretKeyRef} {
					if ref != nil {
						once("StatefulSet env "+e.Name+" valueFrom name=", ref.Name)
					}
				}
			}
		}
	}
	for _, v := range ps.Volumes {
		if v.ConfigMap != nil {
			once("StatefulSet volume "+v.Name+" configMap name=", v.ConfigMap.Name)
		}
		if v.Secret != nil {
			once("StatefulSet volume "+v.Name+" secretName=", v.Secret.SecretName)
		}
	}
}

type podContainer struct {
	Name    string   `json:"name"`
	Command []string `json:"command"`
	Args    []string `json:"args"`
	Env     []struct {
		Name      string `json:"name"`
		Value     string `json:"value"`
		ValueFrom *struct {
			ConfigMapKeyRef *struct {
				Name string `json:"name"`
			} `json:"configMapKeyRef"`
			SecretKeyRef *struct {
				Name string `json:"name"`
			} `json:"secretKeyRef"`
		} `json:"valueFrom"`
	} `json:"env"`
}

// firstLineAround returns the line of s that holds index i.
func firstLineAround(s string, i int) string {
	start := strings.LastIndex(s[:i], "\n") + 1
	end := strings.Index(s[i:], "\n")
	if end < 0 {
		return s[start:]
	}
	return s[start : i+end]
}

// TestKustomizeTwoCopies applies two overlays of one render into one namespace, each with its
// own namePrefix and, as examples/kustomize-prefix advises, the instance label renamed with
// includeSelectors: each copy's Services, PDB and NetworkPolicy must select its own pods only.
// (Without the labels, each -primary Service lists both copies' primaries.)
func TestKustomizeTwoCopies(t *testing.T) {
	kz := filepath.Join(binDir(t), "kustomize")
	if _, err := os.Stat(kz); err != nil {
		if os.Getenv("CI") != "" {
			t.Fatalf("no %s, and CI must run this test: make kustomize", kz)
		}
		t.Skipf("no %s: install it with make kustomize", kz)
	}
	spec := rolloutSpec(kzName, "mysql", "8.0")
	rendered := renderSpec(t, spec.YAML())
	c := StartCluster(t, Options{Nodes: 3})
	ctx := testContext(t)
	var ds []*Deployment
	for _, prefix := range []string{"a-", "b-"} {
		dir := t.TempDir()
		must(t, os.WriteFile(filepath.Join(dir, "cluster.yaml"), rendered, 0o644))
		must(t, os.WriteFile(filepath.Join(dir, "kustomization.yaml"), []byte(fmt.Sprintf(`namePrefix: %[1]s
namespace: %[2]s
labels:
- pairs: {app.kubernetes.io/instance: %[1]s%[3]s}
  includeSelectors: true
resources:
- cluster.yaml
`, prefix, overlayNamespace, kzName)), 0o644))
		d := NewDeployment(t, c, ctx, "unused", kustomizeBuild(t, kz, dir))
		if len(ds) > 0 {
			d.kubectl(t, nil, "delete", "secret", spec.Secret) // the same Secret; Prepare makes it again
		}
		d.Prepare(t, spec.Secret, 3)
		d.Apply(t)
		d.WaitRolledOut(t, 3, 3*time.Minute)
		ds = append(ds, d)
	}
	for _, d := range ds {
		d.CheckEndpoints(t, 3)
		d.checkPrimarySlice(t, 0)
		d.CheckPDBs(t, 3)
		d.CheckNetworkPolicies(t, 3)
	}
}
