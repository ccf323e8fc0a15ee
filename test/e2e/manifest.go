//go:build e2e

package e2e

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"

	appsv1 "k8s.io/api/apps/v1"
	batchv1 "k8s.io/api/batch/v1"
	corev1 "k8s.io/api/core/v1"
	utilyaml "k8s.io/apimachinery/pkg/util/yaml"
	"sigs.k8s.io/yaml"
)

// manifest holds the typed objects of one rendered multi-document YAML
// stream. Kinds the simulator has no use for are counted, not dropped
// silently.
type manifest struct {
	ConfigMaps   map[string]*corev1.ConfigMap
	Secrets      map[string]*corev1.Secret
	Services     map[string]*corev1.Service
	StatefulSets []*appsv1.StatefulSet
	CronJobs     map[string]*batchv1.CronJob
	PVCs         map[string]*corev1.PersistentVolumeClaim
	Other        []string // "Kind/name" of objects not simulated
}

// parseManifest decodes every document strictly into its typed object, so a
// field the API does not know is an error here as it would be for the API
// server.
func parseManifest(data []byte) (*manifest, error) {
	m := &manifest{
		ConfigMaps: map[string]*corev1.ConfigMap{},
		Secrets:    map[string]*corev1.Secret{},
		Services:   map[string]*corev1.Service{},
		CronJobs:   map[string]*batchv1.CronJob{},
		PVCs:       map[string]*corev1.PersistentVolumeClaim{},
	}
	r := utilyaml.NewYAMLReader(bufio.NewReader(bytes.NewReader(data)))
	for i := 0; ; i++ {
		doc, err := r.Read()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return nil, fmt.Errorf("reading document %d: %w", i, err)
		}
		if len(bytes.TrimSpace(doc)) == 0 {
			continue
		}
		var head struct {
			APIVersion string `json:"apiVersion"`
			Kind       string `json:"kind"`
			Metadata   struct {
				Name string `json:"name"`
			} `json:"metadata"`
		}
		if err := yaml.Unmarshal(doc, &head); err != nil {
			return nil, fmt.Errorf("document %d: %w", i, err)
		}
		if head.Kind == "" && head.APIVersion == "" {
			continue // a document holding only comments
		}
		var obj any
		switch head.APIVersion + "/" + head.Kind {
		case "v1/ConfigMap":
			o := &corev1.ConfigMap{}
			m.ConfigMaps[head.Metadata.Name], obj = o, o
		case "v1/Secret":
			o := &corev1.Secret{}
			m.Secrets[head.Metadata.Name], obj = o, o
		case "v1/Service":
			o := &corev1.Service{}
			m.Services[head.Metadata.Name], obj = o, o
		case "batch/v1/CronJob":
			o := &batchv1.CronJob{}
			m.CronJobs[head.Metadata.Name], obj = o, o
		case "v1/PersistentVolumeClaim":
			o := &corev1.PersistentVolumeClaim{}
			m.PVCs[head.Metadata.Name], obj = o, o
		case "apps/v1/StatefulSet":
			o := &appsv1.StatefulSet{}
			m.StatefulSets, obj = append(m.StatefulSets, o), o
		default:
			m.Other = append(m.Other, head.Kind+"/"+head.Metadata.Name)
			continue
		}
		if err := yaml.UnmarshalStrict(doc, obj); err != nil {
			return nil, fmt.Errorf("%s %q: %w", head.Kind, head.Metadata.Name, err)
		}
	}
	if len(m.StatefulSets) == 0 {
		return nil, errors.New("no StatefulSet in the rendered output")
	}
	return m, nil
}
