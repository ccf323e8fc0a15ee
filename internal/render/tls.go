package render

import (
	"fmt"
	"slices"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/utils/ptr"

	"github.com/mysqlgen/mysqlgen/internal/spec"
)

// TLS, accounts and init SQL: volumes, paths and the scripts' variables
// (the contract of issue 15 between the render and templates/).
const (
	volumeTLS      = "tls"
	volumeUsers    = "user-passwords"
	volumeInitSQL  = "init-sql"
	pathTLS        = "/etc/mysqlgen/tls"
	pathUsers      = "/etc/mysqlgen/users"
	pathInitSQL    = "/etc/mysqlgen/init-sql"
	fileAccounts   = "accounts"
	certSuffix     = "-tls"
	caSuffix       = "-ca"
	selfSignSuffix = "-selfsigned"
	// The CA of a self-signed cluster: ten years, since every member trusts
	// it and a new one is trusted only once the members' Secret has it.
	caDuration = "87600h"
)

// tlsVolumes are the pod's volumes for TLS, declared users' passwords and
// init SQL, each only when the spec asks for it.
func tlsVolumes(c *cluster) []corev1.Volume {
	var vs []corev1.Volume
	if c.Spec.TLS != nil {
		vs = append(vs, tlsSecretVolume(c))
	}
	if p := userPasswordsVolume(c); p != nil {
		vs = append(vs, *p)
	}
	if is := c.Spec.InitSQL; is != nil {
		vs = append(vs, corev1.Volume{Name: volumeInitSQL, VolumeSource: corev1.VolumeSource{ConfigMap: &corev1.ConfigMapVolumeSource{
			LocalObjectReference: corev1.LocalObjectReference{Name: is.ConfigMapName},
			DefaultMode:          ptr.To[int32](0o444),
		}}})
	}
	return vs
}

// tlsSecretVolume is the certificate Secret's volume. Group-readable, as
// the credentials: the key is the mysql group's through fsGroup, and nobody
// else's.
func tlsSecretVolume(c *cluster) corev1.Volume {
	return corev1.Volume{Name: volumeTLS, VolumeSource: corev1.VolumeSource{Secret: &corev1.SecretVolumeSource{
		SecretName:  c.TLSSecretName(),
		DefaultMode: ptr.To[int32](0o440),
	}}}
}

// tlsMounts are a container's mounts of tlsVolumes: the certificate in
// every container that talks to a server or a peer, the passwords and the
// init SQL in the sidecar, which applies them.
func tlsMounts(c *cluster, container string) []corev1.VolumeMount {
	var ms []corev1.VolumeMount
	switch container {
	case containerInit, containerClone, containerServer, containerBackup:
	default:
		return nil
	}
	if c.Spec.TLS != nil {
		ms = append(ms, corev1.VolumeMount{Name: volumeTLS, MountPath: pathTLS, ReadOnly: true})
	}
	if container != containerBackup {
		return ms
	}
	if userPasswordsVolume(c) != nil {
		ms = append(ms, corev1.VolumeMount{Name: volumeUsers, MountPath: pathUsers, ReadOnly: true})
	}
	if c.Spec.InitSQL != nil {
		ms = append(ms, corev1.VolumeMount{Name: volumeInitSQL, MountPath: pathInitSQL, ReadOnly: true})
	}
	return ms
}

// tlsEnv are the scripts' variables for TLS, accounts and init SQL; the
// directories are always named, and the scripts look for what is in them.
// require_secure_transport reaches the server through my.cnf;
// MYSQLGEN_REQUIRE_TLS only lets the sidecar check that the server took it
// (the probes and the sidecar use the socket, which it leaves open).
func tlsEnv(c *cluster) [][2]string {
	return [][2]string{
		{"MYSQLGEN_INIT_SQL_DIR", pathInitSQL},
		{"MYSQLGEN_REQUIRE_TLS", onOff(c.Spec.TLS != nil && c.Spec.TLS.RequireSecureTransport)},
		{"MYSQLGEN_TLS", onOff(c.Spec.TLS != nil)},
		{"MYSQLGEN_TLS_DIR", pathTLS},
		{"MYSQLGEN_USERS_DIR", pathUsers},
	}
}

// tlsSettings are the my.cnf lines of spec.tls.
func tlsSettings(c *cluster) []setting {
	t := c.Spec.TLS
	if t == nil {
		return nil
	}
	const why = "spec.tls: the servers reload it when the Secret changes"
	s := []setting{
		{"ssl-ca", pathTLS + "/" + spec.TLSKeyCA, "spec.tls: clients and peers are verified against this CA"},
		{"ssl-cert", pathTLS + "/" + spec.TLSKeyCert, why},
		{"ssl-key", pathTLS + "/" + spec.TLSKeyKey, why},
	}
	if t.RequireSecureTransport {
		s = append(s, setting{"require-secure-transport", "ON", "spec.tls.requireSecureTransport: TCP clients must use TLS (the socket stays open to the probes)"})
	}
	return s
}

// certificateDNSNames are the names the members are reached by: each
// member as the scripts dial it (<sts>-<k>.<service>), a wildcard of the
// headless Service for members added later, and the Services; with a
// namespace also their <name>.<namespace>.svc forms. Without one the
// certificate holds short forms only, which is all the scripts and clients
// of the same namespace use: the namespace a later kustomize or kubectl -n
// gives is not known here, and a name guessed would be wrong.
func certificateDNSNames(c *cluster) []string {
	svc := c.Metadata.Name
	var short []string
	for k := range *c.Spec.Replicas {
		short = append(short, fmt.Sprintf("%s-%d.%s", c.Metadata.Name, k, svc))
	}
	short = append(short, "*."+svc, svc, c.name(readSuffix), c.name(primarySuffix))
	ns := c.Metadata.Namespace
	if ns == "" {
		return short
	}
	names := slices.Clone(short)
	for _, n := range short {
		names = append(names, n+"."+ns+".svc")
	}
	return names
}
