package spec

import (
	"fmt"
	"net/netip"
	"regexp"
	"slices"

	corev1 "k8s.io/api/core/v1"
	networkingv1 "k8s.io/api/networking/v1"
	apivalidation "k8s.io/apimachinery/pkg/api/validation"
	metav1validation "k8s.io/apimachinery/pkg/apis/meta/v1/validation"
	"k8s.io/apimachinery/pkg/util/validation"
	"k8s.io/apimachinery/pkg/util/validation/field"
)

var (
	antiAffinities     = []string{AntiAffinityHard, AntiAffinityNone, AntiAffinitySoft}
	zoneSpreads        = []string{ZoneSpreadHard, ZoneSpreadNone, ZoneSpreadSoft}
	retentions         = []string{RetentionDelete, RetentionRetain}
	accessModes        = []string{"ReadWriteMany", "ReadWriteOnce", "ReadWriteOncePod"}
	tolerationOps      = []string{"", string(corev1.TolerationOpEqual), string(corev1.TolerationOpExists)}
	taintEffects       = []string{"", string(corev1.TaintEffectNoExecute), string(corev1.TaintEffectNoSchedule), string(corev1.TaintEffectPreferNoSchedule)}
	promDurationRE     = regexp.MustCompile(`^([0-9]+(ms|s|m|h))+$`)
	minGracePeriodSecs = int64(30)
	maxGracePeriodSecs = int64(3600)
)

// validateKubernetesFields checks the fields that become Kubernetes
// objects' own: pod annotations and scheduling, the disruption budget, the
// NetworkPolicy peers, the claims' access modes and retention, the grace
// period, and the exporter and its ServiceMonitor.
func validateKubernetesFields(s *ClusterSpec, p *field.Path) field.ErrorList {
	var errs field.ErrorList
	errs = append(errs, apivalidation.ValidateAnnotations(s.PodAnnotations, p.Child("podAnnotations"))...)
	errs = append(errs, validateScheduling(&s.Scheduling, p.Child("scheduling"))...)
	if m := *s.PodDisruptionBudget.MaxUnavailable; m < 1 {
		errs = append(errs, field.Invalid(p.Child("podDisruptionBudget", "maxUnavailable"), m, "must be at least 1, or a drain could never proceed"))
	}
	errs = append(errs, validatePeers(s.NetworkPolicy.From, p.Child("networkPolicy", "from"))...)
	errs = append(errs, validatePeers(s.NetworkPolicy.MetricsFrom, p.Child("networkPolicy", "metricsFrom"))...)
	errs = append(errs, validateMetrics(&s.Metrics, p.Child("metrics"))...)
	for i, m := range s.Storage.AccessModes {
		if !slices.Contains(accessModes, m) {
			errs = append(errs, field.NotSupported(p.Child("storage", "accessModes").Index(i), m, accessModes))
		}
	}
	rp := p.Child("storage", "retentionPolicy")
	if v := s.Storage.RetentionPolicy.WhenDeleted; !slices.Contains(retentions, v) {
		errs = append(errs, field.NotSupported(rp.Child("whenDeleted"), v, retentions))
	}
	if v := s.Storage.RetentionPolicy.WhenScaled; !slices.Contains(retentions, v) {
		errs = append(errs, field.NotSupported(rp.Child("whenScaled"), v, retentions))
	}
	if g := *s.TerminationGracePeriodSeconds; g < minGracePeriodSecs || g > maxGracePeriodSecs {
		errs = append(errs, field.Invalid(p.Child("terminationGracePeriodSeconds"), g,
			fmt.Sprintf("must be between %d and %d: a shorter grace period kills InnoDB mid-shutdown", minGracePeriodSecs, maxGracePeriodSecs)))
	}
	return errs
}

func validateScheduling(s *Scheduling, p *field.Path) field.ErrorList {
	var errs field.ErrorList
	if !slices.Contains(antiAffinities, s.AntiAffinity) {
		errs = append(errs, field.NotSupported(p.Child("antiAffinity"), s.AntiAffinity, antiAffinities))
	}
	if !slices.Contains(zoneSpreads, s.ZoneSpread) {
		errs = append(errs, field.NotSupported(p.Child("zoneSpread"), s.ZoneSpread, zoneSpreads))
	}
	errs = append(errs, metav1validation.ValidateLabels(s.NodeSelector, p.Child("nodeSelector"))...)
	for i, t := range s.Tolerations {
		tp := p.Child("tolerations").Index(i)
		if t.Key != "" {
			for _, msg := range validation.IsQualifiedName(t.Key) {
				errs = append(errs, field.Invalid(tp.Child("key"), t.Key, msg))
			}
		}
		if !slices.Contains(tolerationOps, string(t.Operator)) {
			errs = append(errs, field.NotSupported(tp.Child("operator"), t.Operator, tolerationOps[1:]))
		}
		if t.Operator == corev1.TolerationOpExists && t.Value != "" {
			errs = append(errs, field.Invalid(tp.Child("value"), t.Value, "must be empty when operator is Exists"))
		}
		if t.Key == "" && t.Operator != corev1.TolerationOpExists {
			errs = append(errs, field.Invalid(tp.Child("operator"), t.Operator, "must be Exists when key is empty"))
		}
		if !slices.Contains(taintEffects, string(t.Effect)) {
			errs = append(errs, field.NotSupported(tp.Child("effect"), t.Effect, taintEffects[1:]))
		}
		if t.TolerationSeconds != nil && t.Effect != corev1.TaintEffectNoExecute {
			errs = append(errs, field.Invalid(tp.Child("tolerationSeconds"), *t.TolerationSeconds, "needs effect NoExecute"))
		}
	}
	if pc := s.PriorityClassName; pc != "" {
		for _, msg := range validation.IsDNS1123Subdomain(pc) {
			errs = append(errs, field.Invalid(p.Child("priorityClassName"), pc, msg))
		}
	}
	return errs
}

func validatePeers(peers []networkingv1.NetworkPolicyPeer, p *field.Path) field.ErrorList {
	var errs field.ErrorList
	opts := metav1validation.LabelSelectorValidationOptions{}
	for i, peer := range peers {
		pp := p.Index(i)
		if peer.PodSelector == nil && peer.NamespaceSelector == nil && peer.IPBlock == nil {
			errs = append(errs, field.Required(pp, "one of podSelector, namespaceSelector or ipBlock"))
		}
		if peer.IPBlock != nil && (peer.PodSelector != nil || peer.NamespaceSelector != nil) {
			errs = append(errs, field.Forbidden(pp.Child("ipBlock"), "may not be combined with a selector"))
		}
		if peer.PodSelector != nil {
			errs = append(errs, metav1validation.ValidateLabelSelector(peer.PodSelector, opts, pp.Child("podSelector"))...)
		}
		if peer.NamespaceSelector != nil {
			errs = append(errs, metav1validation.ValidateLabelSelector(peer.NamespaceSelector, opts, pp.Child("namespaceSelector"))...)
		}
		if b := peer.IPBlock; b != nil {
			prefix, err := netip.ParsePrefix(b.CIDR)
			if err != nil {
				errs = append(errs, field.Invalid(pp.Child("ipBlock", "cidr"), b.CIDR, "must be a CIDR such as 10.0.0.0/8"))
			}
			for j, ex := range b.Except {
				exPrefix, err := netip.ParsePrefix(ex)
				if err != nil || (prefix.IsValid() && !(prefix.Contains(exPrefix.Addr()) && exPrefix.Bits() > prefix.Bits())) {
					errs = append(errs, field.Invalid(pp.Child("ipBlock", "except").Index(j), ex, "must be a CIDR strictly inside ipBlock.cidr"))
				}
			}
		}
	}
	return errs
}

func validateMetrics(m *Metrics, p *field.Path) field.ErrorList {
	var errs field.ErrorList
	if m.ServiceMonitor.Enabled && !m.Enabled {
		errs = append(errs, field.Invalid(p.Child("serviceMonitor", "enabled"), true, "needs metrics.enabled: the ServiceMonitor scrapes the exporter"))
	}
	if !m.Enabled {
		return errs
	}
	errs = append(errs, validateImage(m.Image, p.Child("image"))...)
	errs = append(errs, validateResources(&m.Resources, p.Child("resources"))...)
	if m.ServiceMonitor.Enabled && !promDurationRE.MatchString(m.ServiceMonitor.Interval) {
		errs = append(errs, field.Invalid(p.Child("serviceMonitor", "interval"), m.ServiceMonitor.Interval, "must be a Prometheus duration such as 30s or 1m"))
	}
	errs = append(errs, metav1validation.ValidateLabels(m.ServiceMonitor.Labels, p.Child("serviceMonitor", "labels"))...)
	return errs
}
