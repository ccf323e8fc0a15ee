package manifest

import (
	"bytes"
	"fmt"
	"strings"
	"testing"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/kustomize/kyaml/kio"
	kyaml "sigs.k8s.io/kustomize/kyaml/yaml"
)

// awkward are strings that have broken out of a scalar, or might: every
// line break a YAML parser honours, at the start, middle and end, alone and
// after \n, beside text that would be a key.
var awkward = func() []string {
	var out []string
	for _, br := range []string{"\u2028", "\u2029", "\u0085", "\r", "\r\n", "\n", "\ufeff", "\x00", "\x1b", "\x7f", "\u00a0", "\ud7ff", "\ue000", "\ufffd", "\U0010ffff"} {
		out = append(out, br, "a"+br+"b", br+"namespace: evil", "x"+br+"  evil: 1", "line\nx"+br+"y: z\n",
			"#!/bin/sh\necho hi"+br+"\n", strings.Repeat("word ", 20)+br+strings.Repeat("more ", 20))
	}
	return out
}()

// writeKRM writes trees as a ResourceList's items with kyaml, as the KRM
// function's framework does.
func writeKRM(t *testing.T, trees []*Tree) []byte {
	t.Helper()
	var nodes []*kyaml.RNode
	for _, tr := range trees {
		nodes = append(nodes, ToRNode(tr))
	}
	var buf bytes.Buffer
	w := kio.ByteWriter{Writer: &buf, WrappingKind: kio.ResourceListKind, WrappingAPIVersion: kio.ResourceListAPIVersion}
	if err := w.Write(nodes); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// CheckAll holds every writer to the parse-back invariant on trees.
func checkAll(t *testing.T, name string, trees []*Tree) {
	t.Helper()
	y, err := YAML(trees)
	if err != nil {
		t.Fatal(err)
	}
	if err := CheckYAML(y, trees); err != nil {
		t.Errorf("%s: YAML: %v", name, err)
	}
	j, err := JSONList(trees)
	if err != nil {
		t.Fatal(err)
	}
	if err := CheckJSON(j, trees); err != nil {
		t.Errorf("%s: JSON: %v", name, err)
	}
	if err := CheckKRM(writeKRM(t, trees), trees); err != nil {
		t.Errorf("%s: KRM: %v", name, err)
	}
	for _, tr := range trees {
		back, err := FromRNode(ToRNode(tr))
		if err != nil {
			t.Fatal(err)
		}
		if p, ok := equal(normal(back.Plain()), normal(tr.Plain()), ""); !ok {
			t.Errorf("%s: %s changes through an RNode at %s", name, tr.Name(), p)
		}
	}
}

func TestParseBackRendered(t *testing.T) {
	for name, objs := range matrix(t) {
		checkAll(t, name, buildAll(t, objs))
	}
}

// Bug 2: a U+2028 or U+2029 (or any break but \n) in a free-text value
// ended the scalar in the fast writer, at any depth, and added keys.
func TestParseBackFreeText(t *testing.T) {
	for _, s := range awkward {
		meta := metav1.ObjectMeta{Name: "db", Namespace: "ns", Labels: map[string]string{"team": s}, Annotations: map[string]string{"note": s, "n2": s}}
		objs := []Object{
			&corev1.ConfigMap{TypeMeta: metav1.TypeMeta{APIVersion: "v1", Kind: "ConfigMap"}, ObjectMeta: meta, Data: map[string]string{"my.cnf": s, "x": "[mysqld]\n" + s}},
			&appsv1.StatefulSet{TypeMeta: metav1.TypeMeta{APIVersion: "apps/v1", Kind: "StatefulSet"}, ObjectMeta: meta,
				Spec: appsv1.StatefulSetSpec{Template: corev1.PodTemplateSpec{
					ObjectMeta: metav1.ObjectMeta{Annotations: map[string]string{"note": s}},
					Spec:       corev1.PodSpec{Containers: []corev1.Container{{Name: "c", Args: []string{s, "x"}, Env: []corev1.EnvVar{{Name: "E", Value: s}}}}},
				}}},
		}
		trees := buildAll(t, objs)
		checkAll(t, fmt.Sprintf("%q", s), trees)
		if got := trees[0].str("metadata", "annotations", "note"); got != strings.ToValidUTF8(s, "\ufffd") {
			t.Errorf("%q: the tree holds %q", s, got)
		}
	}
}
