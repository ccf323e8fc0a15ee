package render

import (
	"slices"
	"testing"

	appsv1 "k8s.io/api/apps/v1"
	batchv1 "k8s.io/api/batch/v1"
	corev1 "k8s.io/api/core/v1"
	networkingv1 "k8s.io/api/networking/v1"
	"k8s.io/apimachinery/pkg/labels"

	"github.com/mysqlgen/mysqlgen/internal/spec"
)

func withPVCBackup(size, claim string) func(*spec.ClusterSpec) {
	return func(s *spec.ClusterSpec) {
		s.Backup = &spec.Backup{Schedule: "0 3 * * *", PVC: &spec.BackupPVC{Size: size, ClaimName: claim}}
	}
}

func testS3() *spec.BackupS3 {
	return &spec.BackupS3{Endpoint: "https://s3.example.com:9443", Bucket: "bkp", CredentialsSecret: "s3-creds"}
}

func withS3Backup(s *spec.ClusterSpec) {
	s.Backup = &spec.Backup{Schedule: "@daily", TimeZone: "Europe/Berlin", S3: testS3()}
}

func envMap(env []corev1.EnvVar) map[string]corev1.EnvVar {
	m := map[string]corev1.EnvVar{}
	for _, e := range env {
		m[e.Name] = e
	}
	return m
}

func containerNames(cs []corev1.Container) []string {
	var n []string
	for _, c := range cs {
		n = append(n, c.Name)
	}
	return n
}

func TestBackupObjects(t *testing.T) {
	cases := map[string]struct {
		mutate func(*spec.ClusterSpec)
		want   string
	}{
		"a rendered claim": {withPVCBackup("20Gi", ""),
			"ConfigMap/db-config ConfigMap/db-scripts Service/db Service/db-read Service/db-primary PersistentVolumeClaim/db-backup StatefulSet/db CronJob/db-backup PodDisruptionBudget/db NetworkPolicy/db NetworkPolicy/db-backup"},
		"an existing claim": {withPVCBackup("", "nas"),
			"ConfigMap/db-config ConfigMap/db-scripts Service/db Service/db-read Service/db-primary StatefulSet/db CronJob/db-backup PodDisruptionBudget/db NetworkPolicy/db NetworkPolicy/db-backup"},
		"s3 without network policies": {func(s *spec.ClusterSpec) { withS3Backup(s); s.NetworkPolicy.Enabled = ptrTo(false) },
			"ConfigMap/db-config ConfigMap/db-scripts Service/db Service/db-read Service/db-primary StatefulSet/db CronJob/db-backup PodDisruptionBudget/db"},
	}
	for name, c := range cases {
		t.Run(name, func(t *testing.T) {
			if got := kinds(Objects(defaulted(t, c.mutate))); got != c.want {
				t.Errorf("objects:\n got %s\nwant %s", got, c.want)
			}
		})
	}
}

// The CronJob's pod is what the backup contract says: one backup at a time,
// bounded, the members' security context, only the replication password.
func TestBackupCronJob(t *testing.T) {
	c := defaulted(t, withS3Backup)
	cj := find[*batchv1.CronJob](Objects(c), "db-backup")
	if cj.Spec.ConcurrencyPolicy != batchv1.ForbidConcurrent || cj.Spec.Schedule != "@daily" ||
		*cj.Spec.TimeZone != "Europe/Berlin" || *cj.Spec.StartingDeadlineSeconds != backupStartDeadline {
		t.Errorf("cronjob spec = %+v", cj.Spec)
	}
	job := cj.Spec.JobTemplate.Spec
	if *job.ActiveDeadlineSeconds != spec.DefaultBackupDeadline || *job.BackoffLimit != backupJobRetries {
		t.Errorf("job deadline %d, backoff %d", *job.ActiveDeadlineSeconds, *job.BackoffLimit)
	}
	pod := job.Template.Spec
	if pod.RestartPolicy != corev1.RestartPolicyNever || *pod.AutomountServiceAccountToken {
		t.Errorf("restartPolicy %s, token %v", pod.RestartPolicy, *pod.AutomountServiceAccountToken)
	}
	if got := containerNames(pod.InitContainers); !slices.Equal(got, []string{"tools"}) {
		t.Fatalf("init containers %v", got)
	}
	tools := pod.InitContainers[0]
	if tools.Image != spec.DefaultToolsImage || !slices.Equal(tools.Command, []string{"cp", "/usr/local/bin/rclone", "/mysqlgen-tools/rclone"}) {
		t.Errorf("tools = %s %v", tools.Image, tools.Command)
	}
	ctr := pod.Containers[0]
	if ctr.Name != "backup" || ctr.Image != c.Spec.BackupImage || !slices.Equal(ctr.Command, []string{"bash", "/opt/mysqlgen/scripts/backup.sh"}) || len(ctr.Args) != 0 {
		t.Errorf("backup container = %s %s %v %v", ctr.Name, ctr.Image, ctr.Command, ctr.Args)
	}
	if *pod.SecurityContext.RunAsUser != mysqlUID || !*ctr.SecurityContext.ReadOnlyRootFilesystem || *ctr.SecurityContext.AllowPrivilegeEscalation ||
		!*tools.SecurityContext.ReadOnlyRootFilesystem {
		t.Error("the job's pod is not hardened as the members are")
	}
	env := envMap(ctr.Env)
	for k, v := range map[string]string{
		"MYSQLGEN_STATEFULSET": "db", "MYSQLGEN_SERVICE": "db", "MYSQLGEN_REPLICAS": "3", "MYSQLGEN_BACKUP_PORT": "3307",
		"MYSQLGEN_BACKUP_SOURCE": "replica", "MYSQLGEN_BACKUP_COMPRESSION": "gzip", "MYSQLGEN_BACKUP_KEEP": "7",
		"MYSQLGEN_BACKUP_MAX_AGE_DAYS": "0", "MYSQLGEN_S3_ENDPOINT": "https://s3.example.com:9443", "MYSQLGEN_S3_BUCKET": "bkp",
		"MYSQLGEN_S3_PREFIX": "db", "MYSQLGEN_S3_REGION": "us-east-1", "MYSQLGEN_RCLONE": "/mysqlgen-tools/rclone",
		"MYSQLGEN_SECRET_DIR": pathSecret, "MYSQLGEN_PRIMARY_ORDINAL": "0", "MYSQLGEN_FLAVOR": "mysql", "MYSQLGEN_GTID": "ON",
		"MYSQLGEN_CRONJOB": cj.Name,
	} {
		if env[k].Value != v {
			t.Errorf("%s = %q, want %q", k, env[k].Value, v)
		}
	}
	// The Job's name, which a kustomize namePrefix or nameSuffix changes as
	// it changes the members' (backup.sh renamed_members).
	if ref := env["MYSQLGEN_JOB_NAME"].ValueFrom; ref == nil || ref.FieldRef == nil || ref.FieldRef.FieldPath != "metadata.labels['batch.kubernetes.io/job-name']" {
		t.Errorf("MYSQLGEN_JOB_NAME not from the Job controller's label: %+v", env["MYSQLGEN_JOB_NAME"])
	}
	for _, k := range []string{"AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY"} {
		if ref := env[k].ValueFrom; ref == nil || ref.SecretKeyRef.Name != "s3-creds" || ref.SecretKeyRef.Key != k {
			t.Errorf("%s not from the credentials Secret: %+v", k, env[k])
		}
	}
	// Exactly the contract's names: the members' generated and data
	// directories are not mounted in the Job's pod, so backup.sh must not be
	// told they exist.
	var names []string
	for _, e := range ctr.Env {
		names = append(names, e.Name)
	}
	wantNames := []string{"MYSQLGEN_BACKUP_COMPRESSION", "MYSQLGEN_BACKUP_KEEP", "MYSQLGEN_BACKUP_MAX_AGE_DAYS", "MYSQLGEN_BACKUP_PORT",
		"MYSQLGEN_BACKUP_SOURCE", "MYSQLGEN_CRONJOB", "MYSQLGEN_DIALECT", "MYSQLGEN_FLAVOR", "MYSQLGEN_GTID", "MYSQLGEN_PRIMARY_ORDINAL", "MYSQLGEN_REPLICAS",
		"MYSQLGEN_SECRET_DIR", "MYSQLGEN_SERVICE", "MYSQLGEN_STATEFULSET", "MYSQLGEN_JOB_NAME", "MYSQLGEN_RCLONE", "MYSQLGEN_S3_BUCKET", "MYSQLGEN_S3_ENDPOINT",
		"MYSQLGEN_S3_PREFIX", "MYSQLGEN_S3_REGION", "AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY"}
	if !slices.Equal(names, wantNames) {
		t.Errorf("backup env names\n got %v\nwant %v", names, wantNames)
	}
	for _, v := range pod.Volumes {
		if v.Secret != nil && (v.Secret.SecretName != "db-credentials" || len(v.Secret.Items) != 1 || v.Secret.Items[0].Key != "replication-password") {
			t.Errorf("secret volume %+v: want only replication-password", v.Secret)
		}
	}
	if got := labels.Set(job.Template.Labels); got[labelComponent] != componentBackup ||
		labels.SelectorFromSet(c2sel(c)).Matches(got) {
		t.Errorf("job pod labels %v: component backup, never selected by the StatefulSet", got)
	}
}

func c2sel(c *spec.MySQLCluster) labels.Set {
	return labels.Set((&cluster{MySQLCluster: c}).selectorLabels())
}

func TestBackupToAClaim(t *testing.T) {
	c := defaulted(t, func(s *spec.ClusterSpec) {
		withPVCBackup("20Gi", "")(s)
		s.Backup.PVC.StorageClassName = "slow"
	})
	objs := Objects(c)
	claim := find[*corev1.PersistentVolumeClaim](objs, "db-backup")
	if q := claim.Spec.Resources.Requests[corev1.ResourceStorage]; q.String() != "20Gi" || *claim.Spec.StorageClassName != "slow" ||
		!slices.Equal(claim.Spec.AccessModes, []corev1.PersistentVolumeAccessMode{corev1.ReadWriteOnce}) {
		t.Errorf("claim = %+v", claim.Spec)
	}
	pod := find[*batchv1.CronJob](objs, "db-backup").Spec.JobTemplate.Spec.Template.Spec
	if len(pod.InitContainers) != 0 {
		t.Errorf("a claim needs no tools: %v", containerNames(pod.InitContainers))
	}
	if envMap(pod.Containers[0].Env)["MYSQLGEN_BACKUP_DIR"].Value != pathBackupDir {
		t.Error("MYSQLGEN_BACKUP_DIR not set")
	}
	i := slices.IndexFunc(pod.Volumes, func(v corev1.Volume) bool { return v.PersistentVolumeClaim != nil })
	if i < 0 || pod.Volumes[i].PersistentVolumeClaim.ClaimName != "db-backup" || pod.Volumes[i].PersistentVolumeClaim.ReadOnly {
		t.Fatalf("claim volume missing or read-only: %+v", pod.Volumes)
	}
	m := slices.IndexFunc(pod.Containers[0].VolumeMounts, func(m corev1.VolumeMount) bool { return m.Name == pod.Volumes[i].Name })
	if m < 0 || pod.Containers[0].VolumeMounts[m].MountPath != pathBackupDir {
		t.Error("the claim is not mounted at MYSQLGEN_BACKUP_DIR")
	}
}

// The members admit the backup Job's pods to the backup port, nothing else
// new; the Job's pods may reach only DNS, the members' backup port and the
// endpoint's port.
func TestBackupNetworkPolicies(t *testing.T) {
	c := defaulted(t, withS3Backup)
	objs := Objects(c)
	members := find[*networkingv1.NetworkPolicy](objs, "db")
	jobLabels := labels.Set(find[*batchv1.CronJob](objs, "db-backup").Spec.JobTemplate.Spec.Template.Labels)
	for _, r := range members.Spec.Ingress {
		admitsJob := slices.ContainsFunc(r.From, func(p networkingv1.NetworkPolicyPeer) bool {
			return p.PodSelector != nil && len(p.PodSelector.MatchLabels) > 0 && labels.SelectorFromSet(p.PodSelector.MatchLabels).Matches(jobLabels)
		})
		if admitsJob != (r.Ports[0].Port.IntVal == portBackup) {
			t.Errorf("port %d: admits the backup job %v", r.Ports[0].Port.IntVal, admitsJob)
		}
	}
	np := find[*networkingv1.NetworkPolicy](objs, "db-backup")
	if !labels.SelectorFromSet(np.Spec.PodSelector.MatchLabels).Matches(jobLabels) || len(np.Spec.Ingress) != 0 ||
		!slices.Contains(np.Spec.PolicyTypes, networkingv1.PolicyTypeIngress) || !slices.Contains(np.Spec.PolicyTypes, networkingv1.PolicyTypeEgress) {
		t.Errorf("backup policy = %+v", np.Spec)
	}
	var ports []int32
	for _, r := range np.Spec.Egress {
		for _, p := range r.Ports {
			ports = append(ports, p.Port.IntVal)
		}
		if len(r.To) > 0 && r.Ports[0].Port.IntVal != portBackup {
			t.Errorf("egress rule with peers on port %d", r.Ports[0].Port.IntVal)
		}
	}
	if !slices.Equal(ports, []int32{53, 53, portBackup, 9443}) {
		t.Errorf("egress ports %v", ports)
	}
	for endpoint, want := range map[string]int32{"https://s3.example.com": 443, "http://minio:9000": 9000, "http://minio": 80} {
		if got := endpointPort(endpoint); got != want {
			t.Errorf("endpointPort(%s) = %d, want %d", endpoint, got, want)
		}
	}
}

// A restore wires init-mysql and clone-mysql, as the contract says; without
// spec.restore the StatefulSet is unchanged.
func TestRestoreWiring(t *testing.T) {
	plain := find[*appsv1.StatefulSet](Objects(defaulted(t, func(*spec.ClusterSpec) {})), "db")
	cases := map[string]struct {
		restore   *spec.Restore
		inits     []string
		volume    string
		cloneEnv  map[string]string
		cloneDirs []string
	}{
		"from a claim": {
			restore: &spec.Restore{Backup: "20260115T030000Z", PVC: &spec.RestorePVC{ClaimName: "old"}},
			inits:   []string{"init-mysql", "clone-mysql"}, volume: "restore",
			cloneEnv:  map[string]string{"MYSQLGEN_RESTORE_BACKUP": "20260115T030000Z", "MYSQLGEN_BACKUP_DIR": pathBackupDir},
			cloneDirs: []string{pathBackupDir},
		},
		"from s3": {
			restore: &spec.Restore{Backup: "latest", S3: testS3()},
			inits:   []string{"tools", "init-mysql", "clone-mysql"}, volume: "tools",
			cloneEnv:  map[string]string{"MYSQLGEN_RESTORE_BACKUP": "latest", "MYSQLGEN_S3_BUCKET": "bkp", "MYSQLGEN_RCLONE": pathRclone},
			cloneDirs: []string{pathTools},
		},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			sts := find[*appsv1.StatefulSet](Objects(defaulted(t, func(s *spec.ClusterSpec) { s.Restore = tc.restore })), "db")
			pod := sts.Spec.Template.Spec
			if got := containerNames(pod.InitContainers); !slices.Equal(got, tc.inits) {
				t.Fatalf("init containers %v, want %v", got, tc.inits)
			}
			for _, ctr := range pod.InitContainers[len(tc.inits)-2:] {
				env := envMap(ctr.Env)
				for k, v := range tc.cloneEnv {
					if env[k].Value != v {
						t.Errorf("%s: %s = %q, want %q", ctr.Name, k, env[k].Value, v)
					}
				}
			}
			clone := pod.InitContainers[len(tc.inits)-1]
			for _, dir := range tc.cloneDirs {
				i := slices.IndexFunc(clone.VolumeMounts, func(m corev1.VolumeMount) bool { return m.MountPath == dir })
				if i < 0 || !clone.VolumeMounts[i].ReadOnly || clone.VolumeMounts[i].Name != tc.volume {
					t.Errorf("clone-mysql mounts %+v, want %s read-only at %s", clone.VolumeMounts, tc.volume, dir)
				}
			}
			if tc.restore.PVC != nil {
				v := pod.Volumes[len(pod.Volumes)-1]
				if v.Name != volumeRestore || v.PersistentVolumeClaim.ClaimName != "old" || !v.PersistentVolumeClaim.ReadOnly {
					t.Errorf("restore volume %+v", v)
				}
			}
			if len(pod.Volumes) != len(plain.Spec.Template.Spec.Volumes)+1 || len(pod.Containers) != len(plain.Spec.Template.Spec.Containers) {
				t.Errorf("a restore adds one volume and no container")
			}
		})
	}
	if slices.ContainsFunc(plain.Spec.Template.Spec.InitContainers[1].Env, func(e corev1.EnvVar) bool { return e.Name == "MYSQLGEN_RESTORE_BACKUP" }) {
		t.Error("a cluster without spec.restore restores")
	}
}

// With spec.tls the members' backup port speaks mutual TLS only, so the
// Job's pod must hold the certificate and say so to backup.sh.
func TestBackupJobWithTLS(t *testing.T) {
	for name, tls := range map[string]*spec.TLS{
		"a Secret":     {SecretName: "db-certs"},
		"cert-manager": {CertManager: &spec.CertManager{SelfSigned: true}},
	} {
		t.Run(name, func(t *testing.T) {
			c := defaulted(t, func(s *spec.ClusterSpec) { withPVCBackup("20Gi", "")(s); s.TLS = tls })
			pod := find[*batchv1.CronJob](Objects(c), "db-backup").Spec.JobTemplate.Spec.Template.Spec
			var secret string
			for _, v := range pod.Volumes {
				if v.Name == volumeTLS && v.Secret != nil {
					secret = v.Secret.SecretName
				}
			}
			if want := c.TLSSecretName(); secret != want {
				t.Errorf("tls volume names Secret %q, want %q", secret, want)
			}
			ctr := pod.Containers[0]
			mounted := slices.ContainsFunc(ctr.VolumeMounts, func(m corev1.VolumeMount) bool {
				return m.Name == volumeTLS && m.MountPath == pathTLS && m.ReadOnly
			})
			env := envMap(ctr.Env)
			if !mounted || env["MYSQLGEN_TLS"].Value != "ON" || env["MYSQLGEN_TLS_DIR"].Value != pathTLS {
				t.Errorf("backup container: tls mounted %v, env %v %v", mounted, env["MYSQLGEN_TLS"], env["MYSQLGEN_TLS_DIR"])
			}
		})
	}
	c := defaulted(t, withPVCBackup("20Gi", ""))
	pod := find[*batchv1.CronJob](Objects(c), "db-backup").Spec.JobTemplate.Spec.Template.Spec
	if _, ok := envMap(pod.Containers[0].Env)["MYSQLGEN_TLS"]; ok {
		t.Error("MYSQLGEN_TLS set without spec.tls")
	}
}
