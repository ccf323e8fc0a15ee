package render

import (
	"slices"

	corev1 "k8s.io/api/core/v1"
	networkingv1 "k8s.io/api/networking/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/intstr"
)

// makeNetworkPolicy admits the server port from the chosen clients and the
// cluster's own pods, the backup port (which hands out a full copy of the
// data to whoever connects) from the cluster's own pods only, and the metrics
// port from the chosen scrapers. Everything else inbound is refused.
func makeNetworkPolicy(c *cluster) *networkingv1.NetworkPolicy {
	if !*c.Spec.NetworkPolicy.Enabled {
		return nil
	}
	self := networkingv1.NetworkPolicyPeer{PodSelector: &metav1.LabelSelector{MatchLabels: c.selectorLabels()}}
	clients := c.Spec.NetworkPolicy.From
	if len(clients) == 0 {
		// Every pod of the cluster's namespace.
		clients = []networkingv1.NetworkPolicyPeer{{PodSelector: &metav1.LabelSelector{}}}
	}
	rules := []networkingv1.NetworkPolicyIngressRule{
		{Ports: []networkingv1.NetworkPolicyPort{tcpPort(portMySQL)}, From: append(slices.Clone(clients), self)},
		{Ports: []networkingv1.NetworkPolicyPort{tcpPort(portBackup)}, From: append([]networkingv1.NetworkPolicyPeer{self}, backupPeers(c)...)},
	}
	if c.Spec.Metrics.Enabled {
		// An empty From admits any source.
		rules = append(rules, networkingv1.NetworkPolicyIngressRule{
			Ports: []networkingv1.NetworkPolicyPort{tcpPort(portMetrics)},
			From:  c.Spec.NetworkPolicy.MetricsFrom,
		})
	}
	return &networkingv1.NetworkPolicy{
		TypeMeta:   typeMeta("networking.k8s.io/v1", "NetworkPolicy"),
		ObjectMeta: c.objectMeta(c.Metadata.Name),
		Spec: networkingv1.NetworkPolicySpec{
			PodSelector: metav1.LabelSelector{MatchLabels: c.selectorLabels()},
			PolicyTypes: []networkingv1.PolicyType{networkingv1.PolicyTypeIngress},
			Ingress:     rules,
		},
	}
}

func tcpPort(port int32) networkingv1.NetworkPolicyPort {
	p := intstr.FromInt32(port)
	tcp := corev1.ProtocolTCP
	return networkingv1.NetworkPolicyPort{Protocol: &tcp, Port: &p}
}
