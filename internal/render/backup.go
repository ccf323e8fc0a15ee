package render

import (
	"fmt"
	"maps"
	"net/url"
	"slices"
	"strconv"

	batchv1 "k8s.io/api/batch/v1"
	corev1 "k8s.io/api/core/v1"
	networkingv1 "k8s.io/api/networking/v1"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/utils/ptr"

	"github.com/mysqlgen/mysqlgen/internal/spec"
)

// backupSelectorLabels select the backup Job's pods: the members'
// NetworkPolicy admits them to the backup port, and their own policy
// selects them.
func (c *cluster) backupSelectorLabels() map[string]string {
	l := c.selectorLabels()
	l[labelComponent] = componentBackup
	return l
}

// backupMeta is the metadata of the backup objects: the cluster's labels
// with component backup.
func (c *cluster) backupMeta(name string) metav1.ObjectMeta {
	m := c.objectMeta(name)
	m.Labels[labelComponent] = componentBackup
	return m
}

// makeBackupCronJob takes one backup per schedule with backup.sh, from a
// member's backup port (the clone stream, authenticated with the
// replication password) into the destination. Forbid: two backups at once
// would load the cluster twice and race on retention. The starting deadline
// lets a backup missed during an hour of controller downtime still run (and
// keeps the controller from giving up after 100 missed schedules); the
// active deadline bounds a stuck stream, retries included.
func makeBackupCronJob(c *cluster) *batchv1.CronJob {
	b := c.Spec.Backup
	if b == nil {
		return nil
	}
	var tz *string
	if b.TimeZone != "" {
		tz = ptr.To(b.TimeZone)
	}
	meta := c.backupMeta(c.name(backupSuffix))
	return &batchv1.CronJob{
		TypeMeta:   typeMeta("batch/v1", "CronJob"),
		ObjectMeta: meta,
		Spec: batchv1.CronJobSpec{
			Schedule:                   b.Schedule,
			TimeZone:                   tz,
			ConcurrencyPolicy:          batchv1.ForbidConcurrent,
			StartingDeadlineSeconds:    ptr.To[int64](backupStartDeadline),
			SuccessfulJobsHistoryLimit: ptr.To[int32](backupJobHistory),
			FailedJobsHistoryLimit:     ptr.To[int32](backupJobHistory),
			JobTemplate: batchv1.JobTemplateSpec{
				ObjectMeta: metav1.ObjectMeta{Labels: maps.Clone(meta.Labels)},
				Spec: batchv1.JobSpec{
					BackoffLimit:          ptr.To[int32](backupJobRetries),
					ActiveDeadlineSeconds: b.ActiveDeadlineSeconds,
					Template:              makeBackupPodTemplate(c, meta.Labels),
				},
			},
		},
	}
}

func makeBackupPodTemplate(c *cluster, labels map[string]string) corev1.PodTemplateSpec {
	b := c.Spec.Backup
	sched := c.Spec.Scheduling
	ctr := container(c, containerBackupJob, c.Spec.BackupImage, scriptBackup, b.Resources,
		mounts(volumeScripts, volumeSecret, volumeTmp))
	ctr.Env = append(backupEnv(c), destinationEnv(b.PVC != nil, b.S3)...)
	volumes := []corev1.Volume{
		scriptsVolume(c),
		// Only the replication password: the clone exchange's key. The
		// Job never logs in to a server.
		{Name: volumeSecret, VolumeSource: corev1.VolumeSource{Secret: &corev1.SecretVolumeSource{
			SecretName:  c.Spec.Credentials.SecretName,
			Items:       []corev1.KeyToPath{{Key: spec.SecretKeyReplication, Path: spec.SecretKeyReplication}},
			DefaultMode: ptr.To[int32](0o440),
		}}},
		emptyDirVolume(volumeTmp),
	}
	if c.Spec.TLS != nil {
		// The members' backup port speaks mutual TLS: the Job shows the
		// members' certificate and verifies theirs (peer_socat_address).
		volumes = append(volumes, tlsSecretVolume(c))
		ctr.VolumeMounts = append(ctr.VolumeMounts, corev1.VolumeMount{Name: volumeTLS, MountPath: pathTLS, ReadOnly: true})
		ctr.Env = append(ctr.Env, plainEnv([][2]string{{"MYSQLGEN_TLS", "ON"}, {"MYSQLGEN_TLS_DIR", pathTLS}})...)
	}
	var inits []corev1.Container
	if b.PVC != nil {
		ctr.VolumeMounts = append(ctr.VolumeMounts, corev1.VolumeMount{Name: volumeBackups, MountPath: pathBackupDir})
		volumes = append(volumes, claimVolume(volumeBackups, spec.BackupClaimName(c.Metadata.Name, b.PVC), false))
	} else {
		inits = []corev1.Container{makeToolsContainer(c, b.ToolsImage, b.Resources)}
		ctr.VolumeMounts = append(ctr.VolumeMounts, toolsMount())
		volumes = append(volumes, emptyDirVolume(volumeTools))
	}
	return corev1.PodTemplateSpec{
		ObjectMeta: metav1.ObjectMeta{Labels: maps.Clone(labels), Annotations: maps.Clone(c.Spec.PodAnnotations)},
		Spec: corev1.PodSpec{
			AutomountServiceAccountToken: ptr.To(false),
			SecurityContext:              podSecurityContext(),
			RestartPolicy:                corev1.RestartPolicyNever,
			NodeSelector:                 maps.Clone(sched.NodeSelector),
			Tolerations:                  slices.Clone(sched.Tolerations),
			PriorityClassName:            sched.PriorityClassName,
			ImagePullSecrets:             pullSecrets(c.Spec.ImagePullSecrets),
			InitContainers:               inits,
			Containers:                   []corev1.Container{ctr},
			Volumes:                      volumes,
		},
	}
}

// backupEnv is backup.sh's environment, exactly the backup contract's: the
// server's flavor and dialect, which StatefulSet's members to reach and how
// (a Job pod's own name is not a member's), from which member, and how much
// to keep. Not the members' generated or data directories: the Job's pod
// mounts neither, and backup.sh keeps its files in /tmp when they are unset.
func backupEnv(c *cluster) []corev1.EnvVar {
	b := c.Spec.Backup
	return append(plainEnv([][2]string{
		{"MYSQLGEN_BACKUP_COMPRESSION", b.Compression},
		{"MYSQLGEN_BACKUP_KEEP", fmt.Sprint(*b.Retention.Count)},
		{"MYSQLGEN_BACKUP_MAX_AGE_DAYS", fmt.Sprint(*b.Retention.MaxAgeDays)},
		{"MYSQLGEN_BACKUP_PORT", fmt.Sprint(portBackup)},
		{"MYSQLGEN_BACKUP_SOURCE", b.Source},
		{"MYSQLGEN_CRONJOB", c.name(backupSuffix)},
		{"MYSQLGEN_DIALECT", c.release.Dialect},
		{"MYSQLGEN_FLAVOR", c.Spec.Flavor},
		{"MYSQLGEN_GTID", onOff(*c.Spec.Replication.GTID)},
		{"MYSQLGEN_PRIMARY_ORDINAL", fmt.Sprint(c.primary())},
		{"MYSQLGEN_REPLICAS", fmt.Sprint(*c.Spec.Replicas)},
		{"MYSQLGEN_SECRET_DIR", pathSecret},
		{"MYSQLGEN_SERVICE", c.Metadata.Name},
		{"MYSQLGEN_STATEFULSET", c.Metadata.Name},
	}), jobNameEnv)
}

// jobNameEnv is the Job's name, which the Job controller puts on its pods'
// label (Kubernetes 1.27 and later). A kustomize namePrefix or nameSuffix
// renames the CronJob, hence its Jobs, as it renames the StatefulSet and
// its Service, but no string in an env: backup.sh finds the members' names
// from what surrounds MYSQLGEN_CRONJOB in it.
var jobNameEnv = corev1.EnvVar{Name: "MYSQLGEN_JOB_NAME", ValueFrom: &corev1.EnvVarSource{
	FieldRef: &corev1.ObjectFieldSelector{APIVersion: "v1", FieldPath: "metadata.labels['" + batchv1.JobNameLabel + "']"},
}}

// destinationEnv names where backups are: the claim's mount, or the bucket
// with rclone and the credentials (from the user's Secret, never in a
// ConfigMap).
func destinationEnv(onClaim bool, s3 *spec.BackupS3) []corev1.EnvVar {
	if onClaim {
		return plainEnv([][2]string{{"MYSQLGEN_BACKUP_DIR", pathBackupDir}})
	}
	env := plainEnv([][2]string{
		{"MYSQLGEN_RCLONE", pathRclone},
		{"MYSQLGEN_S3_BUCKET", s3.Bucket},
		{"MYSQLGEN_S3_ENDPOINT", s3.Endpoint},
		{"MYSQLGEN_S3_PREFIX", s3.Prefix},
		{"MYSQLGEN_S3_REGION", s3.Region},
	})
	for _, key := range []string{spec.S3KeyAccessKeyID, spec.S3KeySecretAccessKey} {
		env = append(env, corev1.EnvVar{Name: key, ValueFrom: &corev1.EnvVarSource{
			SecretKeyRef: &corev1.SecretKeySelector{
				LocalObjectReference: corev1.LocalObjectReference{Name: s3.CredentialsSecret},
				Key:                  key,
			},
		}})
	}
	return env
}

// makeToolsContainer copies rclone out of its image into the tools
// emptyDir: the backup images hold no S3 client, and rclone is one static
// binary.
func makeToolsContainer(c *cluster, image string, res spec.Resources) corev1.Container {
	return corev1.Container{
		Name:            containerTools,
		Image:           image,
		ImagePullPolicy: corev1.PullPolicy(c.Spec.ImagePullPolicy),
		Command:         []string{"cp", pathRcloneInImage, pathRclone},
		Resources:       resources(res),
		SecurityContext: containerSecurityContext(),
		VolumeMounts:    []corev1.VolumeMount{{Name: volumeTools, MountPath: pathTools}},
	}
}

func toolsMount() corev1.VolumeMount {
	return corev1.VolumeMount{Name: volumeTools, MountPath: pathTools, ReadOnly: true}
}

// makeBackupClaim renders the backup destination's claim when spec.backup
// gives its size. GitOps tools are told not to prune it: deleting the
// cluster's manifests must not delete its backups.
func makeBackupClaim(c *cluster) *corev1.PersistentVolumeClaim {
	b := c.Spec.Backup
	if b == nil || b.PVC == nil || b.PVC.Size == "" {
		return nil
	}
	meta := c.backupMeta(spec.BackupClaimName(c.Metadata.Name, b.PVC))
	if meta.Annotations == nil {
		meta.Annotations = map[string]string{}
	}
	maps.Copy(meta.Annotations, keepAnnotations)
	claim := &corev1.PersistentVolumeClaim{
		TypeMeta:   typeMeta("v1", "PersistentVolumeClaim"),
		ObjectMeta: meta,
		Spec: corev1.PersistentVolumeClaimSpec{
			AccessModes: []corev1.PersistentVolumeAccessMode{corev1.ReadWriteOnce},
			Resources: corev1.VolumeResourceRequirements{Requests: corev1.ResourceList{
				corev1.ResourceStorage: resource.MustParse(b.PVC.Size),
			}},
			VolumeMode: ptr.To(corev1.PersistentVolumeFilesystem),
		},
	}
	if sc := b.PVC.StorageClassName; sc != "" {
		claim.Spec.StorageClassName = ptr.To(sc)
	}
	return claim
}

// keepAnnotations ask Argo CD and Flux never to delete the backup claim
// when it leaves the manifests (kubectl delete -f still deletes it).
var keepAnnotations = map[string]string{
	"argocd.argoproj.io/sync-options":   "Delete=false",
	"kustomize.toolkit.fluxcd.io/prune": "disabled",
}

// makeBackupNetworkPolicy confines the backup Job's pods, which hold the
// key to every member's data: nothing may connect to them, and they may
// reach only DNS, the members' backup port, and the S3 endpoint's port (any
// address: an endpoint's addresses are not known when rendering, and may be
// in or outside the cluster).
func makeBackupNetworkPolicy(c *cluster) *networkingv1.NetworkPolicy {
	b := c.Spec.Backup
	if b == nil || !*c.Spec.NetworkPolicy.Enabled {
		return nil
	}
	udp := corev1.ProtocolUDP
	dnsUDP := tcpPort(dnsPort)
	dnsUDP.Protocol = &udp
	members := networkingv1.NetworkPolicyPeer{PodSelector: &metav1.LabelSelector{MatchLabels: c.selectorLabels()}}
	egress := []networkingv1.NetworkPolicyEgressRule{
		{Ports: []networkingv1.NetworkPolicyPort{dnsUDP, tcpPort(dnsPort)}},
		{Ports: []networkingv1.NetworkPolicyPort{tcpPort(portBackup)}, To: []networkingv1.NetworkPolicyPeer{members}},
	}
	if b.S3 != nil {
		egress = append(egress, networkingv1.NetworkPolicyEgressRule{Ports: []networkingv1.NetworkPolicyPort{tcpPort(endpointPort(b.S3.Endpoint))}})
	}
	return &networkingv1.NetworkPolicy{
		TypeMeta:   typeMeta("networking.k8s.io/v1", "NetworkPolicy"),
		ObjectMeta: c.backupMeta(c.name(backupSuffix)),
		Spec: networkingv1.NetworkPolicySpec{
			PodSelector: metav1.LabelSelector{MatchLabels: c.backupSelectorLabels()},
			PolicyTypes: []networkingv1.PolicyType{networkingv1.PolicyTypeIngress, networkingv1.PolicyTypeEgress},
			Egress:      egress,
		},
	}
}

// endpointPort is the TCP port of a validated endpoint URL.
func endpointPort(endpoint string) int32 {
	u, _ := url.Parse(endpoint)
	if n, err := strconv.Atoi(u.Port()); err == nil {
		return int32(n)
	}
	if u.Scheme == "http" {
		return httpPort
	}
	return httpsPort
}

// backupPeers are who the members' policy admits to the backup port
// besides the members: the backup Job's pods.
func backupPeers(c *cluster) []networkingv1.NetworkPolicyPeer {
	if c.Spec.Backup == nil {
		return nil
	}
	return []networkingv1.NetworkPolicyPeer{{PodSelector: &metav1.LabelSelector{MatchLabels: c.backupSelectorLabels()}}}
}

// withRestore wires spec.restore into the members' pod template: init-mysql
// and clone-mysql learn the backup and where it is; clone-mysql, which
// restores it on the primary's ordinal, mounts the claim read-only, or
// rclone, copied first by the tools init container. Every member's pod
// carries it (one template), so a ReadWriteOnce claim keeps the members on
// other nodes waiting for it until spec.restore is removed.
func withRestore(c *cluster, t corev1.PodTemplateSpec) corev1.PodTemplateSpec {
	r := c.Spec.Restore
	if r == nil {
		return t
	}
	env := append(plainEnv([][2]string{{"MYSQLGEN_RESTORE_BACKUP", r.Backup}}), destinationEnv(r.PVC != nil, r.S3)...)
	ps := &t.Spec
	for i := range ps.InitContainers {
		ctr := &ps.InitContainers[i]
		ctr.Env = append(ctr.Env, env...)
		if ctr.Name != containerClone {
			continue
		}
		if r.PVC != nil {
			ctr.VolumeMounts = append(ctr.VolumeMounts, corev1.VolumeMount{Name: volumeRestore, MountPath: pathBackupDir, ReadOnly: true})
		} else {
			ctr.VolumeMounts = append(ctr.VolumeMounts, toolsMount())
		}
	}
	if r.PVC != nil {
		ps.Volumes = append(ps.Volumes, claimVolume(volumeRestore, r.PVC.ClaimName, true))
	} else {
		ps.InitContainers = append([]corev1.Container{makeToolsContainer(c, r.ToolsImage, c.Spec.BackupResources)}, ps.InitContainers...)
		ps.Volumes = append(ps.Volumes, emptyDirVolume(volumeTools))
	}
	return t
}

// Volumes and env both the members and the backup Job have.

func claimVolume(name, claim string, readOnly bool) corev1.Volume {
	return corev1.Volume{Name: name, VolumeSource: corev1.VolumeSource{
		PersistentVolumeClaim: &corev1.PersistentVolumeClaimVolumeSource{ClaimName: claim, ReadOnly: readOnly},
	}}
}

func emptyDirVolume(name string) corev1.Volume {
	return corev1.Volume{Name: name, VolumeSource: corev1.VolumeSource{EmptyDir: &corev1.EmptyDirVolumeSource{}}}
}

func scriptsVolume(c *cluster) corev1.Volume {
	return corev1.Volume{Name: volumeScripts, VolumeSource: corev1.VolumeSource{ConfigMap: &corev1.ConfigMapVolumeSource{
		LocalObjectReference: corev1.LocalObjectReference{Name: c.name(scriptsSuffix)},
		DefaultMode:          ptr.To[int32](0o555),
	}}}
}

func plainEnv(vars [][2]string) []corev1.EnvVar {
	env := make([]corev1.EnvVar, 0, len(vars))
	for _, v := range vars {
		env = append(env, corev1.EnvVar{Name: v[0], Value: v[1]})
	}
	return env
}

// BackupListJob is a Job that runs the backup CronJob's pod with the
// argument list: backup.sh then prints the destination's complete backups.
// Nil without spec.backup. It is the CronJob's own pod, so it reaches the
// destination with the same credentials, tools and network policy; it runs
// once, for at most ten minutes, and is deleted an hour after it ends.
func BackupListJob(c *spec.MySQLCluster) *batchv1.Job {
	release, _ := spec.LookupRelease(c.Spec.Flavor, c.Spec.Version)
	cj := makeBackupCronJob(&cluster{MySQLCluster: c, release: release})
	if cj == nil {
		return nil
	}
	tmpl := cj.Spec.JobTemplate
	tmpl.Spec.Template.Spec.Containers[0].Args = []string{backupListArg}
	tmpl.Spec.BackoffLimit = ptr.To[int32](0)
	tmpl.Spec.ActiveDeadlineSeconds = ptr.To[int64](backupListDeadline)
	tmpl.Spec.TTLSecondsAfterFinished = ptr.To[int32](backupListTTL)
	meta := cj.ObjectMeta
	meta.Name = c.Metadata.Name + backupListSuffix
	meta.Labels = tmpl.Labels
	return &batchv1.Job{TypeMeta: typeMeta("batch/v1", "Job"), ObjectMeta: meta, Spec: tmpl.Spec}
}
