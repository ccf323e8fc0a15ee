package spec

// TLS encrypts client and replication connections with one certificate per
// cluster, used by every member both as its server certificate and as its
// client certificate towards its peers. Exactly one of secretName and
// certManager says where the certificate comes from.
type TLS struct {
	// SecretName names an existing Secret in cert-manager's layout: tls.crt,
	// tls.key and ca.crt. Its certificate must name every member
	// (<name>-<k>.<name>) and the Services clients connect to. The servers
	// reload it when the Secret changes.
	SecretName string `json:"secretName,omitempty"`
	// CertManager renders a cert-manager Certificate that writes the Secret
	// <name>-tls, naming every member and Service (with their namespace
	// forms when metadata.namespace is set).
	CertManager *CertManager `json:"certManager,omitempty"`
	// RequireSecureTransport refuses TCP clients without TLS
	// (require_secure_transport=ON). Local connections over the socket,
	// which the probes use, are still allowed.
	RequireSecureTransport bool `json:"requireSecureTransport,omitempty"`
}

// CertManager says how cert-manager issues the cluster's certificate.
type CertManager struct {
	// IssuerRef is the cert-manager Issuer or ClusterIssuer that signs the
	// certificate. Leave it out with selfSigned.
	IssuerRef IssuerRef `json:"issuerRef,omitempty"`
	// SelfSigned renders the cluster's own CA: a self-signed Issuer
	// <name>-selfsigned, a CA Certificate <name>-ca (Secret <name>-ca) and a
	// CA Issuer <name>-ca that signs the cluster's certificate. Only the
	// members trust it: clients need its ca.crt to verify the servers.
	SelfSigned bool `json:"selfSigned,omitempty"`
	// Duration of the certificate, a Go duration such as 2160h (90 days, the
	// default). At least 1h.
	Duration string `json:"duration,omitempty"`
	// RenewBefore is how long before expiry cert-manager renews it, a Go
	// duration below duration. Default 720h (30 days).
	RenewBefore string `json:"renewBefore,omitempty"`
}

// IssuerRef names a cert-manager issuer.
type IssuerRef struct {
	// Name of the issuer.
	Name string `json:"name,omitempty"`
	// Kind is Issuer (default; in the cluster's namespace) or ClusterIssuer.
	Kind string `json:"kind,omitempty"`
	// Group is cert-manager.io (default).
	Group string `json:"group,omitempty"`
}

// Values of the TLS fields.
const (
	IssuerKindIssuer        = "Issuer"
	IssuerKindClusterIssuer = "ClusterIssuer"
	CertManagerGroup        = "cert-manager.io"
	// TLSSecretSuffix makes the Secret the Certificate writes: <name>-tls.
	TLSSecretSuffix = "-tls"
	// cert-manager's own default duration, and a third of it to renew in.
	DefaultCertificateDuration    = "2160h"
	DefaultCertificateRenewBefore = "720h"
)

// TLS Secret keys, cert-manager's layout (kubernetes.io/tls plus ca.crt).
const (
	TLSKeyCert = "tls.crt"
	TLSKeyKey  = "tls.key"
	TLSKeyCA   = "ca.crt"
)

// TLSSecretName is the Secret the members mount their certificate from.
func (c *MySQLCluster) TLSSecretName() string {
	t := c.Spec.TLS
	switch {
	case t == nil:
		return ""
	case t.SecretName != "":
		return t.SecretName
	}
	return c.Metadata.Name + TLSSecretSuffix
}
