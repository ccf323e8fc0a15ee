//go:build e2e

package e2e

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"

	corev1 "k8s.io/api/core/v1"
)

// updateGen numbers the timestamped directories of in-place updates.
var updateGen atomic.Int64

// updateSecret is `kubectl apply` of a changed Secret followed by the
// kubelet's next sync: the cluster keeps the new data (pods created later
// get it) and every running pod's volumes that project the Secret are
// updated in place, as the kubelet's atomic writer does
// (kubernetes pkg/volume/util/atomic_writer.go): the new files go into a
// new timestamped directory, ..data is swapped to it with one rename, and
// the old directory is removed. Containers see the change through their
// bind mounts without a restart.
func (c *cluster) updateSecret(s *corev1.Secret) error {
	c.mu.Lock()
	c.secrets[s.Name] = s
	pods := make([]*pod, 0, len(c.pods))
	for _, p := range c.pods {
		pods = append(pods, p)
	}
	c.mu.Unlock()
	for _, p := range pods {
		for _, v := range p.spec.Volumes {
			if !projects(v, s.Name) {
				continue
			}
			if err := p.refreshVolume(v); err != nil {
				return fmt.Errorf("%s volume %s: %w", p.name, v.Name, err)
			}
		}
	}
	return nil
}

// projects tells whether a volume shows the named Secret.
func projects(v corev1.Volume, secret string) bool {
	if v.Secret != nil {
		return v.Secret.SecretName == secret
	}
	if v.Projected != nil {
		for _, src := range v.Projected.Sources {
			if src.Secret != nil && src.Secret.Name == secret {
				return true
			}
		}
	}
	return false
}

// refreshVolume writes a Secret or projected volume afresh with the
// harness's projection writer into a scratch directory, then moves its
// timestamped directory into the live volume and swaps ..data to it.
func (p *pod) refreshVolume(v corev1.Volume) error {
	dir, ok := p.volumes[v.Name]
	if !ok {
		return fmt.Errorf("no such volume")
	}
	var fsGroup *int
	if psc := p.spec.SecurityContext; psc != nil && psc.FSGroup != nil {
		g := p.c.ids.gid(int(*psc.FSGroup))
		fsGroup = &g
	}
	scratch := dir + ".update"
	_ = os.RemoveAll(scratch)
	var err error
	switch {
	case v.Secret != nil:
		err = p.writeProjection(scratch, 0o1777, []corev1.VolumeProjection{{Secret: &corev1.SecretProjection{
			LocalObjectReference: corev1.LocalObjectReference{Name: v.Secret.SecretName}, Items: v.Secret.Items, Optional: v.Secret.Optional}}},
			v.Secret.DefaultMode, corev1.SecretVolumeSourceDefaultMode, fsGroup)
	case v.Projected != nil:
		err = p.writeProjection(scratch, 0o1777, v.Projected.Sources, v.Projected.DefaultMode, corev1.ProjectedVolumeSourceDefaultMode, fsGroup)
	}
	if err != nil {
		return err
	}
	defer os.RemoveAll(scratch)
	old, err := os.Readlink(filepath.Join(dir, "..data"))
	if err != nil {
		return err
	}
	written, err := os.Readlink(filepath.Join(scratch, "..data"))
	if err != nil {
		return err
	}
	ts := fmt.Sprintf("..2026_01_02_00_00_00.%09d", updateGen.Add(1))
	if err := os.Rename(filepath.Join(scratch, written), filepath.Join(dir, ts)); err != nil {
		return err
	}
	if err := os.Symlink(ts, filepath.Join(dir, "..data_tmp")); err != nil {
		return err
	}
	if err := os.Rename(filepath.Join(dir, "..data_tmp"), filepath.Join(dir, "..data")); err != nil {
		return err
	}
	entries, err := os.ReadDir(filepath.Join(dir, ts))
	if err != nil {
		return err
	}
	for _, e := range entries {
		link := filepath.Join(dir, e.Name())
		if _, err := os.Lstat(link); os.IsNotExist(err) {
			if err := os.Symlink(filepath.Join("..data", e.Name()), link); err != nil {
				return err
			}
		}
	}
	if strings.HasPrefix(old, "..") && old != ts {
		return os.RemoveAll(filepath.Join(dir, old))
	}
	return nil
}
