package render

import (
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"

	"github.com/mysqlgen/mysqlgen/internal/spec"
)

// Certificate is the part of cert-manager's cert-manager.io/v1 Certificate
// that mysqlgen sets (cert-manager's pkg/apis/certmanager/v1/types_certificate.go);
// its Go module would pull in far more than these fields need.
type Certificate struct {
	metav1.TypeMeta   `json:",inline"`
	metav1.ObjectMeta `json:"metadata,omitempty"`
	Spec              CertificateSpec `json:"spec"`
}

// CertificateSpec is what cert-manager issues and where it writes it.
type CertificateSpec struct {
	SecretName  string                 `json:"secretName"`
	CommonName  string                 `json:"commonName,omitempty"`
	DNSNames    []string               `json:"dnsNames,omitempty"`
	IsCA        bool                   `json:"isCA,omitempty"`
	Duration    string                 `json:"duration,omitempty"`
	RenewBefore string                 `json:"renewBefore,omitempty"`
	Usages      []string               `json:"usages,omitempty"`
	PrivateKey  *CertificatePrivateKey `json:"privateKey,omitempty"`
	IssuerRef   IssuerReference        `json:"issuerRef"`
}

// CertificatePrivateKey says when the key is replaced.
type CertificatePrivateKey struct {
	RotationPolicy string `json:"rotationPolicy,omitempty"`
}

// IssuerReference names the issuer of a Certificate.
type IssuerReference struct {
	Name  string `json:"name"`
	Kind  string `json:"kind,omitempty"`
	Group string `json:"group,omitempty"`
}

// Issuer is the part of cert-manager's cert-manager.io/v1 Issuer that
// mysqlgen sets (types_issuer.go): self-signed, or a CA from a Secret.
type Issuer struct {
	metav1.TypeMeta   `json:",inline"`
	metav1.ObjectMeta `json:"metadata,omitempty"`
	Spec              IssuerSpec `json:"spec"`
}

// IssuerSpec is one of the issuer kinds mysqlgen renders.
type IssuerSpec struct {
	SelfSigned *SelfSignedIssuer `json:"selfSigned,omitempty"`
	CA         *CAIssuer         `json:"ca,omitempty"`
}

// SelfSignedIssuer signs a certificate with its own key.
type SelfSignedIssuer struct{}

// CAIssuer signs with the CA in a Secret.
type CAIssuer struct {
	SecretName string `json:"secretName"`
}

// DeepCopyObject makes Certificate a runtime.Object.
func (c *Certificate) DeepCopyObject() runtime.Object {
	out := *c
	c.ObjectMeta.DeepCopyInto(&out.ObjectMeta)
	out.Spec.DNSNames = append([]string(nil), c.Spec.DNSNames...)
	out.Spec.Usages = append([]string(nil), c.Spec.Usages...)
	if c.Spec.PrivateKey != nil {
		pk := *c.Spec.PrivateKey
		out.Spec.PrivateKey = &pk
	}
	return &out
}

// DeepCopyObject makes Issuer a runtime.Object.
func (i *Issuer) DeepCopyObject() runtime.Object {
	out := *i
	i.ObjectMeta.DeepCopyInto(&out.ObjectMeta)
	if i.Spec.SelfSigned != nil {
		out.Spec.SelfSigned = &SelfSignedIssuer{}
	}
	if i.Spec.CA != nil {
		ca := *i.Spec.CA
		out.Spec.CA = &ca
	}
	return &out
}

// certManagerAPIVersion of the objects below.
const certManagerAPIVersion = spec.CertManagerGroup + "/v1"

// serverUsages: every member serves clients and peers, and is a client of
// its peers (replication, clone) with the same certificate. Digital
// signature and key encipherment are what an RSA key's TLS needs.
var serverUsages = []string{"server auth", "client auth", "digital signature", "key encipherment"}

// makeCertificate asks cert-manager for the members' certificate, written to
// the Secret <name>-tls they mount. Its key is replaced on every renewal.
func makeCertificate(c *cluster) *Certificate {
	t := c.Spec.TLS
	if t == nil || t.CertManager == nil {
		return nil
	}
	cm := t.CertManager
	ref := IssuerReference{Name: cm.IssuerRef.Name, Kind: cm.IssuerRef.Kind, Group: cm.IssuerRef.Group}
	if cm.SelfSigned {
		ref = IssuerReference{Name: c.name(caSuffix), Kind: spec.IssuerKindIssuer, Group: spec.CertManagerGroup}
	}
	return &Certificate{
		TypeMeta:   typeMeta(certManagerAPIVersion, "Certificate"),
		ObjectMeta: c.objectMeta(c.name(certSuffix)),
		Spec: CertificateSpec{
			SecretName:  c.TLSSecretName(),
			DNSNames:    certificateDNSNames(c),
			Duration:    cm.Duration,
			RenewBefore: cm.RenewBefore,
			Usages:      serverUsages,
			PrivateKey:  &CertificatePrivateKey{RotationPolicy: "Always"},
			IssuerRef:   ref,
		},
	}
}

// selfSigned reports whether the cluster has its own CA.
func (c *cluster) selfSigned() bool {
	t := c.Spec.TLS
	return t != nil && t.CertManager != nil && t.CertManager.SelfSigned
}

// makeSelfSignedIssuer signs the cluster's CA certificate, and nothing else.
func makeSelfSignedIssuer(c *cluster) *Issuer {
	if !c.selfSigned() {
		return nil
	}
	return &Issuer{
		TypeMeta:   typeMeta(certManagerAPIVersion, "Issuer"),
		ObjectMeta: c.objectMeta(c.name(selfSignSuffix)),
		Spec:       IssuerSpec{SelfSigned: &SelfSignedIssuer{}},
	}
}

// makeCACertificate is the cluster's own CA, in the Secret <name>-ca.
func makeCACertificate(c *cluster) *Certificate {
	if !c.selfSigned() {
		return nil
	}
	return &Certificate{
		TypeMeta:   typeMeta(certManagerAPIVersion, "Certificate"),
		ObjectMeta: c.objectMeta(c.name(caSuffix)),
		Spec: CertificateSpec{
			SecretName: c.name(caSuffix),
			CommonName: c.Metadata.Name + " CA",
			IsCA:       true,
			Duration:   caDuration,
			PrivateKey: &CertificatePrivateKey{RotationPolicy: "Always"},
			IssuerRef:  IssuerReference{Name: c.name(selfSignSuffix), Kind: spec.IssuerKindIssuer, Group: spec.CertManagerGroup},
		},
	}
}

// makeCAIssuer signs the members' certificate with the cluster's CA.
func makeCAIssuer(c *cluster) *Issuer {
	if !c.selfSigned() {
		return nil
	}
	return &Issuer{
		TypeMeta:   typeMeta(certManagerAPIVersion, "Issuer"),
		ObjectMeta: c.objectMeta(c.name(caSuffix)),
		Spec:       IssuerSpec{CA: &CAIssuer{SecretName: c.name(caSuffix)}},
	}
}
