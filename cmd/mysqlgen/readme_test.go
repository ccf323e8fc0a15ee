package main

import (
	"bytes"
	"errors"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	"sigs.k8s.io/yaml"

	"github.com/mysqlgen/mysqlgen/internal/output"
)

// readmeBlock is a fenced block of README.md marked, on the line before its
// fence, with <!-- readme-test: NAME -->.
type readmeBlock struct {
	name, lang, text string
}

var readmeMarkerRE = regexp.MustCompile("(?m)^<!-- readme-test: ([a-z0-9-]+) -->\n```(sh|yaml)\n((?s:.*?))^```\n")

func readmeBlocks(t *testing.T) []readmeBlock {
	t.Helper()
	readme, err := os.ReadFile(filepath.Join(repoRoot, "README.md"))
	if err != nil {
		t.Fatal(err)
	}
	var blocks []readmeBlock
	for _, m := range readmeMarkerRE.FindAllStringSubmatch(string(readme), -1) {
		blocks = append(blocks, readmeBlock{name: m[1], lang: m[2], text: m[3]})
	}
	if n := strings.Count(string(readme), "<!-- readme-test:"); n != len(blocks) {
		t.Fatalf("README.md has %d readme-test markers but %d of them precede a ```sh or ```yaml block", n, len(blocks))
	}
	// Every shell block runs, unless a readme-skip marker says why not.
	skipped := len(readmeSkipRE.FindAllString(string(readme), -1))
	shell := strings.Count(string(readme), "\n```sh\n")
	marked := 0
	for _, b := range blocks {
		if b.lang == "sh" {
			marked++
		}
	}
	if marked+skipped != shell {
		t.Fatalf("README.md has %d shell blocks, %d marked readme-test and %d readme-skip: mark every one", shell, marked, skipped)
	}
	return blocks
}

var readmeSkipRE = regexp.MustCompile("(?m)^<!-- readme-skip: [^>]+ -->\n```sh\n")

// kubectlStandIn records what the workflows apply, since the tests have no
// cluster; the test then checks that it is a set of Kubernetes objects.
const kubectlStandIn = `#!/bin/sh
# kubectl stand-in for the README test: records its arguments and what it is asked to apply.
printf '%s\n' "$*" >> "$KUBECTL_LOG"
if [ "$1" = apply ]; then
  cat >> "$KUBECTL_APPLIED"
  printf -- '---\n' >> "$KUBECTL_APPLIED"
fi
`

// The README is a walk-through for a new user: each marked block runs here,
// in order, in a copy of the repository as a fresh clone has it (the files
// git tracks, as they are in the working tree), with no mysqlgen but the one
// the quick start builds into bin/. Shell blocks must exit 0; YAML blocks
// must parse as objects, a MySQLCluster must render, and a GitOps tool's
// path must be a rendered directory.
func TestREADMEWorkflows(t *testing.T) {
	if _, err := exec.LookPath("bash"); err != nil {
		t.Skip("SKIP: no bash")
	}
	if _, err := exec.LookPath("git"); err != nil {
		t.Skip("SKIP: no git")
	}
	blocks := readmeBlocks(t)
	var names []string
	for _, b := range blocks {
		names = append(names, b.name)
	}
	for _, want := range []string{"quickstart", "deploy", "kubectl", "kustomize", "gitops", "argocd", "flux", "ci", "schema", "secret", "reference", "patches"} {
		if !slices.Contains(names, want) {
			t.Errorf("README.md has no readme-test block %q (found %v)", want, names)
		}
	}

	work, tools := freshClone(t), t.TempDir()
	if err := os.WriteFile(filepath.Join(tools, "kubectl"), []byte(kubectlStandIn), 0o755); err != nil {
		t.Fatal(err)
	}
	kustomize := kustomizeBinary()
	if kustomize != "" {
		if err := os.Symlink(kustomize, filepath.Join(tools, "kustomize")); err != nil {
			t.Fatal(err)
		}
	}
	applied := filepath.Join(t.TempDir(), "applied.yaml")
	env := append(os.Environ(),
		"PATH="+strings.Join([]string{tools, filepath.Join(work, "bin"), pathWithout(pathWithout(os.Getenv("PATH"), "kustomize"), "mysqlgen")}, string(os.PathListSeparator)),
		"KUBECTL_LOG="+filepath.Join(t.TempDir(), "kubectl.log"),
		"KUBECTL_APPLIED="+applied,
		"GIT_CONFIG_NOSYSTEM=1", "GIT_CONFIG_GLOBAL="+os.DevNull,
		"GIT_AUTHOR_NAME=readme", "GIT_AUTHOR_EMAIL=readme@example.com",
		"GIT_COMMITTER_NAME=readme", "GIT_COMMITTER_EMAIL=readme@example.com",
	)
	sh := func(script string) (string, error) {
		cmd := exec.Command("bash", "-euo", "pipefail", "-c", script)
		cmd.Dir, cmd.Env = work, env
		out, err := cmd.CombinedOutput()
		return string(out), err
	}
	if out, err := sh("git init -q -b main . && git add -A && git commit -q -m clone"); err != nil {
		t.Fatalf("git init: %v\n%s", err, out)
	}

	for _, b := range blocks {
		t.Run(b.name, func(t *testing.T) {
			switch {
			case b.lang == "yaml":
				checkYAMLBlock(t, work, b)
			case strings.Contains(b.text, "kustomize build") && kustomize == "":
				t.Skip("SKIP: no kustomize CLI in bin/ or on PATH; make kustomize installs it")
			default:
				if out, err := sh(b.text); err != nil {
					t.Fatalf("the README's %s block failed: %v\n--- block\n%s--- output\n%s", b.name, err, b.text, out)
				}
			}
		})
	}

	// What reached kubectl is the Secret and the clusters' objects.
	data, err := os.ReadFile(applied)
	if err != nil {
		t.Fatalf("nothing was applied: %v", err)
	}
	var kinds []string
	secrets, needed := map[string]bool{}, map[string]bool{}
	for _, doc := range strings.Split(string(data), "\n---\n") {
		var m struct {
			Kind     string
			Metadata struct{ Name, Namespace string }
		}
		if err := yaml.Unmarshal([]byte(doc), &m); err != nil {
			t.Fatalf("kubectl was given something that is not YAML: %v", err)
		}
		if m.Kind != "" {
			kinds = append(kinds, m.Kind)
		}
		switch m.Kind {
		case "Secret":
			secrets[m.Metadata.Namespace+"/"+m.Metadata.Name] = true
		case "StatefulSet":
			var sts appsv1.StatefulSet
			if err := yaml.Unmarshal([]byte(doc), &sts); err != nil {
				t.Fatal(err)
			}
			for _, name := range secretRefs(sts.Spec.Template.Spec) {
				needed[sts.Namespace+"/"+name] = true
			}
		}
	}
	// Every Secret a workflow's pods need is one a workflow created.
	for name := range needed {
		if !secrets[name] {
			t.Errorf("the README applies a StatefulSet that needs Secret %s, and never creates it", name)
		}
	}
	for _, want := range []string{"Secret", "ConfigMap", "Service", "StatefulSet"} {
		if !slices.Contains(kinds, want) {
			t.Errorf("kubectl was given no %s (kinds: %v)", want, kinds)
		}
	}

	// The CI check fails once the spec changes and the output does not.
	if _, err := os.Stat(filepath.Join(work, "deploy", "mysql")); err == nil {
		spec := filepath.Join(work, "cluster.yaml")
		b, _ := os.ReadFile(spec)
		if err := os.WriteFile(spec, bytes.Replace(b, []byte("replicas: 3"), []byte("replicas: 5"), 1), 0o644); err != nil {
			t.Fatal(err)
		}
		out, err := sh("mysqlgen diff -f cluster.yaml deploy/mysql/")
		if exit, ok := err.(*exec.ExitError); !ok || exit.ExitCode() != 1 || !strings.Contains(out, "+  replicas: 5") {
			t.Errorf("the drift check of a changed spec: %v\n%s", err, out)
		}
	}
}

// checkYAMLBlock checks a YAML block of the README: every document is an
// object; a MySQLCluster renders; a GitOps tool's path is a directory that
// mysqlgen rendered in an earlier block.
func checkYAMLBlock(t *testing.T, work string, b readmeBlock) {
	t.Helper()
	var obj struct {
		APIVersion string `json:"apiVersion"`
		Kind       string `json:"kind"`
		Spec       struct {
			Path   string `json:"path"`
			Source struct {
				Path string `json:"path"`
			} `json:"source"`
		} `json:"spec"`
	}
	if err := yaml.Unmarshal([]byte(b.text), &obj); err != nil || obj.APIVersion == "" || obj.Kind == "" {
		t.Fatalf("not a Kubernetes object (%v):\n%s", err, b.text)
	}
	if obj.Kind == "MySQLCluster" {
		r := run(t, b.text, "render", "-f", "-")
		if r.code != 0 || r.stdout == "" {
			t.Errorf("the README's %s spec does not render: %s", b.name, r.err)
		}
		return
	}
	for _, p := range []string{obj.Spec.Path, obj.Spec.Source.Path} {
		if p == "" {
			continue
		}
		if _, err := os.Stat(filepath.Join(work, p, output.KustomizationFile)); err != nil {
			t.Errorf("%s points at %s, which holds no rendered Kustomization file", obj.Kind, p)
		}
		return
	}
	t.Errorf("%s: no path to check", obj.Kind)
}

// secretRefs are the Secrets a pod mounts or reads variables from.
func secretRefs(pod corev1.PodSpec) []string {
	var names []string
	for _, v := range pod.Volumes {
		if v.Secret != nil {
			names = append(names, v.Secret.SecretName)
		}
	}
	for _, c := range slices.Concat(pod.InitContainers, pod.Containers) {
		for _, e := range c.Env {
			if e.ValueFrom != nil && e.ValueFrom.SecretKeyRef != nil {
				names = append(names, e.ValueFrom.SecretKeyRef.Name)
			}
		}
	}
	return names
}

// freshClone copies the files git tracks (and new ones it does not ignore)
// from the working tree, as a clone of this commit would have them.
func freshClone(t *testing.T) string {
	t.Helper()
	out, err := exec.Command("git", "-C", repoRoot, "ls-files", "-z", "--cached", "--others", "--exclude-standard").Output()
	if err != nil {
		t.Skipf("SKIP: not a git checkout: %v", err)
	}
	dst := t.TempDir()
	for _, name := range strings.Split(strings.TrimSuffix(string(out), "\x00"), "\x00") {
		data, err := os.ReadFile(filepath.Join(repoRoot, name))
		if errors.Is(err, fs.ErrNotExist) {
			continue // deleted in the working tree
		}
		if err != nil {
			t.Fatal(err)
		}
		info, _ := os.Stat(filepath.Join(repoRoot, name))
		p := filepath.Join(dst, name)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, data, info.Mode().Perm()); err != nil {
			t.Fatal(err)
		}
	}
	return dst
}

// pathWithout drops the PATH entries holding name, so that a block that needs
// a tool this test does not provide fails here as it would for a user.
func pathWithout(path, name string) string {
	var keep []string
	for _, dir := range filepath.SplitList(path) {
		if _, err := os.Stat(filepath.Join(dir, name)); err != nil {
			keep = append(keep, dir)
		}
	}
	return strings.Join(keep, string(os.PathListSeparator))
}
