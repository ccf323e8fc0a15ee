//go:build cluster

package cluster

import (
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"
)

// TestBackup applies clusters with spec.backup and spec.restore to a real control plane: the
// CronJob, the rendered claim, both NetworkPolicies and the restoring StatefulSets (from an
// existing ReadWriteMany claim, and from S3) are accepted, roll out and show zero drift; a Job made from the CronJob gets a pod whose labels the members'
// policy admits to the backup port and the backup policy confines.
func TestBackup(t *testing.T) {
	c := StartCluster(t, Options{Nodes: 3})
	ctx := testContext(t)
	cases := []struct {
		name, flavor, version, backup string
		inits                         []string // the restoring members' init containers
	}{
		{"bk-pvc", "mariadb", "10.11", `  backup:
    schedule: "0 3 * * *"
    timeZone: Europe/Berlin
    retention: {count: 3, maxAgeDays: 30}
    pvc: {size: 3Gi, storageClassName: manual}
  restore:
    backup: latest
    pvc: {claimName: old-backups}
`, []string{"init-mysql", "clone-mysql"}},
		{"bk-s3", "mysql", "8.4", `  backup:
    schedule: "@every 6h"
    s3: {endpoint: "https://s3.example.com:9443", bucket: bk-s3, prefix: prod/bk, credentialsSecret: bk-s3-keys}
  restore:
    backup: 20260115T030000Z
`, []string{"tools", "init-mysql", "clone-mysql"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			spec := rolloutSpec(tc.name, tc.flavor, tc.version).YAML() + tc.backup
			d := NewDeployment(t, c, ctx, tc.name, renderSpec(t, spec))
			d.Prepare(t, tc.name+"-secret", 3)
			if findObject(d.Objs, "PersistentVolumeClaim", tc.name+"-backup") != nil {
				d.prepareRestoreClaim(t, "old-backups")
			}
			d.Apply(t)
			sts := d.WaitRolledOut(t, 3, 3*time.Minute)
			var inits []string
			for _, ic := range sts.Spec.Template.Spec.InitContainers {
				inits = append(inits, ic.Name)
			}
			if !slices.Equal(inits, tc.inits) {
				t.Errorf("restoring members' init containers %v, want %v", inits, tc.inits)
			}
			// A ReadWriteMany restore claim pins nothing: the members spread as usual.
			nodes := map[string]bool{}
			for _, p := range d.Pods(t) {
				nodes[p.Spec.NodeName] = true
			}
			if len(nodes) != 3 {
				t.Errorf("the restoring members run on %d nodes, want 3", len(nodes))
			}
			d.CheckNoDrift(t)
			d.checkBackupJob(t)
		})
	}
}

// prepareRestoreClaim makes an existing ReadWriteMany claim with the old cluster's backups, as a
// restore from another cluster's claim finds it: every member mounts it.
func (d *Deployment) prepareRestoreClaim(t *testing.T, claim string) {
	t.Helper()
	objs := fmt.Sprintf(`apiVersion: v1
kind: PersistentVolume
metadata: {name: %[1]s-%[2]s, labels: {mysqlgen-e2e: "true"}}
spec:
  storageClassName: manual
  capacity: {storage: 1Gi}
  accessModes: [ReadWriteMany]
  persistentVolumeReclaimPolicy: Retain
  claimRef: {namespace: %[1]s, name: %[2]s}
  hostPath: {path: /var/tmp/mysqlgen-e2e/%[1]s/%[2]s, type: DirectoryOrCreate}
---
apiVersion: v1
kind: PersistentVolumeClaim
metadata: {name: %[2]s, namespace: %[1]s}
spec:
  storageClassName: manual
  accessModes: [ReadWriteMany]
  resources: {requests: {storage: 1Gi}}
`, d.NS, claim)
	d.c.MustKubectl(t, d.ctx, []byte(objs), "apply", "-f", "-")
	t.Cleanup(func() { _, _ = d.c.Kubectl(d.ctx, nil, "delete", "pv", d.NS+"-"+claim, "--wait=false") })
}

// checkBackupJob makes a Job from the CronJob, as `kubectl create job --from` does for a backup
// on demand, and checks its pod: scheduled, component=backup, only the replication password,
// admitted by the members' policy on the backup port and nowhere else, and selected by the
// backup policy.
func (d *Deployment) checkBackupJob(t *testing.T) {
	t.Helper()
	cronJob, job := d.Name+"-backup", d.Name+"-backup-now"
	d.kubectl(t, nil, "create", "job", job, "--from=cronjob/"+cronJob)
	var pod Pod
	d.c.WaitFor(t, d.ctx, "the backup Job's pod scheduled", time.Minute, func() (bool, string) {
		var l List[Pod]
		if err := d.getJSON(&l, "get", "pods", "-l", "job-name="+job); err != nil {
			return false, err.Error()
		}
		if len(l.Items) == 0 {
			return false, "no pod yet"
		}
		pod = l.Items[0]
		return pod.Spec.NodeName != "", "phase " + pod.Status.Phase
	})
	if pod.Metadata.Labels["app.kubernetes.io/component"] != "backup" || pod.Metadata.Labels["app.kubernetes.io/instance"] != d.Name {
		t.Errorf("backup pod labels %v", pod.Metadata.Labels)
	}
	var policies List[struct {
		Metadata Meta `json:"metadata"`
		Spec     struct {
			PodSelector struct {
				MatchLabels map[string]string `json:"matchLabels"`
			} `json:"podSelector"`
			Ingress []struct {
				Ports []struct {
					Port int `json:"port"`
				} `json:"ports"`
				From []struct {
					PodSelector *struct {
						MatchLabels map[string]string `json:"matchLabels"`
					} `json:"podSelector"`
				} `json:"from"`
			} `json:"ingress"`
			PolicyTypes []string `json:"policyTypes"`
		} `json:"spec"`
	}]
	if err := d.getJSON(&policies, "get", "networkpolicies"); err != nil {
		t.Fatal(err)
	}
	selects := func(sel map[string]string) bool {
		if len(sel) == 0 {
			return false // an empty selector is "every pod": not what this checks
		}
		for k, v := range sel {
			if pod.Metadata.Labels[k] != v {
				return false
			}
		}
		return true
	}
	var admittedOn []int
	confined := false
	for _, np := range policies.Items {
		switch np.Metadata.Name {
		case d.Name:
			for _, r := range np.Spec.Ingress {
				for _, from := range r.From {
					if from.PodSelector != nil && selects(from.PodSelector.MatchLabels) {
						admittedOn = append(admittedOn, r.Ports[0].Port)
					}
				}
			}
		case cronJob:
			confined = selects(np.Spec.PodSelector.MatchLabels) && slices.Contains(np.Spec.PolicyTypes, "Egress")
		}
	}
	if !slices.Equal(admittedOn, []int{3307}) {
		t.Errorf("the members' policy admits the live backup pod on ports %v, want [3307]", admittedOn)
	}
	if !confined {
		t.Errorf("the live backup pod is not selected by NetworkPolicy %s with Egress", cronJob)
	}
	var live struct {
		Spec struct {
			Volumes []struct {
				Name   string `json:"name"`
				Secret *struct {
					Items []struct {
						Key string `json:"key"`
					} `json:"items"`
				} `json:"secret"`
			} `json:"volumes"`
		} `json:"spec"`
	}
	if err := d.getJSON(&live, "get", "pod", pod.Metadata.Name); err != nil {
		t.Fatal(err)
	}
	var secretKeys []string
	for _, v := range live.Spec.Volumes {
		if v.Secret != nil {
			for _, it := range v.Secret.Items {
				secretKeys = append(secretKeys, it.Key)
			}
		}
	}
	if strings.Join(secretKeys, ",") != "replication-password" {
		t.Errorf("the backup pod mounts the Secret keys %v, want only replication-password", secretKeys)
	}
	t.Logf("check backup Job %s: pod %s on %s (%s), admitted on %v, confined by %s: OK",
		job, pod.Metadata.Name, pod.Spec.NodeName, pod.Status.Phase, admittedOn, cronJob)
}
