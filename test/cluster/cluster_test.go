//go:build cluster

package cluster

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"
	"time"
)

// The spec the rollout, drift and upgrade tests render; the classes and secret are what the test
// prepares.
func rolloutSpec(name, flavor, version string) testSpec {
	return testSpec{
		Name:         name,
		Flavor:       flavor,
		Version:      version,
		Replicas:     3,
		Secret:       name + "-secret",
		StorageClass: "manual",
		StorageSize:  "2Gi",
	}
}

// TestServerSideDryRun sends every object of every example, every golden file and the whole
// flavor/version matrix to a real kube-apiserver as a server-side dry-run, both server-side and
// client-side apply: every object must be accepted.
func TestServerSideDryRun(t *testing.T) {
	root := repoRoot(t)
	type input struct {
		name     string
		manifest func(t *testing.T) []byte
	}
	var inputs []input
	examples, _ := filepath.Glob(filepath.Join(root, "examples", "*.yaml"))
	for _, f := range examples {
		inputs = append(inputs, input{"example/" + filepath.Base(f), func(t *testing.T) []byte { return renderFile(t, f) }})
	}
	goldens, _ := filepath.Glob(filepath.Join(root, "testdata", "golden", "*.yaml"))
	for _, f := range goldens {
		inputs = append(inputs, input{"golden/" + filepath.Base(f), func(t *testing.T) []byte {
			b, err := os.ReadFile(f)
			must(t, err)
			return b
		}})
	}
	for _, m := range matrix {
		spec := testSpec{
			Name:    "dry-" + m.Flavor + "-" + strings.ReplaceAll(m.Version, ".", "-"),
			Flavor:  m.Flavor,
			Version: m.Version,
			Secret:  "dry-credentials",
		}
		inputs = append(inputs, input{"matrix/" + m.Flavor + "-" + m.Version, func(t *testing.T) []byte { return renderSpec(t, spec.YAML()) }})
	}
	if len(examples) == 0 {
		t.Errorf("no examples/*.yaml found in %s", root)
	}
	if len(goldens) == 0 {
		t.Errorf("no testdata/golden/*.yaml found in %s", root)
	}

	c := StartCluster(t, Options{ControlPlaneOnly: true})
	ctx := testContext(t)
	accepted := 0
	for _, in := range inputs {
		t.Run(in.name, func(t *testing.T) {
			manifest := in.manifest(t)
			accepted += dryRun(t, c, ctx, in.name, manifest)
		})
	}
	t.Logf("server-side dry-run: %d inputs, %d objects accepted", len(inputs), accepted)
}

// dryRun applies manifest with --dry-run=server twice (server-side apply, then client-side
// apply), after creating the namespaces it names; it returns the objects accepted by both.
func dryRun(t *testing.T, c *Cluster, ctx context.Context, label string, manifest []byte) int {
	t.Helper()
	objs, err := ParseManifest(manifest)
	if err != nil {
		t.Fatalf("%s: does not parse as YAML: %v", label, err)
	}
	if len(objs) == 0 {
		t.Fatalf("%s: no objects", label)
	}
	accepted, failures := dryRunBoth(t, c, ctx, label, manifest, objs)
	for _, f := range failures {
		t.Errorf("%s", f)
	}
	if len(failures) == 0 {
		t.Logf("check server dry-run of %s: OK (%d objects: %s)", label, len(objs), kinds(objs))
	}
	return accepted
}

// dryRunBoth returns the number of objects accepted and one message per apply mode that did
// not accept all of them, with kubectl's error output.
func dryRunBoth(t *testing.T, c *Cluster, ctx context.Context, label string, manifest []byte, objs []Object) (int, []string) {
	t.Helper()
	nss := map[string]bool{}
	for _, o := range objs {
		if ns := o.Namespace(); ns != "" {
			nss[ns] = true
		}
	}
	for _, ns := range sortedKeys(nss) {
		if _, err := c.Kubectl(ctx, nil, "get", "namespace", ns); err != nil {
			c.MustKubectl(t, ctx, nil, "create", "namespace", ns)
		}
	}
	file := filepath.Join(c.Dir, "dry-run.yaml")
	must(t, os.WriteFile(file, manifest, 0o644))
	accepted := 0
	var failures []string
	for _, mode := range []struct {
		name string
		args []string
	}{
		{"server-side apply", []string{"apply", "--server-side", "--field-manager=mysqlgen-e2e", "--dry-run=server", "-f", file}},
		{"client-side apply", []string{"apply", "--dry-run=server", "-f", file}},
	} {
		out, stderr, err := c.KubectlFull(ctx, nil, mode.args...)
		lines := nonEmptyLines(out)
		for _, l := range lines {
			t.Logf("dry-run (%s) %s: %s", mode.name, label, l)
		}
		if err != nil || len(lines) != len(objs) {
			failures = append(failures, fmt.Sprintf("dry-run (%s) of %s: %d of %d objects accepted (%v):\n%s", mode.name, label, len(lines), len(objs), err, strings.TrimSpace(stderr)))
			continue
		}
		if strings.TrimSpace(stderr) != "" {
			t.Logf("dry-run (%s) %s: warnings:\n%s", mode.name, label, strings.TrimSpace(stderr))
		}
		accepted = len(lines)
	}
	return accepted, failures
}

// TestHarnessCatchesDefects proves the dry-run check is not vacuous: each defect planted in the
// fixture (the ones schema validators miss, and two they catch) must be rejected by the apiserver.
func TestHarnessCatchesDefects(t *testing.T) {
	good := string(fixture(t, "8.0.40", "250m"))
	defects := []struct{ name, old, new, want string }{
		{"selector-not-matching-template", "  selector:\n    matchLabels: {app.kubernetes.io/name: mysql, app.kubernetes.io/instance: e2e}\n  persistentVolumeClaimRetentionPolicy",
			"  selector:\n    matchLabels: {app.kubernetes.io/name: mysql, app.kubernetes.io/instance: other}\n  persistentVolumeClaimRetentionPolicy", "selector` does not match template `labels`"},
		{"unknown-field", "  serviceName: e2e\n", "  serviceName: e2e\n  bogusField: 1\n", "spec.bogusField"},
		{"port-name-too-long", "- {name: mysql, containerPort: 3306}", "- {name: mysql-port-name-too-long, containerPort: 3306}", "must be no more than 15 characters"},
		{"mount-of-no-volume", "- {name: config, mountPath: /etc/mysql/conf.d}", "- {name: no-such-volume, mountPath: /etc/mysql/conf.d}", "volumeMounts[1].name: Not found"},
		{"port-not-a-number", "- {name: mysql, containerPort: 3306}", "- {name: mysql, containerPort: three}", "containerPort"},
		{"pdb-min-and-max", "  maxUnavailable: 1\n", "  maxUnavailable: 1\n  minAvailable: 1\n", "minAvailable and maxUnavailable cannot be both set"},
	}
	c := StartCluster(t, Options{ControlPlaneOnly: true})
	ctx := testContext(t)
	for _, d := range defects {
		t.Run(d.name, func(t *testing.T) {
			bad := strings.Replace(good, d.old, d.new, 1)
			if bad == good {
				t.Fatalf("planting %s changed nothing", d.name)
			}
			objs, err := ParseManifest([]byte(bad))
			must(t, err)
			_, failures := dryRunBoth(t, c, ctx, d.name, []byte(bad), objs)
			if len(failures) != 2 {
				t.Fatalf("the apiserver accepted the manifest with %s (failures: %v)", d.name, failures)
			}
			for _, f := range failures {
				if !strings.Contains(f, d.want) {
					t.Fatalf("rejected, but without %q:\n%s", d.want, f)
				}
			}
			t.Logf("check planted defect %s: rejected by both apply modes (%s)", d.name, firstLines(failures[0], 3))
		})
	}
}

func nonEmptyLines(s string) []string {
	var out []string
	for _, l := range strings.Split(s, "\n") {
		if strings.TrimSpace(l) != "" {
			out = append(out, l)
		}
	}
	return out
}

// TestRollout applies real renders to a cluster with three kwok nodes and checks the rollout,
// PVCs, EndpointSlices, PDB status and scaling, for one MySQL and one MariaDB version.
func TestRollout(t *testing.T) {
	c := StartCluster(t, Options{Nodes: 3})
	ctx := testContext(t)
	for _, m := range []struct{ Flavor, Version string }{{"mysql", "8.4"}, {"mariadb", "11.4"}} {
		t.Run(m.Flavor+"-"+m.Version, func(t *testing.T) {
			name := "ro-" + m.Flavor
			spec := rolloutSpec(name, m.Flavor, m.Version)
			d := NewDeployment(t, c, ctx, "rollout-"+m.Flavor, renderSpec(t, spec.YAML()))
			checkRolloutAndScale(t, d, spec.Secret)
		})
	}
}

func checkRolloutAndScale(t *testing.T, d *Deployment, secret string) {
	t.Helper()
	d.Prepare(t, secret, 5)
	w := d.c.WatchPods(t, d.NS, d.selector())
	mark := w.Mark()
	t0 := time.Now()
	d.Apply(t)
	d.WaitRolledOut(t, 3, 3*time.Minute)
	t.Logf("rollout to 3/3 Ready took %s", since(t0))
	if p := d.STS.Spec.PodManagementPolicy; p != "" && p != "OrderedReady" {
		t.Errorf("ordinal order: podManagementPolicy is %s, so pods start in parallel", p)
	}
	w.CheckOrderedCreation(t, d.Name, 0, 2, mark)
	d.CheckPlacement(t, 3)
	d.CheckPVCs(t, 3)
	d.CheckEndpoints(t, 3)
	d.CheckPDBs(t, 3)
	d.CheckNetworkPolicies(t, 3)

	mark = w.Mark()
	if hasRequiredAntiAffinity(Pod{Spec: d.STS.Spec.Template.Spec}) && d.c.nodes < 5 {
		t.Logf("scale: the render requires pod anti-affinity; adding %d kwok nodes so that 5 pods can be placed", 5-d.c.nodes)
		d.c.AddNodes(t, d.ctx, 5-d.c.nodes)
	}
	d.Scale(t, 5)
	d.WaitRolledOut(t, 5, 3*time.Minute)
	w.CheckOrderedCreation(t, d.Name, 3, 4, mark)
	d.CheckPVCs(t, 5)
	d.CheckEndpoints(t, 5)
	d.CheckPDBs(t, 5)

	mark = w.Mark()
	d.Scale(t, 3)
	d.WaitPodsGone(t, 3)
	d.WaitRolledOut(t, 3, 3*time.Minute)
	w.CheckDeletionOrder(t, mark, d.Name+"-4", d.Name+"-3")
	d.CheckPVCsAfterScaleDown(t, 3, 5)
	d.CheckEndpoints(t, 3)
}

// TestExamplesRollout applies the render of every examples/*.yaml for real, after preparing what
// an administrator would (namespace, PersistentVolumes of the claimed class, the Secret, the
// PriorityClass and node labels the pods ask for), and checks the rollout, PVCs, EndpointSlices,
// PDB and zero drift.
func TestExamplesRollout(t *testing.T) {
	examples, _ := filepath.Glob(filepath.Join(repoRoot(t), "examples", "*.yaml"))
	if len(examples) == 0 {
		t.Fatal("no examples/*.yaml")
	}
	c := StartCluster(t, Options{Nodes: 3})
	ctx := testContext(t)
	for _, f := range examples {
		t.Run(filepath.Base(f), func(t *testing.T) {
			d := NewDeployment(t, c, ctx, "ex-"+strings.TrimSuffix(filepath.Base(f), ".yaml"), renderFile(t, f))
			replicas := 1
			if r := d.STS.Spec.Replicas; r != nil {
				replicas = int(*r)
			}
			d.Prepare(t, "", replicas)
			d.PrepareScheduling(t, replicas)
			w := c.WatchPods(t, d.NS, d.selector())
			mark := w.Mark()
			d.Apply(t)
			d.WaitRolledOut(t, int32(replicas), 3*time.Minute)
			w.CheckOrderedCreation(t, d.Name, 0, replicas-1, mark)
			d.CheckPlacement(t, replicas)
			d.CheckPVCs(t, replicas)
			d.CheckEndpoints(t, replicas)
			d.CheckPDBs(t, int32(replicas))
			d.CheckNetworkPolicies(t, replicas)
			d.CheckServiceMonitors(t, replicas)
			d.CheckPrometheusRules(t)
			d.CheckNoDrift(t)
		})
	}
}

// TestZeroDrift applies a render, waits for the rollout, and checks that applying the same
// render again changes nothing (see CheckNoDrift).
func TestZeroDrift(t *testing.T) {
	c := StartCluster(t, Options{Nodes: 3})
	ctx := testContext(t)
	for _, m := range []struct{ Flavor, Version string }{{"mysql", "8.0"}, {"mariadb", "10.11"}} {
		t.Run(m.Flavor+"-"+m.Version, func(t *testing.T) {
			spec := rolloutSpec("drift-"+m.Flavor, m.Flavor, m.Version)
			d := NewDeployment(t, c, ctx, "drift-"+m.Flavor, renderSpec(t, spec.YAML()))
			d.Prepare(t, spec.Secret, 3)
			d.Apply(t)
			d.WaitRolledOut(t, 3, 3*time.Minute)
			d.CheckNoDrift(t)
		})
	}
}

// TestUpgrade renders the same cluster with another image and other resources, applies it, and
// checks that the StatefulSet's rolling update replaces every pod, highest ordinal first.
func TestUpgrade(t *testing.T) {
	c := StartCluster(t, Options{Nodes: 3})
	ctx := testContext(t)
	spec := rolloutSpec("up", "mysql", "8.0")
	d := NewDeployment(t, c, ctx, "upgrade", renderSpec(t, spec.YAML()))
	d.Prepare(t, spec.Secret, 3)
	d.Apply(t)
	before := d.WaitRolledOut(t, 3, 3*time.Minute)

	v2 := spec
	oldImage := mainContainer(d.STS).Image
	v2.Image = upgradedImage(oldImage)
	v2.Resources = "{requests: {cpu: 750m, memory: 2Gi}, limits: {cpu: \"3\", memory: 2Gi}}"
	up := d.With(t, renderSpec(t, v2.YAML()))
	newC := mainContainer(up.STS)
	if newC.Image == oldImage {
		t.Fatalf("upgrade: the render with spec.image %s still has image %s", v2.Image, oldImage)
	}
	t.Logf("upgrade: image %s -> %s, resources %v/%v -> %v/%v", oldImage, newC.Image,
		mainContainer(d.STS).Resources.Requests, mainContainer(d.STS).Resources.Limits, newC.Resources.Requests, newC.Resources.Limits)
	checkUpgrade(t, up, before)
}

func checkUpgrade(t *testing.T, up *Deployment, before StatefulSet) {
	t.Helper()
	w := up.c.WatchPods(t, up.NS, up.selector())
	mark := w.Mark()
	t0 := time.Now()
	up.Apply(t)
	after := up.WaitRolledOut(t, 3, 5*time.Minute)
	if after.Status.UpdateRevision == before.Status.UpdateRevision {
		t.Errorf("upgrade: the StatefulSet revision did not change (%s)", after.Status.UpdateRevision)
	}
	t.Logf("check rolling update: OK, revision %s -> %s in %s", before.Status.UpdateRevision, after.Status.UpdateRevision, since(t0))
	w.CheckDeletionOrder(t, mark, up.Name+"-2", up.Name+"-1", up.Name+"-0")
	want := mainContainer(up.STS)
	pods := up.Pods(t)
	names := sortedKeys(pods)
	sort.Strings(names)
	for _, n := range names {
		p := pods[n]
		got := containerNamed(p.Spec.Containers, want.Name)
		if got == nil {
			t.Errorf("upgrade: pod %s has no container %s", n, want.Name)
			continue
		}
		if got.Image != want.Image || fmt.Sprint(got.Resources) != fmt.Sprint(want.Resources) || p.Metadata.Labels["controller-revision-hash"] != after.Status.UpdateRevision {
			t.Errorf("upgrade: pod %s runs %s %v at revision %s, want %s %v at %s", n, got.Image, got.Resources, p.Metadata.Labels["controller-revision-hash"], want.Image, want.Resources, after.Status.UpdateRevision)
			continue
		}
		t.Logf("check pod %s upgraded: OK (%s, requests %v, limits %v)", n, got.Image, got.Resources.Requests, got.Resources.Limits)
	}
	up.CheckEndpoints(t, 3)
	up.CheckPDBs(t, 3)
}

// mainContainer is the container named like the flavor (mysql/mariadb), else the first.
func mainContainer(s StatefulSet) Container {
	cs := s.Spec.Template.Spec.Containers
	for _, n := range []string{"mysql", "mariadb", "mysqld"} {
		if c := containerNamed(cs, n); c != nil {
			return *c
		}
	}
	if len(cs) == 0 {
		return Container{}
	}
	return cs[0]
}

func containerNamed(cs []Container, name string) *Container {
	for i := range cs {
		if cs[i].Name == name {
			return &cs[i]
		}
	}
	return nil
}

// upgradedImage is the same repository with another tag.
func upgradedImage(image string) string {
	repo, tag := image, ""
	if i := strings.LastIndex(image, ":"); i > strings.LastIndex(image, "/") {
		repo, tag = image[:i], image[i+1:]
	}
	if at := strings.Index(repo, "@"); at >= 0 {
		repo = repo[:at]
	}
	if tag == "" {
		return repo + ":upgrade-e2e"
	}
	return repo + ":" + tag + "-e2e-upgrade"
}

// TestHarnessFixture proves the harness on a hand-written manifest (testdata/fixture.yaml),
// independent of the renderer: when it fails, the harness or the tools are at fault, not
// mysqlgen.
func TestHarnessFixture(t *testing.T) {
	c := StartCluster(t, Options{Nodes: 3})
	ctx := testContext(t)
	d := NewDeployment(t, c, ctx, "fixture", fixture(t, "8.0.40", "250m"))
	checkRolloutAndScale(t, d, "e2e-credentials")
	d.CheckNoDrift(t)
	before, err := d.GetSTS(t)
	must(t, err)
	checkUpgrade(t, d.With(t, fixture(t, "8.0.41", "500m")), before)
}
