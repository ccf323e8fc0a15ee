package render

import (
	"fmt"
	"maps"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/util/intstr"
)

// makeMetricsContainer runs mysqld_exporter beside the server. It logs in
// over the shared socket as metrics@localhost: user and socket from the
// client file init-mysql writes, the password from the Secret through
// MYSQLD_EXPORTER_PASSWORD. The exporter reads the file with go-ini, which
// cuts a value at # or ; and expands $; it adds the variable as
// "[client]\npassword = ${MYSQLD_EXPORTER_PASSWORD}" ahead of the file and
// expands it once with os.ExpandEnv, so the value arrives as stored
// (prometheus/mysqld_exporter v0.17.2, config/config.go, ReloadConfig).
func makeMetricsContainer(c *cluster) corev1.Container {
	port := intstr.FromString(portNameMetrics)
	probe := func(handler corev1.ProbeHandler, failures int32) *corev1.Probe {
		return &corev1.Probe{ProbeHandler: handler, PeriodSeconds: 10, TimeoutSeconds: 5, FailureThreshold: failures}
	}
	// Alive while it listens; ready when it serves its landing page (not
	// /metrics, which would query the server on every probe).
	live := corev1.ProbeHandler{TCPSocket: &corev1.TCPSocketAction{Port: port}}
	ready := corev1.ProbeHandler{HTTPGet: &corev1.HTTPGetAction{Path: "/", Port: port}}
	return corev1.Container{
		Name:            containerMetrics,
		Image:           c.Spec.Metrics.Image,
		ImagePullPolicy: corev1.PullPolicy(c.Spec.ImagePullPolicy),
		Command: []string{
			"/bin/mysqld_exporter",
			"--config.my-cnf=" + pathGenerated + "/" + fileMetricsCnf,
			"--web.listen-address=:" + fmt.Sprint(portMetrics),
		},
		Env: []corev1.EnvVar{{Name: envExporterPassword, ValueFrom: &corev1.EnvVarSource{
			SecretKeyRef: &corev1.SecretKeySelector{
				LocalObjectReference: corev1.LocalObjectReference{Name: c.Spec.Credentials.SecretName},
				Key:                  secretKeyMetricsPassword,
			},
		}}},
		Ports:           []corev1.ContainerPort{{Name: portNameMetrics, ContainerPort: portMetrics, Protocol: corev1.ProtocolTCP}},
		Resources:       resources(c.Spec.Metrics.Resources),
		SecurityContext: containerSecurityContext(),
		LivenessProbe:   probe(live, 6),
		ReadinessProbe:  probe(ready, 2),
		VolumeMounts:    mounts(volumeGenerated, volumeRun),
	}
}

// makeMetricsService is what a ServiceMonitor (or a scrape config) selects:
// headless, so that every member is scraped, not one behind a load balancer.
func makeMetricsService(c *cluster) *corev1.Service {
	if !c.Spec.Metrics.Enabled {
		return nil
	}
	meta := c.objectMeta(c.name(metricsSuffix))
	meta.Labels[labelMetricsService] = "true"
	return &corev1.Service{
		TypeMeta:   typeMeta("v1", "Service"),
		ObjectMeta: meta,
		Spec: corev1.ServiceSpec{
			ClusterIP: corev1.ClusterIPNone,
			Selector:  c.selectorLabels(),
			Ports: []corev1.ServicePort{{
				Name: portNameMetrics, Port: portMetrics, TargetPort: intstr.FromString(portNameMetrics), Protocol: corev1.ProtocolTCP,
			}},
		},
	}
}

// ServiceMonitor is the part of the Prometheus Operator's
// monitoring.coreos.com/v1 ServiceMonitor that mysqlgen sets. The operator's
// Go module would pull in much more than these few fields need.
type ServiceMonitor struct {
	metav1.TypeMeta   `json:",inline"`
	metav1.ObjectMeta `json:"metadata,omitempty"`
	Spec              ServiceMonitorSpec `json:"spec"`
}

// ServiceMonitorSpec selects Services and says how to scrape them.
type ServiceMonitorSpec struct {
	Selector          metav1.LabelSelector `json:"selector"`
	NamespaceSelector *NamespaceSelector   `json:"namespaceSelector,omitempty"`
	Endpoints         []Endpoint           `json:"endpoints"`
}

// NamespaceSelector names the namespaces a ServiceMonitor looks in.
type NamespaceSelector struct {
	MatchNames []string `json:"matchNames,omitempty"`
}

// Endpoint is one scraped port.
type Endpoint struct {
	Port     string `json:"port"`
	Path     string `json:"path,omitempty"`
	Interval string `json:"interval,omitempty"`
}

// DeepCopyObject makes ServiceMonitor a runtime.Object.
func (s *ServiceMonitor) DeepCopyObject() runtime.Object {
	out := *s
	s.ObjectMeta.DeepCopyInto(&out.ObjectMeta)
	s.Spec.Selector.DeepCopyInto(&out.Spec.Selector)
	if s.Spec.NamespaceSelector != nil {
		ns := *s.Spec.NamespaceSelector
		ns.MatchNames = append([]string(nil), ns.MatchNames...)
		out.Spec.NamespaceSelector = &ns
	}
	out.Spec.Endpoints = append([]Endpoint(nil), s.Spec.Endpoints...)
	return &out
}

func makeServiceMonitor(c *cluster) *ServiceMonitor {
	if !c.Spec.Metrics.Enabled || !c.Spec.Metrics.ServiceMonitor.Enabled {
		return nil
	}
	meta := c.objectMeta(c.Metadata.Name)
	maps.Copy(meta.Labels, c.Spec.Metrics.ServiceMonitor.Labels)
	sm := &ServiceMonitor{
		TypeMeta:   typeMeta("monitoring.coreos.com/v1", "ServiceMonitor"),
		ObjectMeta: meta,
		Spec: ServiceMonitorSpec{
			Selector: metav1.LabelSelector{MatchLabels: maps.Clone(c.selectorLabels())},
			Endpoints: []Endpoint{{
				Port: portNameMetrics, Path: "/metrics", Interval: c.Spec.Metrics.ServiceMonitor.Interval,
			}},
		},
	}
	// Only the metrics Service: the others select the same pods.
	sm.Spec.Selector.MatchLabels[labelMetricsService] = "true"
	if ns := c.Metadata.Namespace; ns != "" {
		sm.Spec.NamespaceSelector = &NamespaceSelector{MatchNames: []string{ns}}
	}
	return sm
}
