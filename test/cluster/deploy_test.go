//go:build cluster

package cluster

import (
	"context"
	"encoding/json"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"reflect"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"testing"
	"time"
)

// Deployment is one rendered MySQL cluster applied (or about to be) to a Cluster.
type Deployment struct {
	c        *Cluster
	ctx      context.Context
	NS       string // namespace the objects live in
	nsFlag   []string
	Name     string // StatefulSet name
	Manifest []byte
	Objs     []Object
	File     string
	STS      StatefulSet // as rendered
	// Primary is the ordinal the spec says takes writes (spec.primary), which the test sets: the
	// -primary Service's endpoints are checked against it, not against what the render says.
	Primary int
}

// NewDeployment parses manifest, finds its StatefulSet and decides the namespace: the one the
// objects name, else ns (passed to kubectl with -n).
func NewDeployment(t *testing.T, c *Cluster, ctx context.Context, ns string, manifest []byte) *Deployment {
	t.Helper()
	objs, err := ParseManifest(manifest)
	if err != nil {
		t.Fatalf("rendered manifest does not parse: %v", err)
	}
	d := &Deployment{c: c, ctx: ctx, Manifest: manifest, Objs: objs, NS: ns}
	stsObj := findObject(objs, "StatefulSet", "")
	if stsObj == nil {
		t.Fatalf("rendered manifest has no StatefulSet (objects: %s)", kinds(objs))
	}
	must(t, stsObj.Into(&d.STS))
	d.Name = stsObj.Name()
	if n := stsObj.Namespace(); n != "" {
		d.NS = n
	} else {
		d.nsFlag = []string{"-n", ns}
	}
	d.File = filepath.Join(c.Dir, "manifest-"+strconv.FormatInt(time.Now().UnixNano(), 36)+".yaml")
	must(t, os.WriteFile(d.File, manifest, 0o644))
	t.Logf("rendered %d objects: %s", len(objs), kinds(objs))
	return d
}

// With returns a deployment of another render of the same cluster (an upgrade).
func (d *Deployment) With(t *testing.T, manifest []byte) *Deployment {
	t.Helper()
	n := NewDeployment(t, d.c, d.ctx, d.NS, manifest)
	if n.Name != d.Name || n.NS != d.NS {
		t.Fatalf("new render is StatefulSet %s/%s, was %s/%s", n.NS, n.Name, d.NS, d.Name)
	}
	return n
}

func (d *Deployment) kubectl(t *testing.T, stdin []byte, args ...string) string {
	t.Helper()
	return d.c.MustKubectl(t, d.ctx, stdin, append(args, "-n", d.NS)...)
}

func (d *Deployment) getJSON(v any, args ...string) error {
	return d.c.GetJSON(d.ctx, v, append(args, "-n", d.NS, "-o", "json")...)
}

// Prepare creates the namespace, a StorageClass and `pvs` PersistentVolumes for each claim
// template of the rendered StatefulSet (matching its class, size and access modes), and the
// Secret the spec names, with the keys the product reads.
func (d *Deployment) Prepare(t *testing.T, secretName string, pvs int) {
	t.Helper()
	if _, err := d.c.Kubectl(d.ctx, nil, "get", "namespace", d.NS); err != nil {
		d.c.MustKubectl(t, d.ctx, nil, "create", "namespace", d.NS)
	}
	if len(d.STS.Spec.VolumeClaimTemplates) == 0 {
		t.Logf("prepare: the StatefulSet has no volumeClaimTemplates; no PVs made")
	}
	var b strings.Builder
	classes := map[string]bool{}
	for _, vct := range d.STS.Spec.VolumeClaimTemplates {
		class := ""
		if vct.Spec.StorageClassName != nil {
			class = *vct.Spec.StorageClassName
		}
		annotations := "{}"
		if class == "" {
			// The claim takes the cluster's default class (DefaultStorageClass admission).
			class = "standard"
			annotations = `{storageclass.kubernetes.io/is-default-class: "true"}`
			t.Logf("prepare: claim template %q names no storageClassName; making a default StorageClass %q", vct.Metadata.Name, class)
		}
		size := string(vct.Spec.Resources.Requests["storage"])
		if size == "" {
			t.Fatalf("prepare: volumeClaimTemplate %q requests no storage", vct.Metadata.Name)
		}
		modes := vct.Spec.AccessModes
		if len(modes) == 0 {
			modes = []string{"ReadWriteOnce"}
		}
		if !classes[class] {
			classes[class] = true
			b.WriteString(storageClass(class, annotations))
		}
		modesJSON, _ := json.Marshal(modes)
		for i := 0; i < pvs; i++ {
			fmt.Fprintf(&b, `---
apiVersion: v1
kind: PersistentVolume
metadata:
  name: %[1]s-%[2]s-%[3]s-pv%[4]d
  labels: {mysqlgen-e2e: "true"}
spec:
  storageClassName: %[5]s
  capacity: {storage: %[6]s}
  accessModes: %[7]s
  persistentVolumeReclaimPolicy: Retain
  hostPath: {path: /var/tmp/mysqlgen-e2e/%[1]s/%[2]s-%[3]s-%[4]d, type: DirectoryOrCreate}
`, d.NS, vct.Metadata.Name, d.Name, i, class, size, modesJSON)
		}
		t.Logf("prepare: %d PersistentVolumes of %s, class %s, modes %v for claim template %q", pvs, size, class, modes, vct.Metadata.Name)
	}
	d.prepareClaimObjects(t, &b, classes)
	if b.Len() > 0 {
		d.c.MustKubectl(t, d.ctx, []byte(b.String()), "apply", "-f", "-")
	}
	refs := d.secretRefs()
	if secretName != "" {
		if _, ok := refs[secretName]; !ok {
			t.Errorf("prepare: the render does not refer to Secret %q named by spec.credentials.secretName (it refers to %v)", secretName, sortedKeys(refs))
		}
	}
	// The credentials Secret is mounted whole; the scripts read its keys (`secret KEY`).
	scriptKeys := d.scriptSecretKeys()
	for name := range refs {
		refs[name] = append(append(refs[name], "root-password", "replication-password", "backup-password"), scriptKeys...)
	}
	for _, name := range sortedKeys(refs) {
		if _, err := d.c.Kubectl(d.ctx, nil, "get", "secret", name, "-n", d.NS); err == nil {
			// Another cluster's, which this one shares (a restored copy uses the
			// old cluster's credentials): kept as it is.
			t.Logf("prepare: Secret %s/%s exists: kept", d.NS, name)
			continue
		}
		keys := map[string]bool{}
		args := []string{"create", "secret", "generic", name}
		for _, k := range refs[name] {
			if !keys[k] {
				keys[k] = true
				args = append(args, "--from-literal="+k+"="+k+"-"+randomHex(t, 8))
			}
		}
		d.kubectl(t, nil, args...)
		t.Logf("prepare: Secret %s/%s with keys %v", d.NS, name, sortedKeys(keys))
	}
}

// storageClass is the class of the pre-made PVs: no provisioner, and WaitForFirstConsumer
// binding, as kind's default local-path class has. With Immediate binding the scheduler turns a
// pod away while the PV controller has not yet bound its new claim ("unbound immediate
// PersistentVolumeClaims") and relies on the claim's update event to retry it; should that
// retry be lost, the pod waits for the scheduler's five-minute flush of unschedulable pods,
// past a rollout's timeout. With WaitForFirstConsumer the scheduler picks the PV itself while
// it places the pod, and nothing waits on that event.
func storageClass(name, annotations string) string {
	return fmt.Sprintf("---\napiVersion: storage.k8s.io/v1\nkind: StorageClass\nmetadata: {name: %s, annotations: %s}\nprovisioner: kubernetes.io/no-provisioner\nreclaimPolicy: Retain\nvolumeBindingMode: WaitForFirstConsumer\n", name, annotations)
}

// prepareClaimObjects adds, for each PersistentVolumeClaim the render holds (spec.backup's
// claim), one PersistentVolume bound to it by claimRef, and its class if none was made yet.
func (d *Deployment) prepareClaimObjects(t *testing.T, b *strings.Builder, classes map[string]bool) {
	t.Helper()
	for _, o := range d.Objs {
		if o.Kind() != "PersistentVolumeClaim" {
			continue
		}
		var pvc struct {
			Spec struct {
				AccessModes      []string  `json:"accessModes"`
				StorageClassName *string   `json:"storageClassName"`
				Resources        Resources `json:"resources"`
			} `json:"spec"`
		}
		must(t, o.Into(&pvc))
		class, annotations := "standard", `{storageclass.kubernetes.io/is-default-class: "true"}`
		if pvc.Spec.StorageClassName != nil {
			class, annotations = *pvc.Spec.StorageClassName, "{}"
		}
		if !classes[class] {
			classes[class] = true
			b.WriteString(storageClass(class, annotations))
		}
		modesJSON, _ := json.Marshal(pvc.Spec.AccessModes)
		fmt.Fprintf(b, `---
apiVersion: v1
kind: PersistentVolume
metadata: {name: %[1]s-%[2]s-pv, labels: {mysqlgen-e2e: "true"}}
spec:
  storageClassName: %[3]s
  capacity: {storage: %[4]s}
  accessModes: %[5]s
  persistentVolumeReclaimPolicy: Retain
  claimRef: {namespace: %[1]s, name: %[2]s}
  hostPath: {path: /var/tmp/mysqlgen-e2e/%[1]s/%[2]s, type: DirectoryOrCreate}
`, d.NS, o.Name(), class, pvc.Spec.Resources.Requests["storage"], modesJSON)
		t.Logf("prepare: a PersistentVolume of class %s for the rendered claim %s", class, o.Name())
	}
}

// secretRefs returns the Secrets the rendered StatefulSet's pods use (volumes, env, envFrom),
// with the keys they name.
func (d *Deployment) secretRefs() map[string][]string {
	refs := map[string][]string{}
	sts := findObject(d.Objs, "StatefulSet", d.Name)
	var walk func(v any)
	walk = func(v any) {
		switch x := v.(type) {
		case map[string]any:
			if sec, ok := x["secret"].(map[string]any); ok { // volume
				if n, ok := sec["secretName"].(string); ok {
					refs[n] = append(refs[n], itemKeys(sec)...)
				}
			}
			if sec, ok := x["secretRef"].(map[string]any); ok { // envFrom
				if n, ok := sec["name"].(string); ok {
					if _, seen := refs[n]; !seen {
						refs[n] = nil
					}
				}
			}
			if sec, ok := x["secretKeyRef"].(map[string]any); ok { // env
				if n, ok := sec["name"].(string); ok {
					k, _ := sec["key"].(string)
					refs[n] = append(refs[n], k)
				}
			}
			for _, c := range x {
				walk(c)
			}
		case []any:
			for _, c := range x {
				walk(c)
			}
		}
	}
	walk(sts["spec"])
	return refs
}

var secretCall = regexp.MustCompile(`\$\(secret ([A-Za-z0-9._-]+)\)`)

// scriptSecretKeys returns the Secret keys the rendered scripts read with `$(secret KEY)`.
func (d *Deployment) scriptSecretKeys() []string {
	seen := map[string]bool{}
	for _, o := range d.Objs {
		if o.Kind() != "ConfigMap" {
			continue
		}
		data, _ := o["data"].(map[string]any)
		for _, v := range data {
			s, _ := v.(string)
			for _, m := range secretCall.FindAllStringSubmatch(s, -1) {
				seen[m[1]] = true
			}
		}
	}
	return sortedKeys(seen)
}

func itemKeys(volumeSource map[string]any) []string {
	var keys []string
	items, _ := volumeSource["items"].([]any)
	for _, it := range items {
		if m, ok := it.(map[string]any); ok {
			if k, ok := m["key"].(string); ok {
				keys = append(keys, k)
			}
		}
	}
	return keys
}

// PrepareScheduling makes the cluster what a rendered pod template asks for, as an
// administrator would: the PriorityClass it names, its nodeSelector labels on every node, and
// enough nodes for `replicas` pods under required anti-affinity.
func (d *Deployment) PrepareScheduling(t *testing.T, replicas int) {
	t.Helper()
	var tmpl struct {
		Spec struct {
			Template struct {
				Spec struct {
					PriorityClassName string            `json:"priorityClassName"`
					NodeSelector      map[string]string `json:"nodeSelector"`
				} `json:"spec"`
			} `json:"template"`
		} `json:"spec"`
	}
	must(t, findObject(d.Objs, "StatefulSet", d.Name).Into(&tmpl))
	ps := tmpl.Spec.Template.Spec
	if ps.PriorityClassName != "" {
		if _, err := d.c.Kubectl(d.ctx, nil, "get", "priorityclass", ps.PriorityClassName); err != nil {
			d.c.MustKubectl(t, d.ctx, nil, "create", "priorityclass", ps.PriorityClassName, "--value=1000000")
			t.Logf("prepare: PriorityClass %s created (the pods name it)", ps.PriorityClassName)
		}
	}
	if hasRequiredAntiAffinity(Pod{Spec: d.STS.Spec.Template.Spec}) && d.c.nodes < replicas {
		t.Logf("prepare: the render requires pod anti-affinity; adding %d kwok nodes for %d pods", replicas-d.c.nodes, replicas)
		d.c.AddNodes(t, d.ctx, replicas-d.c.nodes)
	}
	if len(ps.NodeSelector) > 0 {
		args := []string{"label", "nodes", "--all", "--overwrite"}
		for _, k := range sortedKeys(ps.NodeSelector) {
			args = append(args, k+"="+ps.NodeSelector[k])
		}
		d.c.MustKubectl(t, d.ctx, nil, args...)
		t.Logf("prepare: labelled every node with the pods' nodeSelector %v", ps.NodeSelector)
	}
}

// Apply runs `kubectl apply -f` (client-side, as a user would) and logs each object's result.
func (d *Deployment) Apply(t *testing.T, extra ...string) {
	t.Helper()
	args := append([]string{"apply", "-f", d.File}, d.nsFlag...)
	out, err := d.c.Kubectl(d.ctx, nil, append(args, extra...)...)
	for _, l := range strings.Split(strings.TrimSpace(out), "\n") {
		if l != "" {
			t.Logf("apply: %s", l)
		}
	}
	if err != nil {
		t.Fatalf("apply of the render failed: %v", err)
	}
}

func (d *Deployment) GetSTS(t *testing.T) (StatefulSet, error) {
	var s StatefulSet
	err := d.getJSON(&s, "get", "statefulset", d.Name)
	return s, err
}

// WaitRolledOut waits until the StatefulSet has observed its latest generation and has exactly
// `replicas` pods, all Ready, Available and at the update revision.
func (d *Deployment) WaitRolledOut(t *testing.T, replicas int32, timeout time.Duration) StatefulSet {
	t.Helper()
	t0 := time.Now()
	var s StatefulSet
	what := fmt.Sprintf("StatefulSet %s %d/%d Ready", d.Name, replicas, replicas)
	err := d.c.Poll(d.ctx, timeout, func() (bool, string) {
		var err error
		s, err = d.GetSTS(t)
		if err != nil {
			return false, err.Error()
		}
		st := s.Status
		status := fmt.Sprintf("generation %d observed %d, replicas %d ready %d available %d updated %d current %d, revision %s -> %s",
			s.Metadata.Generation, st.ObservedGeneration, st.Replicas, st.ReadyReplicas, st.AvailableReplicas, st.UpdatedReplicas, st.CurrentReplicas, st.CurrentRevision, st.UpdateRevision)
		ok := st.ObservedGeneration >= s.Metadata.Generation && st.Replicas == replicas && st.ReadyReplicas == replicas &&
			st.AvailableReplicas == replicas && st.UpdatedReplicas == replicas && st.CurrentRevision == st.UpdateRevision
		return ok, status + "; " + d.podSummary()
	})
	if err != nil {
		// The claims are listed once, on failure, not at every poll: a pod may wait on one.
		t.Fatalf("timed out after %s waiting for %s: %v; %s", timeout, what, err, d.claimSummary())
	}
	t.Logf("check StatefulSet %s %d/%d Ready: OK after %s (revision %s)", d.Name, replicas, replicas, since(t0), s.Status.UpdateRevision)
	return s
}

func (d *Deployment) Pods(t *testing.T) map[string]Pod {
	t.Helper()
	var l List[Pod]
	if err := d.getJSON(&l, "get", "pods", "-l", d.selector()); err != nil {
		t.Fatal(err)
	}
	m := map[string]Pod{}
	for _, p := range l.Items {
		m[p.Metadata.Name] = p
	}
	return m
}

func (d *Deployment) podSummary() string {
	var l List[Pod]
	if err := d.getJSON(&l, "get", "pods", "-l", d.selector()); err != nil {
		return err.Error()
	}
	var s []string
	for _, p := range l.Items {
		r := "not-ready"
		if p.Ready() {
			r = "ready"
		}
		if p.Metadata.DeletionTimestamp != nil {
			r = "terminating"
		}
		line := fmt.Sprintf("%s %s/%s on %q", p.Metadata.Name, p.Status.Phase, r, p.Spec.NodeName)
		if !p.Ready() {
			// A wait that times out then says why the pod is stuck (unschedulable, unbound claim...).
			line += notTrue(p.Status.Conditions)
		}
		s = append(s, line)
	}
	sort.Strings(s)
	return "pods: " + strings.Join(s, ", ")
}

// notTrue lists the conditions that are not True, with their reasons.
func notTrue(conds []Condition) string {
	var s []string
	for _, c := range conds {
		if c.Status != "True" {
			s = append(s, fmt.Sprintf("%s=%s %s: %s", c.Type, c.Status, c.Reason, c.Message))
		}
	}
	if len(s) == 0 {
		return ""
	}
	return " [" + strings.Join(s, "; ") + "]"
}

// claimSummary gives the phase and volume of every claim in the namespace.
func (d *Deployment) claimSummary() string {
	var l List[PVC]
	if err := d.getJSON(&l, "get", "pvc"); err != nil {
		return err.Error()
	}
	var s []string
	for _, c := range l.Items {
		s = append(s, fmt.Sprintf("%s %s %s", c.Metadata.Name, c.Status.Phase, c.Spec.VolumeName))
	}
	sort.Strings(s)
	return "claims: " + strings.Join(s, ", ")
}

func (d *Deployment) selector() string {
	var parts []string
	for _, k := range sortedKeys(d.STS.Spec.Selector.MatchLabels) {
		parts = append(parts, k+"="+d.STS.Spec.Selector.MatchLabels[k])
	}
	return strings.Join(parts, ",")
}

// CheckPlacement logs where the pods went and, when the render requires pod anti-affinity,
// checks that no two share a node.
func (d *Deployment) CheckPlacement(t *testing.T, replicas int) {
	t.Helper()
	pods := d.Pods(t)
	nodes := map[string]string{}
	var where []string
	for i := 0; i < replicas; i++ {
		name := fmt.Sprintf("%s-%d", d.Name, i)
		p, ok := pods[name]
		if !ok {
			t.Errorf("placement: pod %s missing", name)
			continue
		}
		where = append(where, name+"→"+p.Spec.NodeName)
		if other, dup := nodes[p.Spec.NodeName]; dup && hasRequiredAntiAffinity(p) {
			t.Errorf("placement: pods %s and %s share node %s despite required anti-affinity", other, name, p.Spec.NodeName)
		}
		nodes[p.Spec.NodeName] = name
	}
	t.Logf("check placement: %s (%d nodes)", strings.Join(where, ", "), len(nodes))
}

func hasRequiredAntiAffinity(p Pod) bool {
	a := p.Spec.Affinity
	return a != nil && a.PodAntiAffinity != nil && len(a.PodAntiAffinity.Required) > 0
}

// CheckPVCs checks that every claim template's PVC for ordinals [0, n) is Bound.
func (d *Deployment) CheckPVCs(t *testing.T, n int) {
	t.Helper()
	var names []string
	for _, vct := range d.STS.Spec.VolumeClaimTemplates {
		for i := 0; i < n; i++ {
			names = append(names, fmt.Sprintf("%s-%s-%d", vct.Metadata.Name, d.Name, i))
		}
	}
	var bound []string
	err := d.c.Poll(d.ctx, 60*time.Second, func() (bool, string) {
		bound = bound[:0]
		var missing []string
		for _, name := range names {
			var pvc PVC
			if err := d.getJSON(&pvc, "get", "pvc", name); err != nil {
				missing = append(missing, name+": "+err.Error())
				continue
			}
			if pvc.Status.Phase != "Bound" {
				missing = append(missing, name+": "+pvc.Status.Phase)
				continue
			}
			bound = append(bound, name+"→"+pvc.Spec.VolumeName)
		}
		return len(missing) == 0, strings.Join(missing, "; ")
	})
	if err != nil {
		t.Errorf("PVCs not all Bound: %v", err)
		return
	}
	t.Logf("check PVCs Bound: OK (%s)", strings.Join(bound, ", "))
}

// readyEndpoints returns the pod names that the EndpointSlices of service list as ready.
func (d *Deployment) readyEndpoints(service string) ([]string, error) {
	var l List[EndpointSlice]
	if err := d.getJSON(&l, "get", "endpointslices", "-l", "kubernetes.io/service-name="+service); err != nil {
		return nil, err
	}
	var names []string
	for _, s := range l.Items {
		for _, e := range s.Endpoints {
			if e.Conditions.Ready != nil && !*e.Conditions.Ready {
				continue
			}
			n := strings.Join(e.Addresses, ",")
			if e.TargetRef != nil {
				n = e.TargetRef.Name
			}
			names = append(names, n)
		}
	}
	sort.Strings(names)
	return names, nil
}

// CheckEndpoints checks that <name>-primary lists only pod d.Primary and <name>-read every Ready
// pod.
func (d *Deployment) CheckEndpoints(t *testing.T, replicas int) {
	t.Helper()
	var all []string
	for i := 0; i < replicas; i++ {
		all = append(all, fmt.Sprintf("%s-%d", d.Name, i))
	}
	sort.Strings(all)
	want := map[string][]string{
		d.Name + "-primary": {fmt.Sprintf("%s-%d", d.Name, d.Primary)},
		d.Name + "-read":    all,
	}
	for _, svc := range []string{d.Name + "-primary", d.Name + "-read"} {
		if findObject(d.Objs, "Service", svc) == nil {
			t.Errorf("endpoints: the render has no Service %s (objects: %s)", svc, kinds(d.Objs))
			continue
		}
		var got []string
		err := d.c.Poll(d.ctx, 60*time.Second, func() (bool, string) {
			var err error
			got, err = d.readyEndpoints(svc)
			if err != nil {
				return false, err.Error()
			}
			return reflect.DeepEqual(got, want[svc]), fmt.Sprintf("ready endpoints %v, want %v", got, want[svc])
		})
		if err != nil {
			t.Errorf("endpoints of Service %s: %v", svc, err)
			continue
		}
		t.Logf("check EndpointSlices of %s: OK %v", svc, got)
	}
}

// CheckPDBs checks the status of every rendered PodDisruptionBudget: all pods expected and
// healthy, and the disruptions allowed that its spec implies.
func (d *Deployment) CheckPDBs(t *testing.T, replicas int32) {
	t.Helper()
	found := false
	for _, o := range d.Objs {
		if o.Kind() != "PodDisruptionBudget" {
			continue
		}
		found = true
		var spec PDB
		must(t, o.Into(&spec))
		var live PDB
		var want int32
		err := d.c.Poll(d.ctx, 60*time.Second, func() (bool, string) {
			if err := d.getJSON(&live, "get", "pdb", o.Name()); err != nil {
				return false, err.Error()
			}
			st := live.Status
			var desired int32
			switch {
			case spec.Spec.MaxUnavailable != nil:
				desired = st.ExpectedPods - scaled(*spec.Spec.MaxUnavailable, st.ExpectedPods)
			case spec.Spec.MinAvailable != nil:
				desired = scaled(*spec.Spec.MinAvailable, st.ExpectedPods)
			}
			want = max(0, st.CurrentHealthy-desired)
			status := fmt.Sprintf("observedGeneration %d/%d expectedPods %d currentHealthy %d desiredHealthy %d disruptionsAllowed %d (want %d)",
				st.ObservedGeneration, live.Metadata.Generation, st.ExpectedPods, st.CurrentHealthy, st.DesiredHealthy, st.DisruptionsAllowed, want)
			return st.ObservedGeneration == live.Metadata.Generation && st.ExpectedPods == replicas && st.CurrentHealthy == replicas &&
				st.DesiredHealthy == desired && st.DisruptionsAllowed == want, status
		})
		if err != nil {
			t.Errorf("PodDisruptionBudget %s: %v", o.Name(), err)
			continue
		}
		t.Logf("check PodDisruptionBudget %s: OK (expectedPods %d, currentHealthy %d, desiredHealthy %d, disruptionsAllowed %d)",
			o.Name(), live.Status.ExpectedPods, live.Status.CurrentHealthy, live.Status.DesiredHealthy, live.Status.DisruptionsAllowed)
	}
	if !found {
		t.Logf("check PodDisruptionBudget: none rendered")
	}
}

// scaled resolves an int-or-percent against total, rounding up as the disruption controller does.
func scaled(raw json.RawMessage, total int32) int32 {
	var n int32
	if json.Unmarshal(raw, &n) == nil {
		return n
	}
	var s string
	_ = json.Unmarshal(raw, &s)
	p, _ := strconv.Atoi(strings.TrimSuffix(s, "%"))
	return int32(math.Ceil(float64(p) * float64(total) / 100))
}

// Scale runs kubectl scale.
func (d *Deployment) Scale(t *testing.T, replicas int) {
	t.Helper()
	out := d.kubectl(t, nil, "scale", "statefulset/"+d.Name, "--replicas="+strconv.Itoa(replicas))
	t.Logf("scale: %s", strings.TrimSpace(out))
}

// WaitPodsGone waits until only ordinals [0, n) are left.
func (d *Deployment) WaitPodsGone(t *testing.T, n int) {
	t.Helper()
	d.c.WaitFor(t, d.ctx, fmt.Sprintf("only pods 0..%d of %s", n-1, d.Name), 2*time.Minute, func() (bool, string) {
		pods := d.Pods(t)
		for name := range pods {
			ord, err := strconv.Atoi(strings.TrimPrefix(name, d.Name+"-"))
			if err == nil && ord >= n {
				return false, d.podSummary()
			}
		}
		return len(pods) == n, d.podSummary()
	})
}

// CheckPVCsAfterScaleDown checks ordinals [from, to) against the rendered whenScaled policy.
func (d *Deployment) CheckPVCsAfterScaleDown(t *testing.T, from, to int) {
	t.Helper()
	policy := "Retain"
	if p := d.STS.Spec.PersistentVolumeClaimRetentionPolicy; p != nil && p.WhenScaled != "" {
		policy = p.WhenScaled
	}
	for _, vct := range d.STS.Spec.VolumeClaimTemplates {
		for i := from; i < to; i++ {
			name := fmt.Sprintf("%s-%s-%d", vct.Metadata.Name, d.Name, i)
			err := d.c.Poll(d.ctx, 60*time.Second, func() (bool, string) {
				var pvc PVC
				err := d.getJSON(&pvc, "get", "pvc", name)
				exists := err == nil && pvc.Metadata.DeletionTimestamp == nil
				if policy == "Delete" {
					return !exists, fmt.Sprintf("PVC %s still exists (whenScaled: Delete)", name)
				}
				return exists && pvc.Status.Phase == "Bound", fmt.Sprintf("PVC %s: exists=%v phase=%s err=%v (whenScaled: Retain)", name, exists, pvc.Status.Phase, err)
			})
			if err != nil {
				t.Errorf("scale down: %v", err)
				continue
			}
			if policy == "Delete" {
				t.Logf("check PVC %s after scale-down: deleted, as whenScaled: Delete says", name)
			} else {
				t.Logf("check PVC %s after scale-down: kept and Bound, as whenScaled: %s says", name, policy)
			}
		}
	}
}

// Generations returns metadata.generation and resourceVersion of every rendered object, live.
func (d *Deployment) Generations(t *testing.T) map[string][2]string {
	t.Helper()
	var l List[struct {
		Kind     string `json:"kind"`
		Metadata Meta   `json:"metadata"`
	}]
	args := append([]string{"get", "-f", d.File, "-o", "json"}, d.nsFlag...)
	if err := d.c.GetJSON(d.ctx, &l, args...); err != nil {
		t.Fatal(err)
	}
	m := map[string][2]string{}
	for _, it := range l.Items {
		m[it.Kind+"/"+it.Metadata.Name] = [2]string{strconv.FormatInt(it.Metadata.Generation, 10), it.Metadata.ResourceVersion}
	}
	return m
}
