package render

import (
	"maps"
	"slices"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/utils/ptr"

	"github.com/mysqlgen/mysqlgen/internal/spec"
)

// makeStatefulSet renders the members: ordinal 0 the primary, the rest
// replicas, each started only when the one before is ready (OrderedReady), so
// that a new replica can clone from its predecessor.
func makeStatefulSet(c *cluster, configDigest string) *appsv1.StatefulSet {
	return &appsv1.StatefulSet{
		TypeMeta:   typeMeta("apps/v1", "StatefulSet"),
		ObjectMeta: c.objectMeta(c.Metadata.Name),
		Spec: appsv1.StatefulSetSpec{
			Replicas:             c.Spec.Replicas,
			ServiceName:          c.Metadata.Name,
			PodManagementPolicy:  appsv1.OrderedReadyPodManagement,
			Selector:             &metav1.LabelSelector{MatchLabels: c.selectorLabels()},
			UpdateStrategy:       appsv1.StatefulSetUpdateStrategy{Type: appsv1.RollingUpdateStatefulSetStrategyType},
			Template:             withRestore(c, makePodTemplate(c, configDigest)),
			VolumeClaimTemplates: []corev1.PersistentVolumeClaim{makeDataClaim(c)},
			PersistentVolumeClaimRetentionPolicy: &appsv1.StatefulSetPersistentVolumeClaimRetentionPolicy{
				WhenDeleted: appsv1.PersistentVolumeClaimRetentionPolicyType(c.Spec.Storage.RetentionPolicy.WhenDeleted),
				WhenScaled:  appsv1.PersistentVolumeClaimRetentionPolicyType(c.Spec.Storage.RetentionPolicy.WhenScaled),
			},
		},
	}
}

func makePodTemplate(c *cluster, configDigest string) corev1.PodTemplateSpec {
	annotations := maps.Clone(c.Spec.PodAnnotations)
	if annotations == nil {
		annotations = map[string]string{}
	}
	annotations[annotationConfigDigest] = configDigest
	containers := []corev1.Container{makeServerContainer(c), makeBackupContainer(c)}
	if c.Spec.Metrics.Enabled {
		containers = append(containers, makeMetricsContainer(c))
	}
	sched := c.Spec.Scheduling
	return corev1.PodTemplateSpec{
		ObjectMeta: metav1.ObjectMeta{Labels: c.labels(), Annotations: annotations},
		Spec: corev1.PodSpec{
			AutomountServiceAccountToken:  ptr.To(false),
			SecurityContext:               podSecurityContext(),
			TerminationGracePeriodSeconds: c.Spec.TerminationGracePeriodSeconds,
			Affinity:                      makeAffinity(c),
			TopologySpreadConstraints:     makeTopologySpread(c),
			NodeSelector:                  maps.Clone(sched.NodeSelector),
			Tolerations:                   slices.Clone(sched.Tolerations),
			PriorityClassName:             sched.PriorityClassName,
			ImagePullSecrets:              pullSecrets(c.Spec.ImagePullSecrets),
			InitContainers:                []corev1.Container{makeInitContainer(c), makeCloneContainer(c)},
			Containers:                    containers,
			Volumes:                       makeVolumes(c),
		},
	}
}

func podSecurityContext() *corev1.PodSecurityContext {
	return &corev1.PodSecurityContext{
		RunAsUser:           ptr.To[int64](mysqlUID),
		RunAsGroup:          ptr.To[int64](mysqlUID),
		FSGroup:             ptr.To[int64](mysqlUID),
		RunAsNonRoot:        ptr.To(true),
		FSGroupChangePolicy: ptr.To(corev1.FSGroupChangeOnRootMismatch),
		SeccompProfile:      &corev1.SeccompProfile{Type: corev1.SeccompProfileTypeRuntimeDefault},
	}
}

func containerSecurityContext() *corev1.SecurityContext {
	return &corev1.SecurityContext{
		AllowPrivilegeEscalation: ptr.To(false),
		ReadOnlyRootFilesystem:   ptr.To(true),
		Capabilities:             &corev1.Capabilities{Drop: []corev1.Capability{"ALL"}},
	}
}

// container is what all four containers share.
func container(c *cluster, name, image, script string, res spec.Resources, mounts []corev1.VolumeMount) corev1.Container {
	return corev1.Container{
		Name:            name,
		Image:           image,
		ImagePullPolicy: corev1.PullPolicy(c.Spec.ImagePullPolicy),
		Command:         []string{"bash", pathScripts + "/" + script},
		Env:             scriptEnv(c),
		Resources:       resources(res),
		SecurityContext: containerSecurityContext(),
		VolumeMounts:    append(mounts, tlsMounts(c, name)...),
	}
}

func makeInitContainer(c *cluster) corev1.Container {
	return container(c, containerInit, c.Spec.Image, "init-mysql.sh", c.Spec.Resources,
		mounts(volumeData, volumeConfig, volumeGenerated, volumeSecret, volumeScripts, volumeRun, volumeTmp))
}

func makeCloneContainer(c *cluster) corev1.Container {
	// The Secret answers the donor's challenge (templates/common.sh).
	return container(c, containerClone, c.Spec.BackupImage, "clone-mysql.sh", c.Spec.BackupResources,
		mounts(volumeData, volumeGenerated, volumeSecret, volumeScripts, volumeTmp))
}

func makeServerContainer(c *cluster) corev1.Container {
	ctr := container(c, containerServer, c.Spec.Image, "server.sh", c.Spec.Resources,
		mounts(volumeData, volumeGenerated, volumeScripts, volumeRun, volumeTmp))
	ctr.Ports = []corev1.ContainerPort{{Name: portNameMySQL, ContainerPort: portMySQL, Protocol: corev1.ProtocolTCP}}
	// A first start or crash recovery may take long (15 minutes here);
	// liveness waits for it. Every 2 s, so that a restarted primary is
	// ready, and takes writes, soon after its server answers.
	ctr.StartupProbe = execProbe("live", 2, 5, 450)
	ctr.LivenessProbe = execProbe("live", 10, 5, 6)
	ctr.ReadinessProbe = execProbe("ready", 5, 5, 2)
	return ctr
}

func makeBackupContainer(c *cluster) corev1.Container {
	ctr := container(c, containerBackup, c.Spec.BackupImage, "sidecar.sh", c.Spec.BackupResources,
		mounts(volumeData, volumeGenerated, volumeSecret, volumeScripts, volumeRun, volumeTmp))
	ctr.Ports = []corev1.ContainerPort{{Name: portNameBackup, ContainerPort: portBackup, Protocol: corev1.ProtocolTCP}}
	// Ready once it serves backups, so the next ordinal's clone finds it.
	ctr.ReadinessProbe = execProbe("backup", 5, 5, 2)
	return ctr
}

func execProbe(check string, period, timeout, failures int32) *corev1.Probe {
	return &corev1.Probe{
		ProbeHandler: corev1.ProbeHandler{
			Exec: &corev1.ExecAction{Command: []string{"bash", pathScripts + "/probe.sh", check}},
		},
		PeriodSeconds:    period,
		TimeoutSeconds:   timeout,
		FailureThreshold: failures,
	}
}

// volumeMounts by volume name, each at its one path.
var mountPaths = map[string]string{
	volumeData:      pathDataRoot,
	volumeConfig:    pathConfigMap,
	volumeGenerated: pathGenerated,
	volumeSecret:    pathSecret,
	volumeScripts:   pathScripts,
	volumeRun:       pathRun,
	volumeTmp:       pathTmp,
}

var readOnlyVolumes = map[string]bool{volumeConfig: true, volumeSecret: true, volumeScripts: true}

func mounts(names ...string) []corev1.VolumeMount {
	m := make([]corev1.VolumeMount, 0, len(names))
	for _, n := range names {
		m = append(m, corev1.VolumeMount{Name: n, MountPath: mountPaths[n], ReadOnly: readOnlyVolumes[n]})
	}
	return m
}

func makeVolumes(c *cluster) []corev1.Volume {
	return append([]corev1.Volume{
		{Name: volumeConfig, VolumeSource: corev1.VolumeSource{ConfigMap: &corev1.ConfigMapVolumeSource{
			LocalObjectReference: corev1.LocalObjectReference{Name: c.name(configSuffix)},
			DefaultMode:          ptr.To[int32](0o444),
		}}},
		scriptsVolume(c),
		// Group-readable: files are root's, fsGroup makes them the mysql group's.
		{Name: volumeSecret, VolumeSource: corev1.VolumeSource{Secret: &corev1.SecretVolumeSource{
			SecretName:  c.Spec.Credentials.SecretName,
			DefaultMode: ptr.To[int32](0o440),
		}}},
		emptyDirVolume(volumeGenerated),
		emptyDirVolume(volumeRun),
		emptyDirVolume(volumeTmp),
	}, tlsVolumes(c)...)
}

func makeDataClaim(c *cluster) corev1.PersistentVolumeClaim {
	claim := corev1.PersistentVolumeClaim{
		ObjectMeta: metav1.ObjectMeta{Name: volumeData, Labels: c.selectorLabels()},
		Spec: corev1.PersistentVolumeClaimSpec{
			AccessModes: accessModes(c.Spec.Storage.AccessModes),
			Resources: corev1.VolumeResourceRequirements{Requests: corev1.ResourceList{
				corev1.ResourceStorage: resource.MustParse(c.Spec.Storage.Size),
			}},
			VolumeMode: ptr.To(corev1.PersistentVolumeFilesystem),
		},
	}
	if sc := c.Spec.Storage.StorageClassName; sc != "" {
		claim.Spec.StorageClassName = ptr.To(sc)
	}
	return claim
}

func accessModes(modes []string) []corev1.PersistentVolumeAccessMode {
	out := make([]corev1.PersistentVolumeAccessMode, 0, len(modes))
	for _, m := range modes {
		out = append(out, corev1.PersistentVolumeAccessMode(m))
	}
	return out
}

func resources(r spec.Resources) corev1.ResourceRequirements {
	list := func(m map[string]string) corev1.ResourceList {
		if len(m) == 0 {
			return nil
		}
		l := corev1.ResourceList{}
		for k, v := range m {
			l[corev1.ResourceName(k)] = resource.MustParse(v)
		}
		return l
	}
	return corev1.ResourceRequirements{Requests: list(r.Requests), Limits: list(r.Limits)}
}
