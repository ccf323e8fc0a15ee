//go:build cluster

package cluster

import (
	"fmt"
	"os/exec"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"
)

// TestSwitchover is issue 13's control-plane proof of a planned switchover: the default render
// (primary 0) is applied and rolled out, then the same spec with spec.primary: 1. The -primary
// Service's EndpointSlice must list exactly ordinal 0 before and exactly ordinal 1 after, the
// PodDisruptionBudget must still hold, only the objects the primary names may change, and the
// switchover's render must apply with zero drift. The pods that roll, and in which order, are
// checked against what the StatefulSet controller does with a changed pod template.
func TestSwitchover(t *testing.T) {
	c := StartCluster(t, Options{Nodes: 3})
	ctx := testContext(t)
	spec := rolloutSpec("sw", "mysql", "8.0")
	d := NewDeployment(t, c, ctx, "switchover", renderSpec(t, spec.YAML()))
	d.Prepare(t, spec.Secret, 3)
	d.Apply(t)
	before := d.WaitRolledOut(t, 3, 3*time.Minute)
	d.CheckEndpoints(t, 3)
	d.checkPrimarySlice(t, 0)
	d.CheckPDBs(t, 3)
	oldPods := d.Pods(t)

	one := 1
	spec.Primary = &one
	sw := d.With(t, renderSpec(t, spec.YAML()))
	sw.Primary = 1
	sw.checkChangedObjects(t, "Service/sw-primary", "StatefulSet/sw")

	w := c.WatchPods(t, sw.NS, sw.selector())
	mark := w.Mark()
	t0 := time.Now()
	tl := sw.startPrimaryTimeline(oldPods)
	sw.Apply(t)
	after := sw.WaitRolledOut(t, 3, 5*time.Minute)
	t.Logf("switchover: StatefulSet rolled out in %s, revision %s -> %s", since(t0), before.Status.UpdateRevision, after.Status.UpdateRevision)
	sw.CheckEndpoints(t, 3)
	sw.checkPrimarySlice(t, 1)
	tl.stop(t)
	tl.check(t, sw.Name+"-0", sw.Name+"-1")
	sw.CheckPDBs(t, 3)
	w.CheckDeletionOrder(t, mark, sw.Name+"-2", sw.Name+"-1", sw.Name+"-0")
	sw.checkRolled(t, oldPods, after.Status.UpdateRevision)
	sw.CheckNoDrift(t)
}

// checkChangedObjects runs `kubectl diff` of this render against the live objects (applied from
// another render) and checks that exactly the objects named would change: what a GitOps tool
// shows for the commit.
func (d *Deployment) checkChangedObjects(t *testing.T, want ...string) {
	t.Helper()
	args := append([]string{"diff", "-f", d.File}, d.nsFlag...)
	out, stderr, err := d.c.KubectlFull(d.ctx, nil, args...)
	if err == nil {
		t.Errorf("switchover: `kubectl diff` of the new render shows no change")
		return
	}
	if ee, ok := err.(*exec.ExitError); !ok || ee.ExitCode() != 1 {
		t.Fatalf("kubectl diff: %v: %s", err, stderr)
	}
	var got, lines []string
	for _, l := range strings.Split(out, "\n") {
		switch {
		case strings.HasPrefix(l, "+++ "):
			// "+++ <dir>/[<group>.]<version>.<Kind>.<namespace>.<name>	<time>" (kubectl diff)
			f := strings.Fields(l)
			parts := strings.SplitN(f[1][strings.LastIndex(f[1], "/")+1:], ".", 6)
			for i := 1; i+2 < len(parts); i++ {
				if parts[i+1] == d.NS {
					got = append(got, parts[i]+"/"+strings.Join(parts[i+2:], "."))
					break
				}
			}
		case (strings.HasPrefix(l, "+") || strings.HasPrefix(l, "-")) && !strings.HasPrefix(l, "---") &&
			!strings.Contains(l, "generation:") && len(l) < 200: // not the last-applied annotation
			lines = append(lines, strings.TrimSpace(l))
		}
	}
	sort.Strings(got)
	sort.Strings(want)
	if strings.Join(got, ",") != strings.Join(want, ",") {
		t.Errorf("switchover: `kubectl diff` changes %v, want only %v:\n%s", got, want, firstLines(out, 120))
		return
	}
	t.Logf("check kubectl diff of the switchover: OK, changes only %v: %s", got, strings.Join(lines, " | "))
}

// checkPrimarySlice checks that the -primary Service's EndpointSlices list exactly one endpoint,
// ready or not: the pod of ordinal `ordinal`, whose pod-index label and IP agree.
func (d *Deployment) checkPrimarySlice(t *testing.T, ordinal int) {
	t.Helper()
	svc := d.Name + "-primary"
	want := fmt.Sprintf("%s-%d", d.Name, ordinal)
	var got []sliceEndpoint
	err := d.c.Poll(d.ctx, 60*time.Second, func() (bool, string) {
		var err error
		if got, err = d.sliceEndpoints(svc); err != nil {
			return false, err.Error()
		}
		return len(got) == 1 && got[0].pod == want && got[0].ready, fmt.Sprintf("endpoints %v, want exactly %s ready", got, want)
	})
	if err != nil {
		t.Errorf("EndpointSlices of %s: %v", svc, err)
		return
	}
	p, ok := d.Pods(t)[want]
	switch {
	case !ok:
		t.Errorf("EndpointSlices of %s list %s, which is not a pod of the cluster", svc, want)
	case p.Metadata.Labels["apps.kubernetes.io/pod-index"] != fmt.Sprint(ordinal):
		t.Errorf("pod %s has pod-index label %q, want %d", want, p.Metadata.Labels["apps.kubernetes.io/pod-index"], ordinal)
	case got[0].addr != p.Status.PodIP:
		t.Errorf("EndpointSlices of %s give address %s for %s, whose IP is %s", svc, got[0].addr, want, p.Status.PodIP)
	default:
		t.Logf("check EndpointSlices of %s: OK, exactly %s (pod-index %d, %s)", svc, want, ordinal, p.Status.PodIP)
	}
}

// sliceEndpoint is one endpoint of a Service's EndpointSlices.
type sliceEndpoint struct {
	pod, uid, addr, hostname string
	ready                    bool
}

func (e sliceEndpoint) String() string {
	r := "ready"
	if !e.ready {
		r = "not-ready"
	}
	return e.pod + "(" + r + ")"
}

// sliceEndpoints lists every endpoint of service's EndpointSlices, ready or not, sorted by pod.
func (d *Deployment) sliceEndpoints(service string) ([]sliceEndpoint, error) {
	var l List[struct {
		Endpoints []struct {
			Addresses  []string `json:"addresses"`
			Hostname   string   `json:"hostname"`
			Conditions struct {
				Ready *bool `json:"ready"`
			} `json:"conditions"`
			TargetRef *struct {
				Name string `json:"name"`
				UID  string `json:"uid"`
			} `json:"targetRef"`
		} `json:"endpoints"`
	}]
	if err := d.getJSON(&l, "get", "endpointslices", "-l", "kubernetes.io/service-name="+service); err != nil {
		return nil, err
	}
	var out []sliceEndpoint
	for _, s := range l.Items {
		for _, e := range s.Endpoints {
			// A nil ready condition means ready (discovery.k8s.io/v1 EndpointConditions).
			ep := sliceEndpoint{addr: strings.Join(e.Addresses, ","), hostname: e.Hostname, ready: e.Conditions.Ready == nil || *e.Conditions.Ready}
			if e.TargetRef != nil {
				ep.pod, ep.uid = e.TargetRef.Name, e.TargetRef.UID
			}
			out = append(out, ep)
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].pod < out[j].pod })
	return out, nil
}

// primaryTimeline samples the -primary Service's endpoints during a rollout, each with whether it
// is a pod from before the rollout (old) or a replacement (new).
type primaryTimeline struct {
	d       *Deployment
	old     map[string]Pod
	t0      time.Time
	done    chan struct{}
	wg      sync.WaitGroup
	mu      sync.Mutex
	samples []string // distinct consecutive states, "+1.2s sw-1(new,ready)"
	states  [][]sliceEndpoint
	at      []time.Duration
	errs    []string
}

func (d *Deployment) startPrimaryTimeline(old map[string]Pod) *primaryTimeline {
	tl := &primaryTimeline{d: d, old: old, t0: time.Now(), done: make(chan struct{})}
	tl.wg.Add(1)
	go func() {
		defer tl.wg.Done()
		last := "(none yet)"
		for {
			eps, err := d.sliceEndpoints(d.Name + "-primary")
			tl.mu.Lock()
			if err != nil {
				tl.errs = append(tl.errs, err.Error())
			} else if s := tl.describe(eps); s != last {
				last = s
				tl.samples = append(tl.samples, fmt.Sprintf("+%s %s", since(tl.t0), s))
				tl.states = append(tl.states, eps)
				tl.at = append(tl.at, time.Since(tl.t0))
			}
			tl.mu.Unlock()
			select {
			case <-tl.done:
				return
			case <-time.After(250 * time.Millisecond):
			}
		}
	}()
	return tl
}

func (tl *primaryTimeline) describe(eps []sliceEndpoint) string {
	if len(eps) == 0 {
		return "none"
	}
	var s []string
	for _, e := range eps {
		gen := "new"
		if p, ok := tl.old[e.pod]; ok && p.Metadata.UID == e.uid {
			gen = "old"
		}
		r := "ready"
		if !e.ready {
			r = "not-ready"
		}
		s = append(s, fmt.Sprintf("%s(%s,%s)", e.pod, gen, r))
	}
	return strings.Join(s, ",")
}

func (tl *primaryTimeline) stop(t *testing.T) {
	close(tl.done)
	tl.wg.Wait()
	tl.mu.Lock()
	defer tl.mu.Unlock()
	t.Logf("switchover: -primary endpoints during the rollout: %s", strings.Join(tl.samples, "; "))
	if len(tl.errs) > 0 {
		t.Logf("switchover: %d samples failed, first: %s", len(tl.errs), tl.errs[0])
	}
}

// check fails unless the samples show the old primary (from before the apply reached the
// endpointslice controller) and then only `want`, never another pod and never the old one again.
func (tl *primaryTimeline) check(t *testing.T, oldPrimary, want string) {
	t.Helper()
	tl.mu.Lock()
	defer tl.mu.Unlock()
	switched := false
	wrong := 0
	for i, eps := range tl.states {
		for _, e := range eps {
			if e.pod != oldPrimary {
				switched = true
			}
		}
		if len(eps) == 0 {
			switched = true
		}
		for _, e := range eps {
			if (switched && e.pod != want) || (!switched && e.pod != oldPrimary) {
				wrong++
				t.Errorf("switchover: -primary listed %s (%s), want %s before the switch and only %s after", e.pod, tl.samples[i], oldPrimary, want)
			}
		}
	}
	if wrong == 0 {
		t.Logf("check -primary during the rollout: OK, %s, then only %s", oldPrimary, want)
	}
	// The control plane's share of the time writes cannot succeed: from the switch of the Service
	// until it lists the replacement pod of the new primary, Ready. Meanwhile it lists the old pod
	// of that ordinal (still a read-only replica), or nothing while it is replaced.
	var switchAt, readyAt time.Duration = -1, -1
	for i, eps := range tl.states {
		for _, e := range eps {
			if switchAt < 0 && e.pod == want {
				switchAt = tl.at[i]
			}
			if readyAt < 0 && e.pod == want && e.ready && tl.describe([]sliceEndpoint{e}) == want+"(new,ready)" {
				readyAt = tl.at[i]
			}
		}
	}
	if readyAt < 0 {
		t.Errorf("switchover: -primary never listed a replaced, Ready %s while sampled", want)
		return
	}
	t.Logf("switchover: -primary switched to %s at +%s (sampled every 250ms), its replacement pod Ready at +%s: %s without a writable target on this control plane (kwok pods are Ready at once; real pods add their start-up)",
		want, switchAt.Round(10*time.Millisecond), readyAt.Round(10*time.Millisecond), (readyAt - switchAt).Round(10*time.Millisecond))
}

// checkRolled checks that every pod was replaced (new UID) and runs the update revision, and
// reports what the StatefulSet controller did.
func (d *Deployment) checkRolled(t *testing.T, old map[string]Pod, revision string) {
	t.Helper()
	now := d.Pods(t)
	var rolled, kept []string
	for _, n := range sortedKeys(now) {
		p := now[n]
		if p.Metadata.Labels["controller-revision-hash"] != revision {
			t.Errorf("switchover: pod %s is at revision %s, want %s", n, p.Metadata.Labels["controller-revision-hash"], revision)
		}
		if o, ok := old[n]; ok && o.Metadata.UID == p.Metadata.UID {
			kept = append(kept, n)
		} else {
			rolled = append(rolled, n)
		}
	}
	// spec.primary is in every container's environment (MYSQLGEN_PRIMARY_ORDINAL): the pod
	// template changes, so the controller replaces every pod, not only the two that change role.
	if len(kept) > 0 || len(rolled) != 3 {
		t.Errorf("switchover: pods replaced %v, kept %v; the render changes the pod template, so all 3 must roll", rolled, kept)
		return
	}
	t.Logf("check pods rolled: OK, all replaced %v (the pod template changes: MYSQLGEN_PRIMARY_ORDINAL in every container)", rolled)
}
