package main

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"

	corev1 "k8s.io/api/core/v1"
	utilyaml "k8s.io/apimachinery/pkg/util/yaml"
	"sigs.k8s.io/yaml"
)

// maxSecretBytes bounds the existing Secrets read: a Secret is at most 1 MiB.
const maxSecretBytes = 4 << 20

// existingDoc is a document of kubectl get's output: a Secret, or a List
// of them (kubectl get secret A B -o yaml).
type existingDoc struct {
	corev1.Secret `json:",inline"`
	Items         []corev1.Secret `json:"items,omitempty"`
}

// readExistingSecrets reads the Secrets the cluster has (path "" for none,
// "-" for stdin) and returns their values by name, data with stringData
// over it as the API server merges them. A Secret no plan prints, or of
// another namespace than its cluster's, is refused: keeping its values
// would move passwords between Secrets.
func readExistingSecrets(s streams, path string, plans []*secretPlan) (map[string]map[string][]byte, error) {
	if path == "" {
		return nil, nil
	}
	data, err := readLimited(s, path)
	if err != nil {
		return nil, err
	}
	var secrets []corev1.Secret
	dec := utilyaml.NewYAMLOrJSONDecoder(bytes.NewReader(data), 4096)
	for {
		var raw map[string]any
		if err := dec.Decode(&raw); errors.Is(err, io.EOF) {
			break
		} else if err != nil {
			return nil, unparsable(path)
		}
		if raw == nil {
			continue
		}
		var doc existingDoc
		b, _ := yaml.Marshal(raw)
		if err := yaml.Unmarshal(b, &doc); err != nil {
			return nil, unparsable(path)
		}
		switch {
		case doc.APIVersion == "v1" && doc.Kind == "List":
			secrets = append(secrets, doc.Items...)
		default:
			secrets = append(secrets, doc.Secret)
		}
	}
	return existingValues(path, secrets, plans)
}

// unparsable withholds the parser's words, which may quote the input: a
// password must never reach stderr (or a CI log).
func unparsable(path string) error {
	return fmt.Errorf("--existing %s: not a Secret in YAML or JSON as kubectl get secret NAME -o yaml prints it (the parser's message is withheld: it may quote a password)", path)
}

func existingValues(path string, secrets []corev1.Secret, plans []*secretPlan) (map[string]map[string][]byte, error) {
	out := map[string]map[string][]byte{}
	for _, sec := range secrets {
		if sec.APIVersion != "v1" || sec.Kind != "Secret" {
			return nil, fmt.Errorf("--existing %s: a %s %s, not a v1 Secret", path, sec.APIVersion, sec.Kind)
		}
		var plan *secretPlan
		for _, p := range plans {
			if p.cluster.Spec.Credentials.SecretName == sec.Name {
				plan = p
			}
		}
		if plan == nil {
			return nil, fmt.Errorf("--existing %s: Secret %s is not the Secret of any cluster given", path, sec.Name)
		}
		// A spec without a namespace is applied to kubectl's, which is
		// the one kubectl get printed.
		if ns := plan.cluster.Metadata.Namespace; ns != "" && sec.Namespace != "" && sec.Namespace != ns {
			return nil, fmt.Errorf("--existing %s: Secret %s is in namespace %s, the cluster's is %s", path, sec.Name, sec.Namespace, ns)
		}
		if _, dup := out[sec.Name]; dup {
			return nil, fmt.Errorf("--existing %s: Secret %s given twice", path, sec.Name)
		}
		values := map[string][]byte{}
		for k, v := range sec.Data {
			values[k] = v
		}
		for k, v := range sec.StringData {
			values[k] = []byte(v)
		}
		out[sec.Name] = values
	}
	return out, nil
}

func readLimited(s streams, path string) ([]byte, error) {
	r := s.in
	if path != "-" {
		f, err := os.Open(path)
		if err != nil {
			return nil, fmt.Errorf("--existing: %w", err)
		}
		defer f.Close()
		r = f
	}
	data, err := io.ReadAll(io.LimitReader(r, maxSecretBytes+1))
	if err != nil {
		return nil, fmt.Errorf("--existing %s: %w", path, err)
	}
	if len(data) > maxSecretBytes {
		return nil, fmt.Errorf("--existing %s: larger than %d bytes", path, maxSecretBytes)
	}
	return data, nil
}
