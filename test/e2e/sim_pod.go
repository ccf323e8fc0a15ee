//go:build e2e

package e2e

import (
	"encoding/json"
	"fmt"
	"io"
	"maps"
	"os"
	"os/exec"
	"path"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/resource"
)

// pod is one incarnation of a StatefulSet pod and the kubelet that runs it.
type pod struct {
	c      *cluster
	ord    int
	name   string
	inst   int // incarnation number, unique in the run
	uid    string
	ip     string
	dir    string // this incarnation's files: volumes, hosts, roots
	logDir string
	spec   corev1.PodSpec
	labels map[string]string
	job    bool // a Job's pod (restartPolicy Never), not a member
	code   int  // a Job pod's exit: its last container's, or a failed init's

	sandbox    *exec.Cmd
	sandboxPid int
	hostsPath  string
	volumes    map[string]string // volume name -> host directory

	mu         sync.Mutex
	up         bool // sandbox running
	initDone   bool
	containers map[string]*ctr
	order      []string // regular containers in spec order
	delReq     chan struct{}
	delOnce    sync.Once
	grace      time.Duration
	done       chan struct{}
	createdAt  time.Time
	readySince time.Time
}

// ctr is one container of a pod with its state as the kubelet sees it.
type ctr struct {
	spec      *corev1.Container
	init      bool
	sidecar   bool // init container with restartPolicy Always
	env       []string
	argv      []string
	uid, gid  int
	groups    []int
	image     *imageProfile
	mu        sync.Mutex
	cmd       *exec.Cmd
	pid       int
	running   bool
	ready     bool
	started   bool // startup probe passed (or none)
	restarts  int
	lastCode  int
	startedAt time.Time
	exited    chan struct{}
	backoff   time.Duration
}

func (c *cluster) newPod(ord int) *pod {
	p := c.newPodFrom(ord, c.podName(ord), &c.sts.Spec.Template)
	go p.run()
	return p
}

// newPodFrom prepares a pod incarnation from a template; the caller holds c.mu.
func (c *cluster) newPodFrom(ord int, name string, tmpl *corev1.PodTemplateSpec) *pod {
	c.instances++
	p := &pod{
		c: c, ord: ord, name: name, inst: c.instances,
		uid:        fmt.Sprintf("%s-%08d", c.id, c.instances),
		ip:         podIP(ord),
		spec:       *tmpl.Spec.DeepCopy(),
		containers: map[string]*ctr{},
		delReq:     make(chan struct{}),
		done:       make(chan struct{}),
		createdAt:  time.Now(),
		volumes:    map[string]string{},
	}
	p.dir = filepath.Join(c.dir, "pods", fmt.Sprintf("%s.%d", name, p.inst))
	p.logDir = filepath.Join(c.dir, "logs", fmt.Sprintf("%s.%d", name, p.inst))
	p.labels = maps.Clone(tmpl.Labels)
	if p.labels == nil {
		p.labels = map[string]string{}
	}
	if tmpl == &c.sts.Spec.Template {
		p.labels["statefulset.kubernetes.io/pod-name"] = name
		p.labels["apps.kubernetes.io/pod-index"] = strconv.Itoa(ord)
	}
	p.grace = 30 * time.Second
	if g := p.spec.TerminationGracePeriodSeconds; g != nil {
		p.grace = time.Duration(*g) * time.Second
	}
	return p
}

func (p *pod) record(e event) {
	e.Pod, e.Inst = p.name, p.inst
	p.c.record(e)
}

func (p *pod) deleting() bool {
	select {
	case <-p.delReq:
		return true
	default:
		return false
	}
}

// delete requests termination with the pod's grace period.
func (p *pod) delete() { p.deleteWithGrace(0) }

func (p *pod) deleteWithGrace(grace time.Duration) {
	p.delOnce.Do(func() {
		p.mu.Lock()
		if grace > 0 && grace < p.grace {
			p.grace = grace
		}
		p.mu.Unlock()
		p.record(event{Kind: "deleting"})
		close(p.delReq)
	})
}

func (p *pod) sandboxUp() bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.up
}

// isReady is the pod's Ready condition: init done and every container ready.
func (p *pod) isReady() bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	if !p.initDone || p.deleting() {
		return false
	}
	for _, c := range p.containers {
		if c.init && !c.sidecar {
			continue
		}
		c.mu.Lock()
		r := c.running && c.ready
		c.mu.Unlock()
		if !r {
			return false
		}
	}
	return true
}

func (p *pod) summary() string {
	p.mu.Lock()
	defer p.mu.Unlock()
	s := fmt.Sprintf("%s/%d", p.name, p.inst)
	switch {
	case p.deleting():
		s += " Terminating"
	case !p.initDone:
		s += " Init"
	default:
		s += " Running"
	}
	for _, n := range p.order {
		c := p.containers[n]
		c.mu.Lock()
		s += fmt.Sprintf(" %s(running=%v ready=%v restarts=%d)", n, c.running, c.ready, c.restarts)
		c.mu.Unlock()
	}
	return s
}

// setDNS applies the cluster DNS state (one byte per ordinal) to this
// pod's hosts file in place.
func (p *pod) setDNS(state []byte) {
	p.mu.Lock()
	hosts, up := p.hostsPath, p.up
	p.mu.Unlock()
	if hosts == "" || !up {
		return
	}
	f, err := os.OpenFile(hosts, os.O_WRONLY, 0)
	if err != nil {
		return
	}
	defer f.Close()
	cur, _ := os.ReadFile(hosts)
	for ord, b := range state {
		off := p.c.hostsSlotOffset(p, ord)
		if int(off) < len(cur) && cur[off] != b {
			_, _ = f.WriteAt([]byte{b}, off)
		}
	}
}

// run is the kubelet's life cycle of this pod incarnation.
func (p *pod) run() {
	defer close(p.done)
	p.record(event{Kind: "created"})
	defer p.teardown()
	if err := p.setup(); err != nil {
		p.record(event{Kind: "failed", Detail: err.Error()})
		if p.job {
			p.code = -1
			return
		}
		<-p.delReq
		return
	}
	if p.job {
		p.runOnce()
		return
	}
	for i := range p.spec.InitContainers {
		cs := &p.spec.InitContainers[i]
		c := p.containers[cs.Name]
		if c.sidecar {
			go p.keepRunning(c)
			if !p.waitStarted(c) {
				p.terminate()
				return
			}
			continue
		}
		if !p.runInit(c) {
			p.terminate()
			return
		}
	}
	p.mu.Lock()
	p.initDone = true
	p.mu.Unlock()
	for _, n := range p.order {
		c := p.containers[n]
		go p.keepRunning(c)
		if ls := c.spec.Lifecycle; ls != nil && ls.PostStart != nil && ls.PostStart.Exec != nil {
			// The kubelet starts the next container only after postStart.
			for !c.isRunning() && !p.deleting() {
				time.Sleep(50 * time.Millisecond)
			}
			p.execHook(c, ls.PostStart.Exec.Command, "postStart")
		}
	}
	<-p.delReq
	p.terminate()
}

// runOnce is a Job pod's life (restartPolicy Never): each init container
// once, in order, the first failure failing the pod; then the containers,
// until they exit or the pod is deleted. p.code is the result.
func (p *pod) runOnce() {
	for i := range p.spec.InitContainers {
		c := p.containers[p.spec.InitContainers[i].Name]
		code, err := p.startAndWait(c, nil)
		if err != nil || code != 0 {
			p.code = code
			if err != nil {
				p.code = -1
				p.record(event{Container: c.spec.Name, Kind: "start-failed", Detail: err.Error()})
			}
			return
		}
	}
	p.mu.Lock()
	p.initDone = true
	p.mu.Unlock()
	codes := make(chan int, len(p.order))
	for _, n := range p.order {
		go func(c *ctr) {
			code, err := p.startAndWait(c, nil)
			if err != nil {
				code = -1
			}
			codes <- code
		}(p.containers[n])
	}
	for range p.order {
		select {
		case p.code = <-codes:
		case <-p.delReq:
			p.terminate()
			p.code = -1
			return
		}
	}
}

func (c *ctr) isRunning() bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.running
}

// setup creates the sandbox (namespaces, hostname, network, hosts file)
// and the volumes, and prepares every container's config.
func (p *pod) setup() error {
	for _, d := range []string{p.dir, p.logDir, filepath.Join(p.dir, "volumes"), filepath.Join(p.dir, "roots")} {
		if err := os.MkdirAll(d, 0o755); err != nil {
			return err
		}
	}
	sb, err := p.c.startPause(p.name, syscall.CLONE_NEWUTS|syscall.CLONE_NEWNET|syscall.CLONE_NEWIPC)
	if err != nil {
		return err
	}
	hosts := filepath.Join(p.dir, "hosts")
	if err := os.WriteFile(hosts, p.c.hostsFile(p), 0o644); err != nil {
		return err
	}
	p.mu.Lock()
	p.sandbox, p.sandboxPid, p.hostsPath = sb, sb.Process.Pid, hosts
	p.up = true
	p.mu.Unlock()
	if err := p.c.attach(p); err != nil {
		return err
	}
	if err := os.WriteFile(filepath.Join(p.dir, "hostname"), []byte(p.name+"\n"), 0o644); err != nil {
		return err
	}
	resolv := fmt.Sprintf("search %s.svc.cluster.local svc.cluster.local cluster.local\noptions ndots:5\n", p.c.ns)
	if err := os.WriteFile(filepath.Join(p.dir, "resolv.conf"), []byte(resolv), 0o644); err != nil {
		return err
	}
	if err := p.setupVolumes(); err != nil {
		return err
	}
	for i := range p.spec.InitContainers {
		cs := &p.spec.InitContainers[i]
		c, err := p.newCtr(cs, true)
		if err != nil {
			return err
		}
		c.sidecar = cs.RestartPolicy != nil && *cs.RestartPolicy == corev1.ContainerRestartPolicyAlways
		p.containers[cs.Name] = c
	}
	for i := range p.spec.Containers {
		cs := &p.spec.Containers[i]
		c, err := p.newCtr(cs, false)
		if err != nil {
			return err
		}
		p.containers[cs.Name] = c
		p.order = append(p.order, cs.Name)
	}
	return nil
}

func int64Val(p *int64) (int, bool) {
	if p == nil {
		return 0, false
	}
	return int(*p), true
}

// newCtr resolves a container's image, user, environment and command line
// the way the kubelet and the container runtime do.
func (p *pod) newCtr(cs *corev1.Container, init bool) (*ctr, error) {
	img := p.c.images[cs.Image]
	c := &ctr{spec: cs, init: init, image: img}
	psc := p.spec.SecurityContext
	if psc == nil {
		psc = &corev1.PodSecurityContext{}
	}
	csc := cs.SecurityContext
	if csc == nil {
		csc = &corev1.SecurityContext{}
	}
	uid := img.User
	if v, ok := int64Val(psc.RunAsUser); ok {
		uid = v
	}
	if v, ok := int64Val(csc.RunAsUser); ok {
		uid = v
	}
	gid := 0
	if u, ok := img.Users[uid]; ok {
		gid = u.GID
	}
	if v, ok := int64Val(psc.RunAsGroup); ok {
		gid = v
	}
	if v, ok := int64Val(csc.RunAsGroup); ok {
		gid = v
	}
	groups := []int{}
	if v, ok := int64Val(psc.FSGroup); ok {
		groups = append(groups, v)
	}
	for _, g := range psc.SupplementalGroups {
		groups = append(groups, int(g))
	}
	c.uid, c.gid = p.c.ids.uid(uid), p.c.ids.gid(gid)
	for _, g := range groups {
		c.groups = append(c.groups, p.c.ids.gid(g))
	}
	home := "/"
	if u, ok := img.Users[uid]; ok {
		home = u.Home
	}

	kenv, err := p.kubeEnv(cs)
	if err != nil {
		return nil, fmt.Errorf("container %s: %w", cs.Name, err)
	}
	lookup := map[string]string{}
	for _, kv := range kenv {
		lookup[kv[0]] = kv[1]
	}
	// Runtime order (containerd CRI): HOSTNAME, the image's ENV, then the
	// container's env, a later value replacing an earlier one in place.
	var env []string
	idx := map[string]int{}
	set := func(k, v string) {
		if i, ok := idx[k]; ok {
			env[i] = k + "=" + v
			return
		}
		idx[k] = len(env)
		env = append(env, k+"="+v)
	}
	set("HOSTNAME", p.name)
	for _, kv := range img.Env {
		k, v, _ := strings.Cut(kv, "=")
		set(k, v)
	}
	for _, kv := range kenv {
		set(kv[0], kv[1])
	}
	if _, ok := idx["HOME"]; !ok {
		set("HOME", home)
	}
	c.env = env

	look := func(n string) (string, bool) { v, ok := lookup[n]; return v, ok }
	for _, a := range cs.Command {
		c.argv = append(c.argv, expandKube(a, look))
	}
	for _, a := range cs.Args {
		c.argv = append(c.argv, expandKube(a, look))
	}
	if len(cs.Command) == 0 {
		return nil, fmt.Errorf("container %s: no command: the image's entrypoint cannot be simulated", cs.Name)
	}
	return c, nil
}

// kubeEnv is the kubelet's makeEnvironmentVariables: envFrom and env in
// order with $(VAR) expansion, then the Service link variables not set.
func (p *pod) kubeEnv(cs *corev1.Container) ([][2]string, error) {
	var out [][2]string
	tmp := map[string]string{}
	svcEnv := p.serviceEnv()
	put := func(k, v string) {
		for i := range out {
			if out[i][0] == k {
				out[i][1] = v
				tmp[k] = v
				return
			}
		}
		out = append(out, [2]string{k, v})
		tmp[k] = v
	}
	for _, ef := range cs.EnvFrom {
		var data map[string]string
		switch {
		case ef.ConfigMapRef != nil:
			cm, ok := p.c.m.ConfigMaps[ef.ConfigMapRef.Name]
			if !ok {
				if ef.ConfigMapRef.Optional != nil && *ef.ConfigMapRef.Optional {
					continue
				}
				return nil, fmt.Errorf("configmap %q not found", ef.ConfigMapRef.Name)
			}
			data = cm.Data
		case ef.SecretRef != nil:
			s, ok := p.c.secrets[ef.SecretRef.Name]
			if !ok {
				if ef.SecretRef.Optional != nil && *ef.SecretRef.Optional {
					continue
				}
				return nil, fmt.Errorf("secret %q not found", ef.SecretRef.Name)
			}
			data = secretData(s)
		}
		keys := make([]string, 0, len(data))
		for k := range data {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		for _, k := range keys {
			put(ef.Prefix+k, data[k])
		}
	}
	look := func(n string) (string, bool) {
		if v, ok := tmp[n]; ok {
			return v, true
		}
		v, ok := svcEnv[n]
		return v, ok
	}
	for _, e := range cs.Env {
		if e.ValueFrom == nil {
			put(e.Name, expandKube(e.Value, look))
			continue
		}
		v, ok, err := p.valueFrom(cs, e.ValueFrom)
		if err != nil {
			return nil, fmt.Errorf("env %s: %w", e.Name, err)
		}
		if ok {
			put(e.Name, v)
		}
	}
	keys := make([]string, 0, len(svcEnv))
	for k := range svcEnv {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		if _, ok := tmp[k]; !ok {
			out = append(out, [2]string{k, svcEnv[k]})
		}
	}
	return out, nil
}

func secretData(s *corev1.Secret) map[string]string {
	d := map[string]string{}
	for k, v := range s.Data {
		d[k] = string(v)
	}
	for k, v := range s.StringData {
		d[k] = v
	}
	return d
}

// serviceEnv are the Docker-link style variables the kubelet adds for every
// Service with a cluster IP in the namespace (and the API server's).
func (p *pod) serviceEnv() map[string]string {
	env := map[string]string{
		"KUBERNETES_SERVICE_HOST": svcNet + "1", "KUBERNETES_SERVICE_PORT": "443", "KUBERNETES_SERVICE_PORT_HTTPS": "443",
		"KUBERNETES_PORT": "tcp://" + svcNet + "1:443", "KUBERNETES_PORT_443_TCP": "tcp://" + svcNet + "1:443",
		"KUBERNETES_PORT_443_TCP_PROTO": "tcp", "KUBERNETES_PORT_443_TCP_PORT": "443", "KUBERNETES_PORT_443_TCP_ADDR": svcNet + "1",
	}
	if p.spec.EnableServiceLinks != nil && !*p.spec.EnableServiceLinks {
		return env
	}
	names := make([]string, 0, len(p.c.m.Services))
	for n := range p.c.m.Services {
		names = append(names, n)
	}
	sort.Strings(names)
	for i, n := range names {
		s := p.c.m.Services[n]
		if s.Spec.ClusterIP == corev1.ClusterIPNone || s.Spec.Type == corev1.ServiceTypeExternalName {
			continue
		}
		ip := svcNet + strconv.Itoa(10+i)
		pre := strings.ToUpper(strings.ReplaceAll(n, "-", "_"))
		for j, port := range s.Spec.Ports {
			proto := strings.ToLower(string(port.Protocol))
			if proto == "" {
				proto = "tcp"
			}
			ps := strconv.Itoa(int(port.Port))
			if j == 0 {
				env[pre+"_SERVICE_HOST"] = ip
				env[pre+"_SERVICE_PORT"] = ps
				env[pre+"_PORT"] = proto + "://" + ip + ":" + ps
			}
			if port.Name != "" {
				env[pre+"_SERVICE_PORT_"+strings.ToUpper(strings.ReplaceAll(port.Name, "-", "_"))] = ps
			}
			base := pre + "_PORT_" + ps + "_" + strings.ToUpper(proto)
			env[base] = proto + "://" + ip + ":" + ps
			env[base+"_PROTO"] = proto
			env[base+"_PORT"] = ps
			env[base+"_ADDR"] = ip
		}
	}
	return env
}

// valueFrom resolves env valueFrom like the kubelet.
func (p *pod) valueFrom(cs *corev1.Container, vf *corev1.EnvVarSource) (string, bool, error) {
	switch {
	case vf.SecretKeyRef != nil:
		r := vf.SecretKeyRef
		opt := r.Optional != nil && *r.Optional
		s, ok := p.c.secrets[r.Name]
		if !ok {
			if opt {
				return "", false, nil
			}
			return "", false, fmt.Errorf("secret %q not found", r.Name)
		}
		v, ok := secretData(s)[r.Key]
		if !ok {
			if opt {
				return "", false, nil
			}
			return "", false, fmt.Errorf("couldn't find key %s in Secret %s", r.Key, r.Name)
		}
		return v, true, nil
	case vf.ConfigMapKeyRef != nil:
		r := vf.ConfigMapKeyRef
		opt := r.Optional != nil && *r.Optional
		cm, ok := p.c.m.ConfigMaps[r.Name]
		if !ok {
			if opt {
				return "", false, nil
			}
			return "", false, fmt.Errorf("configmap %q not found", r.Name)
		}
		v, ok := cm.Data[r.Key]
		if !ok {
			if opt {
				return "", false, nil
			}
			return "", false, fmt.Errorf("couldn't find key %s in ConfigMap %s", r.Key, r.Name)
		}
		return v, true, nil
	case vf.FieldRef != nil:
		v, err := p.fieldRef(vf.FieldRef.FieldPath)
		return v, err == nil, err
	case vf.ResourceFieldRef != nil:
		v, err := p.resourceRef(cs, vf.ResourceFieldRef)
		return v, err == nil, err
	}
	return "", false, fmt.Errorf("unsupported valueFrom")
}

func (p *pod) fieldRef(fp string) (string, error) {
	switch fp {
	case "metadata.name":
		return p.name, nil
	case "metadata.namespace":
		return p.c.ns, nil
	case "metadata.uid":
		return p.uid, nil
	case "spec.nodeName":
		return "e2e-node", nil
	case "spec.serviceAccountName":
		if p.spec.ServiceAccountName != "" {
			return p.spec.ServiceAccountName, nil
		}
		return "default", nil
	case "status.podIP", "status.podIPs":
		return p.ip, nil
	case "status.hostIP", "status.hostIPs":
		return podNet + "1", nil
	}
	for _, pre := range []string{"metadata.labels", "metadata.annotations"} {
		if rest, ok := strings.CutPrefix(fp, pre+"['"); ok {
			key := strings.TrimSuffix(rest, "']")
			if pre == "metadata.labels" {
				return p.labels[key], nil
			}
			return p.c.sts.Spec.Template.Annotations[key], nil
		}
	}
	return "", fmt.Errorf("unsupported fieldRef %q", fp)
}

func (p *pod) resourceRef(cs *corev1.Container, r *corev1.ResourceFieldSelector) (string, error) {
	if r.ContainerName != "" {
		cs = nil
		for i := range p.spec.Containers {
			if p.spec.Containers[i].Name == r.ContainerName {
				cs = &p.spec.Containers[i]
			}
		}
		if cs == nil {
			return "", fmt.Errorf("resourceFieldRef: no container %q", r.ContainerName)
		}
	}
	kind, res, _ := strings.Cut(r.Resource, ".")
	list := cs.Resources.Limits
	if kind == "requests" {
		list = cs.Resources.Requests
	}
	q, ok := list[corev1.ResourceName(res)]
	if !ok { // limits default to the node's allocatable
		if res == "cpu" {
			q = resource.MustParse("2")
		} else {
			q = resource.MustParse("8Gi")
		}
	}
	div := r.Divisor
	if div.IsZero() {
		div = resource.MustParse("1")
	}
	if res == "cpu" {
		return strconv.FormatInt((q.MilliValue()+div.MilliValue()-1)/div.MilliValue(), 10), nil
	}
	return strconv.FormatInt((q.Value()+div.Value()-1)/div.Value(), 10), nil
}

// setupVolumes materialises the pod's volumes as host directories.
func (p *pod) setupVolumes() error {
	psc := p.spec.SecurityContext
	var fsGroup *int
	if psc != nil && psc.FSGroup != nil {
		g := p.c.ids.gid(int(*psc.FSGroup))
		fsGroup = &g
	}
	claims := map[string]bool{}
	for _, t := range p.c.sts.Spec.VolumeClaimTemplates {
		claims[t.Name] = true
		dir := p.c.pvcDir(t.Name + "-" + p.name)
		if _, err := os.Stat(dir); os.IsNotExist(err) {
			// A fresh file system's root: root-owned, 0755.
			if err := os.Mkdir(dir, 0o755); err != nil {
				return err
			}
			p.record(event{Kind: "pvc-created", Detail: t.Name + "-" + p.name})
		}
		onMismatch := psc != nil && psc.FSGroupChangePolicy != nil && *psc.FSGroupChangePolicy == corev1.FSGroupChangeOnRootMismatch
		if !onMismatch || fsGroup == nil || rootMismatch(dir, *fsGroup) {
			if err := applyFSGroup(dir, fsGroup, false); err != nil {
				return err
			}
		}
		p.volumes[t.Name] = dir
	}
	for _, v := range p.spec.Volumes {
		if claims[v.Name] {
			return fmt.Errorf("volume %q shadows a volumeClaimTemplate", v.Name)
		}
		dir := filepath.Join(p.dir, "volumes", v.Name)
		var err error
		switch {
		case v.EmptyDir != nil:
			if err = os.Mkdir(dir, 0o777); err == nil {
				if err = os.Chmod(dir, 0o777); err == nil {
					err = applyFSGroup(dir, fsGroup, false)
				}
			}
		case v.ConfigMap != nil:
			err = p.writeProjection(dir, 0o777, []corev1.VolumeProjection{{ConfigMap: &corev1.ConfigMapProjection{
				LocalObjectReference: v.ConfigMap.LocalObjectReference, Items: v.ConfigMap.Items, Optional: v.ConfigMap.Optional}}},
				v.ConfigMap.DefaultMode, corev1.ConfigMapVolumeSourceDefaultMode, fsGroup)
		case v.Secret != nil:
			err = p.writeProjection(dir, 0o1777, []corev1.VolumeProjection{{Secret: &corev1.SecretProjection{
				LocalObjectReference: corev1.LocalObjectReference{Name: v.Secret.SecretName}, Items: v.Secret.Items, Optional: v.Secret.Optional}}},
				v.Secret.DefaultMode, corev1.SecretVolumeSourceDefaultMode, fsGroup)
		case v.Projected != nil:
			err = p.writeProjection(dir, 0o1777, v.Projected.Sources, v.Projected.DefaultMode, corev1.ProjectedVolumeSourceDefaultMode, fsGroup)
		case v.DownwardAPI != nil:
			err = p.writeProjection(dir, 0o1777, []corev1.VolumeProjection{{DownwardAPI: &corev1.DownwardAPIProjection{Items: v.DownwardAPI.Items}}},
				v.DownwardAPI.DefaultMode, corev1.DownwardAPIVolumeSourceDefaultMode, fsGroup)
		case v.PersistentVolumeClaim != nil:
			// A claimed volume's root: root-owned 0755 when new, then the
			// kubelet's fsGroup ownership, as for the claim templates.
			dir = p.c.pvcDir(v.PersistentVolumeClaim.ClaimName)
			if err = os.MkdirAll(dir, 0o755); err == nil && (fsGroup == nil || rootMismatch(dir, *fsGroup)) {
				err = applyFSGroup(dir, fsGroup, false)
			}
		default:
			err = fmt.Errorf("volume type not simulated")
		}
		if err != nil {
			return fmt.Errorf("volume %s: %w", v.Name, err)
		}
		p.volumes[v.Name] = dir
	}
	return nil
}

// rootMismatch is the kubelet's test for fsGroupChangePolicy OnRootMismatch:
// the volume root lacks the group, the setgid bit or group read/write.
func rootMismatch(dir string, fsGroup int) bool {
	st, err := os.Stat(dir)
	if err != nil {
		return true
	}
	sys, ok := st.Sys().(*syscall.Stat_t)
	if !ok || int(sys.Gid) != fsGroup {
		return true
	}
	return st.Mode()&os.ModeSetgid == 0 || st.Mode().Perm()&0o060 != 0o060
}

// applyFSGroup is the kubelet's SetVolumeOwnership: group fsGroup on every
// file, group read (and write unless read-only) added, setgid on dirs.
func applyFSGroup(dir string, fsGroup *int, readOnly bool) error {
	if fsGroup == nil {
		return nil
	}
	return filepath.Walk(dir, func(path string, info os.FileInfo, err error) error {
		if err != nil {
			return err
		}
		if err := os.Lchown(path, -1, *fsGroup); err != nil {
			return err
		}
		if info.Mode()&os.ModeSymlink != 0 {
			return nil
		}
		mask := os.FileMode(0o660)
		if readOnly {
			mask = 0o440
		}
		if info.IsDir() {
			mask |= os.ModeSetgid | 0o110
		}
		return os.Chmod(path, info.Mode()&(os.ModePerm|os.ModeSetgid|os.ModeSetuid|os.ModeSticky)|mask)
	})
}

// writeProjection writes configMap, secret and downwardAPI data the way the
// kubelet's atomic writer lays it out: a timestamped directory, ..data
// pointing to it, and one symlink per top-level name.
func (p *pod) writeProjection(dir string, dirMode os.FileMode, sources []corev1.VolumeProjection, defMode *int32, def int32, fsGroup *int) error {
	mode := def
	if defMode != nil {
		mode = *defMode
	}
	type file struct {
		data []byte
		mode int32
	}
	files := map[string]file{}
	add := func(items []corev1.KeyToPath, data map[string][]byte, what string, optional bool) error {
		if items == nil {
			for k, v := range data {
				files[k] = file{v, mode}
			}
			return nil
		}
		for _, it := range items {
			v, ok := data[it.Key]
			if !ok {
				if optional {
					continue
				}
				return fmt.Errorf("%s has no key %q", what, it.Key)
			}
			m := mode
			if it.Mode != nil {
				m = *it.Mode
			}
			files[it.Path] = file{v, m}
		}
		return nil
	}
	for _, src := range sources {
		switch {
		case src.ConfigMap != nil:
			opt := src.ConfigMap.Optional != nil && *src.ConfigMap.Optional
			cm, ok := p.c.m.ConfigMaps[src.ConfigMap.Name]
			if !ok {
				if opt {
					continue
				}
				return fmt.Errorf("configmap %q not found", src.ConfigMap.Name)
			}
			data := map[string][]byte{}
			for k, v := range cm.Data {
				data[k] = []byte(v)
			}
			maps.Copy(data, cm.BinaryData)
			if err := add(src.ConfigMap.Items, data, "configmap "+cm.Name, opt); err != nil {
				return err
			}
		case src.Secret != nil:
			opt := src.Secret.Optional != nil && *src.Secret.Optional
			s, ok := p.c.secrets[src.Secret.Name]
			if !ok {
				if opt {
					continue
				}
				return fmt.Errorf("secret %q not found", src.Secret.Name)
			}
			data := map[string][]byte{}
			for k, v := range secretData(s) {
				data[k] = []byte(v)
			}
			if err := add(src.Secret.Items, data, "secret "+s.Name, opt); err != nil {
				return err
			}
		case src.DownwardAPI != nil:
			for _, it := range src.DownwardAPI.Items {
				if it.FieldRef == nil {
					return fmt.Errorf("downwardAPI item %s: only fieldRef is simulated", it.Path)
				}
				v, err := p.fieldRef(it.FieldRef.FieldPath)
				if err != nil {
					return err
				}
				m := mode
				if it.Mode != nil {
					m = *it.Mode
				}
				files[it.Path] = file{[]byte(v), m}
			}
		default:
			return fmt.Errorf("projection source not simulated")
		}
	}
	if err := os.Mkdir(dir, dirMode.Perm()); err != nil {
		return err
	}
	if err := os.Chmod(dir, dirMode); err != nil {
		return err
	}
	ts := "..2026_01_01_00_00_00.000000001"
	tsDir := filepath.Join(dir, ts)
	if err := os.Mkdir(tsDir, 0o755); err != nil {
		return err
	}
	top := map[string]bool{}
	for rel, f := range files {
		full := filepath.Join(tsDir, rel)
		if err := os.MkdirAll(filepath.Dir(full), 0o755); err != nil {
			return err
		}
		if err := os.WriteFile(full, f.data, os.FileMode(f.mode)&0o777); err != nil {
			return err
		}
		if err := os.Chmod(full, os.FileMode(f.mode)&0o777); err != nil {
			return err
		}
		top[strings.SplitN(path.Clean(rel), "/", 2)[0]] = true
	}
	if err := os.Symlink(ts, filepath.Join(dir, "..data")); err != nil {
		return err
	}
	for n := range top {
		if err := os.Symlink(filepath.Join("..data", n), filepath.Join(dir, n)); err != nil {
			return err
		}
	}
	return applyFSGroup(dir, fsGroup, true)
}

// mounts are the kubelet's mounts for a container: its volumeMounts (with
// subPath created like the kubelet does) and /etc/hosts, /etc/hostname,
// /etc/resolv.conf.
func (p *pod) mounts(cs *corev1.Container) ([]mountSpec, error) {
	ms := []mountSpec{
		{Source: p.hostsPath, Target: "/etc/hosts", File: true},
		{Source: filepath.Join(p.dir, "hostname"), Target: "/etc/hostname", File: true},
		{Source: filepath.Join(p.dir, "resolv.conf"), Target: "/etc/resolv.conf", File: true},
	}
	for _, vm := range cs.VolumeMounts {
		src, ok := p.volumes[vm.Name]
		if !ok {
			return nil, fmt.Errorf("volumeMount %s: no such volume", vm.Name)
		}
		sub := vm.SubPath
		if vm.SubPathExpr != "" {
			return nil, fmt.Errorf("volumeMount %s: subPathExpr not simulated", vm.Name)
		}
		file := false
		if sub != "" {
			full := filepath.Join(src, sub)
			st, err := os.Stat(full)
			if os.IsNotExist(err) {
				root, err := os.Stat(src)
				if err != nil {
					return nil, err
				}
				// Created by root with the volume root's mode; a setgid
				// root (fsGroup) hands its group down.
				if err := os.MkdirAll(full, root.Mode().Perm()); err != nil {
					return nil, err
				}
				if err := os.Chmod(full, root.Mode().Perm()); err != nil {
					return nil, err
				}
			} else if err != nil {
				return nil, err
			} else {
				file = !st.IsDir()
			}
			src = full
		}
		ms = append(ms, mountSpec{Source: src, Target: vm.MountPath, ReadOnly: vm.ReadOnly, File: file})
	}
	return ms, nil
}

// teardown removes the sandbox and the incarnation's files; PVCs stay.
func (p *pod) teardown() {
	if p.sandbox != nil {
		_ = syscall.Kill(p.sandboxPid, syscall.SIGKILL)
		_ = p.sandbox.Wait()
		p.c.untrack(p.sandbox)
	}
	p.mu.Lock()
	p.up = false
	p.mu.Unlock()
	_ = os.RemoveAll(p.dir)
	p.record(event{Kind: "gone"})
	p.c.mu.Lock()
	if p.c.pods[p.ord] == p {
		delete(p.c.pods, p.ord)
	}
	p.c.mu.Unlock()
}

// terminate stops every running container: preStop hooks, SIGTERM, then
// SIGKILL when the grace period ends.
func (p *pod) terminate() {
	p.mu.Lock()
	grace := p.grace
	cs := make([]*ctr, 0, len(p.containers))
	for _, c := range p.containers {
		cs = append(cs, c)
	}
	p.mu.Unlock()
	deadline := time.Now().Add(grace)
	var wg sync.WaitGroup
	for _, c := range cs {
		wg.Add(1)
		go func(c *ctr) {
			defer wg.Done()
			p.stopContainer(c, deadline, true)
		}(c)
	}
	wg.Wait()
}

// stopContainer runs preStop (if asked), sends SIGTERM and kills at the
// deadline; it returns when the process has exited.
func (p *pod) stopContainer(c *ctr, deadline time.Time, preStop bool) {
	c.mu.Lock()
	cmd, running, exited := c.cmd, c.running, c.exited
	c.mu.Unlock()
	if cmd == nil || !running {
		return
	}
	if ls := c.spec.Lifecycle; preStop && ls != nil && ls.PreStop != nil && ls.PreStop.Exec != nil {
		p.execHook(c, ls.PreStop.Exec.Command, "preStop")
	}
	_ = syscall.Kill(cmd.Process.Pid, syscall.SIGTERM)
	select {
	case <-exited:
	case <-time.After(time.Until(deadline)):
		p.record(event{Container: c.spec.Name, Kind: "killed", Detail: "grace period over"})
		_ = syscall.Kill(cmd.Process.Pid, syscall.SIGKILL)
		<-exited
	}
}

func (p *pod) execHook(c *ctr, argv []string, what string) {
	r := p.exec(c, argv, nil, 30*time.Second)
	if r.Code != 0 {
		p.record(event{Container: c.spec.Name, Kind: what + "-failed", Code: r.Code, Detail: tail(r.Stderr, 300)})
	}
}

// backoffDelay is the kubelet's crash-loop back-off: the first restart is
// immediate, then 10s doubling up to 5 minutes.
func (c *ctr) nextBackoff() time.Duration {
	d := c.backoff
	switch {
	case c.backoff == 0:
		c.backoff = 10 * time.Second
	case c.backoff < 5*time.Minute:
		c.backoff *= 2
		if c.backoff > 5*time.Minute {
			c.backoff = 5 * time.Minute
		}
	}
	return d
}

// runInit runs an init container to completion, retrying with back-off
// until it exits 0; false when the pod is deleted meanwhile.
func (p *pod) runInit(c *ctr) bool {
	for {
		if p.deleting() {
			return false
		}
		code, err := p.startAndWait(c, nil)
		if err != nil {
			p.record(event{Container: c.spec.Name, Kind: "start-failed", Detail: err.Error()})
		} else if code == 0 {
			return true
		}
		if hook := p.c.initFailureHook(); hook != nil {
			hook(p, c.spec.Name, code)
		}
		c.mu.Lock()
		d := c.nextBackoff()
		c.restarts++
		c.mu.Unlock()
		if d > 0 {
			p.record(event{Container: c.spec.Name, Kind: "back-off", Detail: d.String()})
		}
		select {
		case <-p.delReq:
			return false
		case <-time.After(d):
		}
	}
}

// keepRunning runs a regular container (or a sidecar) for the pod's life,
// restarting it with back-off whenever it exits (restartPolicy Always).
func (p *pod) keepRunning(c *ctr) {
	for {
		if p.deleting() {
			return
		}
		started := time.Now()
		_, err := p.startAndWait(c, func(c *ctr, stop <-chan struct{}) { p.probe(c, stop) })
		if err != nil {
			p.record(event{Container: c.spec.Name, Kind: "start-failed", Detail: err.Error()})
		}
		if p.deleting() {
			return
		}
		c.mu.Lock()
		if time.Since(started) > 10*time.Minute {
			c.backoff = 0
		}
		d := c.nextBackoff()
		c.restarts++
		c.mu.Unlock()
		if d > 0 {
			p.record(event{Container: c.spec.Name, Kind: "back-off", Detail: d.String()})
		}
		select {
		case <-p.delReq:
			return
		case <-time.After(d):
		}
	}
}

// waitStarted waits until a sidecar init container runs and its startup
// probe (if any) passed.
func (p *pod) waitStarted(c *ctr) bool {
	for {
		c.mu.Lock()
		ok := c.running && c.started
		c.mu.Unlock()
		if ok {
			return true
		}
		if p.deleting() {
			return false
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// startAndWait starts one run of the container and waits for its exit.
func (p *pod) startAndWait(c *ctr, probes func(*ctr, <-chan struct{})) (int, error) {
	ms, err := p.mounts(c.spec)
	if err != nil {
		return -1, err
	}
	c.mu.Lock()
	run := c.restarts
	c.mu.Unlock()
	root := filepath.Join(p.dir, "roots", fmt.Sprintf("%s.%d", c.spec.Name, run))
	if err := os.MkdirAll(root, 0o755); err != nil {
		return -1, err
	}
	img := c.image
	etcSkip := append([]string{"hosts", "hostname", "resolv.conf"}, img.EtcSkip...)
	ms = append(ms, mountSpec{Source: img.ShimDir, Target: shimMount, ReadOnly: true})
	ms = append(ms, img.Mounts...)
	wd := c.spec.WorkingDir
	spec := containerSpec{
		Root: root, EtcSkip: etcSkip, EtcFiles: img.EtcFiles, Dirs: img.Dirs, Mounts: ms,
		UID: c.uid, GID: c.gid, Groups: c.groups, Env: c.env, Argv: c.argv, WorkDir: wd,
		ReadOnlyRoot: c.spec.SecurityContext != nil && c.spec.SecurityContext.ReadOnlyRootFilesystem != nil && *c.spec.SecurityContext.ReadOnlyRootFilesystem,
	}
	js, err := json.Marshal(spec)
	if err != nil {
		return -1, err
	}
	logPath := filepath.Join(p.logDir, fmt.Sprintf("%s.%d.log", c.spec.Name, run))
	logf, err := os.Create(logPath)
	if err != nil {
		return -1, err
	}
	defer logf.Close()
	cmd := exec.Command(hostTools["nsenter"], "--target", strconv.Itoa(p.sandboxPid), "--uts", "--net", "--ipc", "--", p.c.self)
	cmd.Env = []string{helperModeEnv + "=container", helperSpecEnv + "=" + string(js)}
	cmd.Stdout, cmd.Stderr = logf, logf
	cmd.SysProcAttr = &syscall.SysProcAttr{Cloneflags: syscall.CLONE_NEWNS | syscall.CLONE_NEWPID, Pdeathsig: syscall.SIGKILL}
	hsR, hsW, err := os.Pipe()
	if err != nil {
		return -1, err
	}
	cmd.ExtraFiles = []*os.File{hsW}
	if err := cmd.Start(); err != nil {
		hsR.Close()
		hsW.Close()
		return -1, err
	}
	p.c.track(cmd)
	// Like runc start: running once the root is built and the command
	// executed (the handshake pipe closes on exec, or when setup failed).
	hsW.Close()
	_, _ = io.Copy(io.Discard, hsR)
	hsR.Close()
	exited := make(chan struct{})
	c.mu.Lock()
	c.cmd, c.pid, c.running, c.ready, c.exited, c.startedAt = cmd, cmd.Process.Pid, true, false, exited, time.Now()
	c.started = c.spec.StartupProbe == nil
	if c.spec.ReadinessProbe == nil {
		c.ready = true
	}
	c.mu.Unlock()
	p.record(event{Container: c.spec.Name, Kind: "started", Detail: fmt.Sprintf("run %d, pid %d", run, cmd.Process.Pid)})
	stop := make(chan struct{})
	if probes != nil {
		go probes(c, stop)
	}
	err = cmd.Wait()
	close(stop)
	p.c.untrack(cmd)
	code := 0
	if err != nil {
		code = -1
		if ee, ok := err.(*exec.ExitError); ok {
			if ws, ok := ee.Sys().(syscall.WaitStatus); ok && ws.Signaled() {
				code = 128 + int(ws.Signal())
			} else {
				code = ee.ExitCode()
			}
		}
	}
	c.mu.Lock()
	c.running, c.ready, c.lastCode = false, false, code
	c.mu.Unlock()
	close(exited)
	detail := ""
	if code != 0 {
		detail = tail(readTail(logPath, 2000), 600)
	}
	p.record(event{Container: c.spec.Name, Kind: "exited", Code: code, Detail: fmt.Sprintf("code %d %s", code, detail)})
	_ = os.RemoveAll(root)
	return code, nil
}

// logs is every run's log of a container of this pod incarnation.
func (p *pod) logs(name string) string {
	files, _ := filepath.Glob(filepath.Join(p.logDir, name+".*.log"))
	sort.Strings(files)
	var b strings.Builder
	for _, f := range files {
		data, _ := os.ReadFile(f)
		b.Write(data)
	}
	return b.String()
}

func readTail(path string, n int) string {
	b, err := os.ReadFile(path)
	if err != nil {
		return ""
	}
	if len(b) > n {
		b = b[len(b)-n:]
	}
	return string(b)
}

func tail(s string, n int) string {
	s = strings.TrimSpace(s)
	if len(s) > n {
		s = "…" + s[len(s)-n:]
	}
	return strings.ReplaceAll(s, "\n", " | ")
}
