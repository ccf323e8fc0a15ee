package render

import (
	"fmt"
	"strconv"
	"strings"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/utils/ptr"

	"github.com/mysqlgen/mysqlgen/internal/spec"
)

// accountsFile is the config ConfigMap's "accounts" key, which the primary's
// sidecar applies: one item a line, fields separated by one space, "-" for
// an unset field, spaces in privilege names written as '_':
//
//	database <name> <charset|-> <collation|->
//	user <name> <host> <password file> <REQUIRE_SSL|NONE> <max user connections>
//	grant <name> <host> <PRIV,PRIV,...> <database> <table|*>
//	drop <name> <host>
//
// Every field comes from a validated charset that has no space, quote or
// newline (internal/spec's validate_accounts.go), so no value can change
// the file's structure. The password file is the user's index in
// spec.users, under the user-passwords volume. Empty when nothing is
// declared.
func accountsFile(c *cluster) string {
	var b strings.Builder
	line := func(fields ...string) {
		for i, f := range fields {
			if f == "" || strings.ContainsAny(f, " \t\r\n\v\f") {
				panic(fmt.Sprintf("accounts field %q of %q: the spec was not validated", f, fields))
			}
			if i > 0 {
				b.WriteByte(' ')
			}
			b.WriteString(f)
		}
		b.WriteByte('\n')
	}
	for _, d := range c.Spec.Databases {
		line("database", d.Name, orDash(d.CharacterSet), orDash(d.Collation))
	}
	for i, u := range c.Spec.Users {
		if u.State == spec.UserStateAbsent {
			line("drop", u.Name, u.Host)
			continue
		}
		ssl := "NONE"
		if u.RequireSSL {
			ssl = "REQUIRE_SSL"
		}
		line("user", u.Name, u.Host, strconv.Itoa(i), ssl, strconv.Itoa(int(u.MaxUserConnections)))
		for _, g := range u.Grants {
			privs := make([]string, len(g.Privileges))
			for j, p := range g.Privileges {
				privs[j] = strings.ReplaceAll(p, " ", "_")
			}
			line("grant", u.Name, u.Host, strings.Join(privs, ","), g.Database, g.Table)
		}
	}
	return b.String()
}

func orDash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}

// userPasswordsVolume projects each present user's password key to the file
// named by the user's index, one source per Secret: the sidecar reads them
// and, since the kubelet updates projected Secrets in place, sees a rotated
// password without a restart. Nil when no user needs one.
func userPasswordsVolume(c *cluster) *corev1.Volume {
	var sources []corev1.VolumeProjection
	index := map[string]int{}
	for i, u := range c.Spec.Users {
		r := u.PasswordSecretKeyRef
		if u.State == spec.UserStateAbsent || r == nil {
			continue
		}
		k, ok := index[r.Name]
		if !ok {
			k = len(sources)
			index[r.Name] = k
			sources = append(sources, corev1.VolumeProjection{Secret: &corev1.SecretProjection{
				LocalObjectReference: corev1.LocalObjectReference{Name: r.Name},
			}})
		}
		s := sources[k].Secret
		s.Items = append(s.Items, corev1.KeyToPath{Key: r.Key, Path: strconv.Itoa(i)})
	}
	if len(sources) == 0 {
		return nil
	}
	return &corev1.Volume{Name: volumeUsers, VolumeSource: corev1.VolumeSource{Projected: &corev1.ProjectedVolumeSource{
		Sources:     sources,
		DefaultMode: ptr.To[int32](0o440),
	}}}
}
