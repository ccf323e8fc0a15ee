// Package output turns rendered objects into what a user keeps: a stream of
// YAML documents or a JSON List in a chosen document order, or a directory of
// one file per object with a Kustomization file, written atomically; and it
// compares such output with what is on disk, for drift checks in CI.
package output

import (
	"cmp"
	"fmt"
	"slices"
	"strings"

	"k8s.io/apimachinery/pkg/runtime/schema"

	"github.com/mysqlgen/mysqlgen/internal/manifest"
)

// Order is an order of documents.
type Order string

const (
	// OrderLegacy is kustomize's legacy order, the order `kustomize build`
	// prints by default, so that rendered output and a kustomize build of the
	// same objects are in the same order.
	OrderLegacy Order = "legacy"
	// OrderHelm is Helm's install order.
	OrderHelm Order = "helm"
)

// Orders lists the orders, the default first.
var Orders = []Order{OrderLegacy, OrderHelm}

// ParseOrder checks the name of an order.
func ParseOrder(s string) (Order, error) {
	if o := Order(s); slices.Contains(Orders, o) {
		return o, nil
	}
	return "", fmt.Errorf("unknown document order %q: use legacy (kustomize's, the default) or helm (Helm's install order)", s)
}

// Sort returns trees in order o, in a new slice.
func Sort(objs []*manifest.Tree, o Order) []*manifest.Tree {
	out := slices.Clone(objs)
	switch o {
	case OrderHelm:
		slices.SortStableFunc(out, compareHelm)
	default:
		slices.SortStableFunc(out, compareLegacy)
	}
	return out
}

func gvk(o *manifest.Tree) schema.GroupVersionKind {
	return o.GVK()
}

// legacyFirst and legacyLast are kustomize's legacy order (kyaml resid's
// orderFirst and orderLast, used by its SortOrderTransformer): kinds in
// neither come between them, by group, version and kind.
var (
	legacyFirst = []string{
		"Namespace", "ResourceQuota", "StorageClass", "CustomResourceDefinition",
		"ServiceAccount", "PodSecurityPolicy", "Role", "ClusterRole", "RoleBinding",
		"ClusterRoleBinding", "ConfigMap", "Secret", "Endpoints", "Service",
		"LimitRange", "PriorityClass", "PersistentVolume", "PersistentVolumeClaim",
		"Deployment", "StatefulSet", "CronJob", "PodDisruptionBudget",
	}
	legacyLast = []string{"MutatingWebhookConfiguration", "ValidatingWebhookConfiguration"}
	legacyRank = func() map[string]int {
		m := map[string]int{}
		for i, k := range legacyFirst {
			m[k] = i - len(legacyFirst)
		}
		for i, k := range legacyLast {
			m[k] = i + 1
		}
		return m
	}()
)

// compareLegacy orders as kustomize's legacy sort does: by kind rank, then by
// group_version_kind, then by namespace and name, with kustomize's
// placeholders for empty parts ("~G", "~X", ...), which sort after letters.
func compareLegacy(a, b *manifest.Tree) int {
	ga, gb := gvk(a), gvk(b)
	if ga != gb {
		if c := cmp.Compare(legacyRank[ga.Kind], legacyRank[gb.Kind]); c != 0 {
			return c
		}
		c := strings.Compare(legacyGVKString(ga), legacyGVKString(gb))
		if ga.Kind == "Namespace" && gb.Kind == "Namespace" && (ga.Group == "" || gb.Group == "") {
			return -c
		}
		return c
	}
	return cmp.Or(
		strings.Compare(orPlaceholder(a.Namespace(), "~X"), orPlaceholder(b.Namespace(), "~X")),
		strings.Compare(orPlaceholder(a.Name(), "~N"), orPlaceholder(b.Name(), "~N")),
	)
}

func legacyGVKString(g schema.GroupVersionKind) string {
	return orPlaceholder(g.Group, "~G") + "_" + orPlaceholder(g.Version, "~V") + "_" + orPlaceholder(g.Kind, "~K")
}

func orPlaceholder(s, placeholder string) string {
	if s == "" {
		return placeholder
	}
	return s
}

// helmInstallOrder is Helm's InstallOrder (pkg/release/util/kind_sorter.go):
// kinds not in it go last, by kind; objects of one kind keep their order.
var helmInstallOrder = []string{
	"PriorityClass", "Namespace", "NetworkPolicy", "ResourceQuota", "LimitRange",
	"PodSecurityPolicy", "PodDisruptionBudget", "ServiceAccount", "Secret",
	"SecretList", "ConfigMap", "StorageClass", "PersistentVolume",
	"PersistentVolumeClaim", "CustomResourceDefinition", "ClusterRole",
	"ClusterRoleList", "ClusterRoleBinding", "ClusterRoleBindingList", "Role",
	"RoleList", "RoleBinding", "RoleBindingList", "Service", "DaemonSet", "Pod",
	"ReplicationController", "ReplicaSet", "Deployment", "HorizontalPodAutoscaler",
	"StatefulSet", "Job", "CronJob", "IngressClass", "Ingress", "APIService",
	"MutatingWebhookConfiguration", "ValidatingWebhookConfiguration",
}

func compareHelm(a, b *manifest.Tree) int {
	ka, kb := gvk(a).Kind, gvk(b).Kind
	ra, aok := slices.Index(helmInstallOrder, ka), slices.Contains(helmInstallOrder, ka)
	rb, bok := slices.Index(helmInstallOrder, kb), slices.Contains(helmInstallOrder, kb)
	switch {
	case aok && bok:
		return cmp.Compare(ra, rb)
	case aok:
		return -1
	case bok:
		return 1
	}
	return strings.Compare(ka, kb)
}
