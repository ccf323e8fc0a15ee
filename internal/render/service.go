package render

import (
	"fmt"
	"maps"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/intstr"
)

func typeMeta(apiVersion, kind string) metav1.TypeMeta {
	return metav1.TypeMeta{APIVersion: apiVersion, Kind: kind}
}

func mysqlServicePort() corev1.ServicePort {
	return corev1.ServicePort{
		Name:       portNameMySQL,
		Port:       portMySQL,
		TargetPort: intstr.FromString(portNameMySQL),
		Protocol:   corev1.ProtocolTCP,
	}
}

// makeHeadlessService gives each pod its stable DNS name <name>-N.<name>. It
// publishes pods before they are ready: a replica must reach the primary,
// and a new pod its donor, while they start.
func makeHeadlessService(c *cluster) *corev1.Service {
	return &corev1.Service{
		TypeMeta:   typeMeta("v1", "Service"),
		ObjectMeta: c.objectMeta(c.Metadata.Name),
		Spec: corev1.ServiceSpec{
			ClusterIP:                corev1.ClusterIPNone,
			PublishNotReadyAddresses: true,
			Selector:                 c.selectorLabels(),
			Ports:                    []corev1.ServicePort{mysqlServicePort()},
		},
	}
}

// makeReadService balances reads over every ready member; readiness drops a
// replica whose replication stopped or lags.
func makeReadService(c *cluster) *corev1.Service {
	return &corev1.Service{
		TypeMeta:   typeMeta("v1", "Service"),
		ObjectMeta: c.objectMeta(c.name(readSuffix)),
		Spec: corev1.ServiceSpec{
			Type:     corev1.ServiceTypeClusterIP,
			Selector: c.selectorLabels(),
			Ports:    []corev1.ServicePort{mysqlServicePort()},
		},
	}
}

// makePrimaryService is where writes go: the primary's ordinal only, chosen
// by the label the StatefulSet controller gives every pod with its ordinal
// (Kubernetes 1.28+), not by a pod name, which a kustomize namePrefix would
// leave pointing at a pod that does not exist.
func makePrimaryService(c *cluster) *corev1.Service {
	selector := c.selectorLabels()
	maps.Copy(selector, map[string]string{labelPodIndex: fmt.Sprint(c.primary())})
	return &corev1.Service{
		TypeMeta:   typeMeta("v1", "Service"),
		ObjectMeta: c.objectMeta(c.name(primarySuffix)),
		Spec: corev1.ServiceSpec{
			Type:     corev1.ServiceTypeClusterIP,
			Selector: selector,
			Ports:    []corev1.ServicePort{mysqlServicePort()},
		},
	}
}
