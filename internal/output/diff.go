package output

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"maps"
	"path"
	"path/filepath"
	"slices"
	"strings"

	"github.com/pmezard/go-difflib/difflib"
	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/equality"
	"k8s.io/apimachinery/pkg/runtime"
	utilyaml "k8s.io/apimachinery/pkg/util/yaml"
	"k8s.io/utils/ptr"
)

// contextLines is diff -u's default.
const contextLines = 3

// Diff is a unified diff from a (named from) to b (named to), as diff -u
// prints it; empty when they are equal. Names are used as given, so git-style
// a/ and b/ prefixes make the diff one that git apply and patch -p1 take.
func Diff(from, to string, a, b []byte) string {
	if string(a) == string(b) {
		return ""
	}
	out, err := difflib.GetUnifiedDiffString(difflib.UnifiedDiff{
		A: lines(a), B: lines(b), FromFile: from, ToFile: to, Context: contextLines,
	})
	if err != nil {
		// Only a failing writer fails, and a strings.Builder does not.
		panic(err)
	}
	return out
}

// lines splits text into lines that each end in a newline, marking a last
// line without one as diff does.
func lines(b []byte) []string {
	if len(b) == 0 {
		return nil
	}
	ls := strings.SplitAfter(string(b), "\n")
	if last := ls[len(ls)-1]; last == "" {
		ls = ls[:len(ls)-1]
	} else {
		ls[len(ls)-1] = last + "\n\\ No newline at end of file\n"
	}
	return ls
}

// DiffNames are the names a diff gives a file: git's a/ and b/ for a
// relative path, so that git apply takes the diff; an absolute path as it is.
func DiffNames(p string) (from, to string) {
	if path.IsAbs(p) {
		return p, p
	}
	return "a/" + p, "b/" + p
}

// DiffDir compares the directory dir with files, what a render would write
// there, and returns a unified diff of every file that differs, would be
// added or would be removed, in name order; empty when dir is current.
func DiffDir(dir string, files []File) (string, error) {
	have, err := ReadDir(dir)
	if err != nil {
		return "", err
	}
	want := make(map[string][]byte, len(files))
	for _, f := range files {
		want[f.Name] = f.Data
	}
	names := slices.Sorted(maps.Keys(want))
	for n := range have {
		if _, ok := want[n]; !ok {
			names = append(names, n)
		}
	}
	slices.Sort(names)
	var b strings.Builder
	for _, n := range names {
		from, to := DiffNames(path.Join(filepath.ToSlash(dir), n))
		old, inDir := have[n]
		updated, rendered := want[n]
		if !inDir {
			from = "/dev/null"
		}
		if !rendered {
			to = "/dev/null"
		}
		b.WriteString(Diff(from, to, old, updated))
	}
	return b.String(), nil
}

// ForbiddenUpdate is a change from committed to rendered output that the
// API server refuses on apply: a StatefulSet's spec may change only in
// replicas, ordinals, template, updateStrategy,
// persistentVolumeClaimRetentionPolicy and minReadySeconds
// (ValidateStatefulSetUpdate in k8s.io/kubernetes pkg/apis/apps/validation),
// so a new storage size, class or access mode of its volumeClaimTemplates
// cannot be applied as it is.
type ForbiddenUpdate struct {
	Namespace, Name string
	Replicas        int32    // members, whose claims exist
	Changes         []string // each forbidden change, with its field path
	Claim           string   // the claim template whose storage grew
	Size            string   // its new storage request
	Recreate        bool     // class, access modes or a shrink: claims cannot follow
}

// ForbiddenUpdates compares the StatefulSets of committed and rendered
// output (YAML documents or a JSON List each) by namespace and name.
func ForbiddenUpdates(committed, rendered []byte) ([]ForbiddenUpdate, error) {
	before, err := statefulSets(committed)
	if err != nil {
		return nil, fmt.Errorf("reading the committed output: %w", err)
	}
	after, err := statefulSets(rendered)
	if err != nil {
		return nil, err
	}
	var out []ForbiddenUpdate
	for _, key := range slices.Sorted(maps.Keys(after)) {
		if old, ok := before[key]; ok {
			if f := compareStatefulSets(old, after[key]); len(f.Changes) > 0 {
				out = append(out, f)
			}
		}
	}
	return out, nil
}

// statefulSets reads every StatefulSet of a YAML stream or JSON List.
func statefulSets(data []byte) (map[string]*appsv1.StatefulSet, error) {
	out := map[string]*appsv1.StatefulSet{}
	dec := utilyaml.NewYAMLOrJSONDecoder(bytes.NewReader(data), 4096)
	for {
		var obj map[string]any
		if err := dec.Decode(&obj); errors.Is(err, io.EOF) {
			return out, nil
		} else if err != nil {
			return nil, err
		}
		items := []any{obj}
		if obj["kind"] == "List" {
			items, _ = obj["items"].([]any)
		}
		for _, it := range items {
			if m, _ := it.(map[string]any); m["kind"] == "StatefulSet" {
				var sts appsv1.StatefulSet
				if err := runtime.DefaultUnstructuredConverter.FromUnstructured(m, &sts); err != nil {
					return nil, err
				}
				out[sts.Namespace+"/"+sts.Name] = &sts
			}
		}
	}
}

func compareStatefulSets(old, updated *appsv1.StatefulSet) ForbiddenUpdate {
	f := ForbiddenUpdate{Namespace: updated.Namespace, Name: updated.Name, Replicas: ptr.Deref(old.Spec.Replicas, 1)}
	olds := map[string]corev1.PersistentVolumeClaim{}
	for _, c := range old.Spec.VolumeClaimTemplates {
		olds[c.Name] = c
	}
	for _, c := range updated.Spec.VolumeClaimTemplates {
		p := "spec.volumeClaimTemplates[" + c.Name + "].spec"
		o, ok := olds[c.Name]
		if !ok {
			f.Changes, f.Recreate = append(f.Changes, p+": a new claim template"), true
			continue
		}
		was, now := o.Spec.Resources.Requests[corev1.ResourceStorage], c.Spec.Resources.Requests[corev1.ResourceStorage]
		if was.Cmp(now) != 0 {
			f.Changes = append(f.Changes, fmt.Sprintf("%s.resources.requests.storage: %s -> %s", p, was.String(), now.String()))
			if now.Cmp(was) > 0 {
				f.Claim, f.Size = c.Name, now.String()
			} else {
				f.Recreate = true // a claim never shrinks
			}
		}
		if a, b := ptr.Deref(o.Spec.StorageClassName, ""), ptr.Deref(c.Spec.StorageClassName, ""); a != b {
			f.Changes, f.Recreate = append(f.Changes, fmt.Sprintf("%s.storageClassName: %q -> %q", p, a, b)), true
		}
		if !slices.Equal(o.Spec.AccessModes, c.Spec.AccessModes) {
			f.Changes, f.Recreate = append(f.Changes, fmt.Sprintf("%s.accessModes: %v -> %v", p, o.Spec.AccessModes, c.Spec.AccessModes)), true
		}
	}
	o, u := old.Spec, updated.Spec
	if !equality.Semantic.DeepEqual(o.Selector, u.Selector) || o.ServiceName != u.ServiceName || o.PodManagementPolicy != u.PodManagementPolicy {
		f.Changes = append(f.Changes, "spec: selector, serviceName or podManagementPolicy changed")
	}
	return f
}

// Procedure is what to run instead of a plain apply, the way the
// StatefulSet documentation and its "orphan" deletion allow: grow the
// claims in place, delete the StatefulSet while keeping its pods and
// claims, then apply, and the new StatefulSet adopts the running pods.
func (f ForbiddenUpdate) Procedure() string {
	var b strings.Builder
	ns := ""
	if f.Namespace != "" {
		ns = " -n " + f.Namespace
	}
	fmt.Fprintf(&b, "StatefulSet %s: kubectl apply will fail: a StatefulSet's volumeClaimTemplates (and selector) are immutable:\n", path.Join(f.Namespace, f.Name))
	for _, c := range f.Changes {
		fmt.Fprintf(&b, "  %s\n", c)
	}
	b.WriteString("To roll it out:\n")
	step := 1
	if f.Size != "" {
		fmt.Fprintf(&b, "  %d. expand each member's claim (its StorageClass needs allowVolumeExpansion: true):\n", step)
		fmt.Fprintf(&b, "       for i in $(seq 0 %d); do kubectl%s patch pvc %s-%s-$i -p '{\"spec\":{\"resources\":{\"requests\":{\"storage\":\"%s\"}}}}'; done\n",
			f.Replicas-1, ns, f.Claim, f.Name, f.Size)
		step++
	}
	fmt.Fprintf(&b, "  %d. delete the StatefulSet, keeping its pods and claims:\n       kubectl%s delete statefulset %s --cascade=orphan\n", step, ns, f.Name)
	fmt.Fprintf(&b, "  %d. apply the new output: the new StatefulSet adopts the running pods\n", step+1)
	if f.Recreate {
		b.WriteString("Existing claims keep their storage class, access modes and size (a claim cannot shrink or change class): only members created later get the new template. To move a replica, delete its claim and its pod, one at a time (kubectl" + ns + " delete pvc <claim> --wait=false; kubectl" + ns + " delete pod <pod>): it clones its data again from its peer. Never do this to ordinal 0, the primary.\n")
	}
	return b.String()
}
