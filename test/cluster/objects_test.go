//go:build cluster

package cluster

import (
	"encoding/json"
	"fmt"
	"regexp"
	"sort"
	"strings"
	"time"

	"sigs.k8s.io/yaml"
)

// Only the fields the tests read; kubectl -o json is decoded into these.

type Meta struct {
	Name              string            `json:"name"`
	Namespace         string            `json:"namespace,omitempty"`
	Labels            map[string]string `json:"labels,omitempty"`
	Annotations       map[string]string `json:"annotations,omitempty"`
	Generation        int64             `json:"generation,omitempty"`
	ResourceVersion   string            `json:"resourceVersion,omitempty"`
	UID               string            `json:"uid,omitempty"`
	CreationTimestamp time.Time         `json:"creationTimestamp"`
	DeletionTimestamp *time.Time        `json:"deletionTimestamp,omitempty"`
}

type Condition struct {
	Type               string    `json:"type"`
	Status             string    `json:"status"`
	LastTransitionTime time.Time `json:"lastTransitionTime"`
	Reason             string    `json:"reason,omitempty"`
	Message            string    `json:"message,omitempty"`
}

func conditionTrue(conds []Condition, typ string) bool {
	for _, c := range conds {
		if c.Type == typ {
			return c.Status == "True"
		}
	}
	return false
}

// Quantity is a resource quantity as written: a manifest may give a bare number (cpu: 2).
type Quantity string

func (q *Quantity) UnmarshalJSON(b []byte) error {
	var s string
	if err := json.Unmarshal(b, &s); err == nil {
		*q = Quantity(s)
		return nil
	}
	var n json.Number
	if err := json.Unmarshal(b, &n); err != nil {
		return err
	}
	*q = Quantity(n.String())
	return nil
}

type Resources struct {
	Requests map[string]Quantity `json:"requests,omitempty"`
	Limits   map[string]Quantity `json:"limits,omitempty"`
}

type Container struct {
	Name      string    `json:"name"`
	Image     string    `json:"image"`
	Resources Resources `json:"resources"`
}

type PodSpec struct {
	NodeName       string      `json:"nodeName,omitempty"`
	Hostname       string      `json:"hostname,omitempty"`
	Subdomain      string      `json:"subdomain,omitempty"`
	Containers     []Container `json:"containers"`
	InitContainers []Container `json:"initContainers,omitempty"`
	Affinity       *struct {
		PodAntiAffinity *struct {
			Required []json.RawMessage `json:"requiredDuringSchedulingIgnoredDuringExecution,omitempty"`
		} `json:"podAntiAffinity,omitempty"`
	} `json:"affinity,omitempty"`
}

type Pod struct {
	Metadata Meta    `json:"metadata"`
	Spec     PodSpec `json:"spec"`
	Status   struct {
		Phase      string      `json:"phase"`
		PodIP      string      `json:"podIP"`
		Conditions []Condition `json:"conditions"`
	} `json:"status"`
}

func (p Pod) Ready() bool {
	return p.Metadata.DeletionTimestamp == nil && conditionTrue(p.Status.Conditions, "Ready")
}

type StatefulSet struct {
	Metadata Meta `json:"metadata"`
	Spec     struct {
		Replicas            *int32 `json:"replicas"`
		ServiceName         string `json:"serviceName"`
		PodManagementPolicy string `json:"podManagementPolicy"`
		Selector            struct {
			MatchLabels map[string]string `json:"matchLabels"`
		} `json:"selector"`
		Template struct {
			Metadata Meta    `json:"metadata"`
			Spec     PodSpec `json:"spec"`
		} `json:"template"`
		VolumeClaimTemplates []struct {
			Metadata Meta `json:"metadata"`
			Spec     struct {
				AccessModes      []string  `json:"accessModes"`
				StorageClassName *string   `json:"storageClassName"`
				Resources        Resources `json:"resources"`
			} `json:"spec"`
		} `json:"volumeClaimTemplates"`
		PersistentVolumeClaimRetentionPolicy *struct {
			WhenDeleted string `json:"whenDeleted"`
			WhenScaled  string `json:"whenScaled"`
		} `json:"persistentVolumeClaimRetentionPolicy"`
		UpdateStrategy struct {
			Type string `json:"type"`
		} `json:"updateStrategy"`
	} `json:"spec"`
	Status struct {
		ObservedGeneration int64  `json:"observedGeneration"`
		Replicas           int32  `json:"replicas"`
		ReadyReplicas      int32  `json:"readyReplicas"`
		AvailableReplicas  int32  `json:"availableReplicas"`
		CurrentReplicas    int32  `json:"currentReplicas"`
		UpdatedReplicas    int32  `json:"updatedReplicas"`
		CurrentRevision    string `json:"currentRevision"`
		UpdateRevision     string `json:"updateRevision"`
	} `json:"status"`
}

type PVC struct {
	Metadata Meta `json:"metadata"`
	Spec     struct {
		VolumeName string `json:"volumeName"`
	} `json:"spec"`
	Status struct {
		Phase string `json:"phase"`
	} `json:"status"`
}

type EndpointSlice struct {
	Metadata  Meta `json:"metadata"`
	Endpoints []struct {
		Addresses  []string `json:"addresses"`
		Hostname   string   `json:"hostname"`
		Conditions struct {
			Ready       *bool `json:"ready"`
			Serving     *bool `json:"serving"`
			Terminating *bool `json:"terminating"`
		} `json:"conditions"`
		TargetRef *struct {
			Kind string `json:"kind"`
			Name string `json:"name"`
		} `json:"targetRef"`
	} `json:"endpoints"`
}

type PDB struct {
	Metadata Meta `json:"metadata"`
	Spec     struct {
		MinAvailable   *json.RawMessage `json:"minAvailable"`
		MaxUnavailable *json.RawMessage `json:"maxUnavailable"`
	} `json:"spec"`
	Status struct {
		ObservedGeneration int64 `json:"observedGeneration"`
		DisruptionsAllowed int32 `json:"disruptionsAllowed"`
		CurrentHealthy     int32 `json:"currentHealthy"`
		DesiredHealthy     int32 `json:"desiredHealthy"`
		ExpectedPods       int32 `json:"expectedPods"`
	} `json:"status"`
}

type List[T any] struct {
	Items []T `json:"items"`
}

// Object is one document of a manifest, kept generic.
type Object map[string]any

func (o Object) Kind() string       { s, _ := o["kind"].(string); return s }
func (o Object) APIVersion() string { s, _ := o["apiVersion"].(string); return s }
func (o Object) meta() map[string]any {
	m, _ := o["metadata"].(map[string]any)
	return m
}
func (o Object) Name() string      { s, _ := o.meta()["name"].(string); return s }
func (o Object) Namespace() string { s, _ := o.meta()["namespace"].(string); return s }
func (o Object) String() string    { return o.Kind() + "/" + o.Name() }

// Into re-decodes the object into a typed struct.
func (o Object) Into(v any) error {
	b, err := json.Marshal(o)
	if err != nil {
		return err
	}
	return json.Unmarshal(b, v)
}

var docSep = regexp.MustCompile(`(?m)^---[ \t]*(#.*)?$`)

// ParseManifest splits a multi-document YAML stream into objects (empty documents skipped,
// v1 Lists flattened).
func ParseManifest(data []byte) ([]Object, error) {
	var out []Object
	for i, doc := range docSep.Split(string(data), -1) {
		if strings.TrimSpace(stripComments(doc)) == "" {
			continue
		}
		j, err := yaml.YAMLToJSON([]byte(doc))
		if err != nil {
			return nil, fmt.Errorf("document %d: %v", i, err)
		}
		var o Object
		if err := json.Unmarshal(j, &o); err != nil {
			return nil, fmt.Errorf("document %d: %v", i, err)
		}
		if o == nil {
			continue
		}
		if strings.HasSuffix(o.Kind(), "List") {
			items, _ := o["items"].([]any)
			for _, it := range items {
				if m, ok := it.(map[string]any); ok {
					out = append(out, Object(m))
				}
			}
			continue
		}
		out = append(out, o)
	}
	return out, nil
}

func stripComments(doc string) string {
	var b strings.Builder
	for _, l := range strings.Split(doc, "\n") {
		if strings.HasPrefix(strings.TrimSpace(l), "#") {
			continue
		}
		b.WriteString(l)
		b.WriteByte('\n')
	}
	return b.String()
}

func findObject(objs []Object, kind, name string) Object {
	for _, o := range objs {
		if o.Kind() == kind && (name == "" || o.Name() == name) {
			return o
		}
	}
	return nil
}

func kinds(objs []Object) string {
	var s []string
	for _, o := range objs {
		s = append(s, o.String())
	}
	return strings.Join(s, ", ")
}

func sortedKeys[V any](m map[string]V) []string {
	var k []string
	for key := range m {
		k = append(k, key)
	}
	sort.Strings(k)
	return k
}
