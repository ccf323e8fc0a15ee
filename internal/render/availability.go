package render

import (
	corev1 "k8s.io/api/core/v1"
	policyv1 "k8s.io/api/policy/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/intstr"

	"github.com/mysqlgen/mysqlgen/internal/spec"
)

// makePodDisruptionBudget lets a drain take at most maxUnavailable members at
// once. A single member gets none: any budget would block every drain.
func makePodDisruptionBudget(c *cluster) *policyv1.PodDisruptionBudget {
	if !*c.Spec.PodDisruptionBudget.Enabled || *c.Spec.Replicas < 2 {
		return nil
	}
	maxUnavailable := intstr.FromInt32(*c.Spec.PodDisruptionBudget.MaxUnavailable)
	return &policyv1.PodDisruptionBudget{
		TypeMeta:   typeMeta("policy/v1", "PodDisruptionBudget"),
		ObjectMeta: c.objectMeta(c.Metadata.Name),
		Spec: policyv1.PodDisruptionBudgetSpec{
			MaxUnavailable: &maxUnavailable,
			Selector:       &metav1.LabelSelector{MatchLabels: c.selectorLabels()},
		},
	}
}

// makeAffinity keeps members on different nodes, so that one node's loss
// takes one member.
func makeAffinity(c *cluster) *corev1.Affinity {
	term := corev1.PodAffinityTerm{
		LabelSelector: &metav1.LabelSelector{MatchLabels: c.selectorLabels()},
		TopologyKey:   topologyHostname,
	}
	switch c.Spec.Scheduling.AntiAffinity {
	case spec.AntiAffinityHard:
		return &corev1.Affinity{PodAntiAffinity: &corev1.PodAntiAffinity{
			RequiredDuringSchedulingIgnoredDuringExecution: []corev1.PodAffinityTerm{term},
		}}
	case spec.AntiAffinitySoft:
		return &corev1.Affinity{PodAntiAffinity: &corev1.PodAntiAffinity{
			PreferredDuringSchedulingIgnoredDuringExecution: []corev1.WeightedPodAffinityTerm{{Weight: 100, PodAffinityTerm: term}},
		}}
	}
	return nil
}

// makeTopologySpread spreads members over zones when asked.
func makeTopologySpread(c *cluster) []corev1.TopologySpreadConstraint {
	var when corev1.UnsatisfiableConstraintAction
	switch c.Spec.Scheduling.ZoneSpread {
	case spec.ZoneSpreadHard:
		when = corev1.DoNotSchedule
	case spec.ZoneSpreadSoft:
		when = corev1.ScheduleAnyway
	default:
		return nil
	}
	return []corev1.TopologySpreadConstraint{{
		MaxSkew:           1,
		TopologyKey:       topologyZone,
		WhenUnsatisfiable: when,
		LabelSelector:     &metav1.LabelSelector{MatchLabels: c.selectorLabels()},
	}}
}
