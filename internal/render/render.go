// Package render turns a defaulted, validated spec into typed Kubernetes
// objects. It never reads files, never defaults, never validates
// (internal/spec has done all of that) and never serialises
// (internal/manifest does).
package render

import (
	"crypto/sha256"
	"encoding/hex"
	"maps"
	"reflect"
	"slices"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"

	"github.com/mysqlgen/mysqlgen/internal/spec"
)

// Object is a typed Kubernetes object.
type Object interface {
	runtime.Object
	metav1.Object
}

// cluster is a spec with what every object derives from it, computed once.
type cluster struct {
	*spec.MySQLCluster
	release spec.Release
}

// Objects renders a cluster, defaulted and validated by internal/spec, in a fixed
// order (kustomize's legacy order): ConfigMaps, Services, StatefulSet,
// PodDisruptionBudget, NetworkPolicy, ServiceMonitor. Optional objects that
// the spec turns off are left out.
func Objects(c *spec.MySQLCluster) []Object {
	release, _ := spec.LookupRelease(c.Spec.Flavor, c.Spec.Version)
	cl := &cluster{MySQLCluster: c, release: release}
	config := makeConfigConfigMap(cl)
	scripts := makeScriptsConfigMap(cl)
	var objs []Object
	for _, o := range []Object{
		config,
		scripts,
		makeHeadlessService(cl),
		makeReadService(cl),
		makePrimaryService(cl),
		makeMetricsService(cl),
		makeStatefulSet(cl, ConfigDigest(config.Data, scripts.Data)),
		makePodDisruptionBudget(cl),
		makeNetworkPolicy(cl),
		makeServiceMonitor(cl),
		makePrometheusRule(cl),
		makeSelfSignedIssuer(cl),
		makeCACertificate(cl),
		makeCAIssuer(cl),
		makeCertificate(cl),
	} {
		// A typed nil pointer in an interface is not nil: ask reflection.
		if !reflect.ValueOf(o).IsNil() {
			objs = append(objs, o)
		}
	}
	return objs
}

func (c *cluster) name(suffix string) string { return c.Metadata.Name + suffix }

// selectorLabels select the cluster's pods; they never change for the life of
// a cluster, since a StatefulSet's selector is immutable.
func (c *cluster) selectorLabels() map[string]string {
	return map[string]string{
		labelName:      c.Spec.Flavor,
		labelInstance:  c.Metadata.Name,
		labelComponent: componentDatabase,
	}
}

// labels are the user's labels plus the recommended ones, on every object.
func (c *cluster) labels() map[string]string {
	l := maps.Clone(c.Metadata.Labels)
	if l == nil {
		l = map[string]string{}
	}
	maps.Copy(l, c.selectorLabels())
	l[labelVersion] = c.Spec.Version
	l[labelPartOf] = c.Metadata.Name
	l[labelManagedBy] = managedBy
	return l
}

// objectMeta is the metadata of every rendered object.
func (c *cluster) objectMeta(name string) metav1.ObjectMeta {
	return metav1.ObjectMeta{
		Name:        name,
		Namespace:   c.Metadata.Namespace,
		Labels:      c.labels(),
		Annotations: maps.Clone(c.Metadata.Annotations),
	}
}

// ConfigDigestAnnotation is the StatefulSet's pod template annotation
// holding ConfigDigest of the ConfigMaps DigestedConfigMaps names: a change
// to them changes the pod template, and so rolls the pods.
const ConfigDigestAnnotation = annotationConfigDigest

// DigestedConfigMaps names the ConfigMaps the digest covers, in the order
// they are hashed, and the StatefulSet whose pods mount them. Whoever
// changes the objects after Objects (a spec's patches) hashes them again.
func DigestedConfigMaps(c *spec.MySQLCluster) (configMaps []string, statefulSet string) {
	cl := &cluster{MySQLCluster: c}
	return []string{cl.name(configSuffix), cl.name(scriptsSuffix)}, c.Metadata.Name
}

// ConfigDigest hashes ConfigMap data in sorted key order.
func ConfigDigest(data ...map[string]string) string {
	h := sha256.New()
	// The hash takes bytes: the strings are copied through one buffer
	// rather than each converted (the scripts alone are 30 KB a cluster).
	buf := make([]byte, 0, 4096)
	write := func(s string) {
		for len(s) > 0 {
			n := min(len(s), cap(buf))
			h.Write(append(buf[:0], s[:n]...))
			s = s[n:]
		}
		h.Write([]byte{0})
	}
	for _, d := range data {
		for _, k := range slices.Sorted(maps.Keys(d)) {
			write(k)
			write(d[k])
		}
	}
	return hex.EncodeToString(h.Sum(nil))
}
