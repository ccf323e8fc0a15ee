package spec

import (
	"fmt"
	"time"

	"k8s.io/apimachinery/pkg/util/validation"
	"k8s.io/apimachinery/pkg/util/validation/field"
)

// cert-manager's lower bounds (MinimumCertificateDuration and
// MinimumRenewBefore of cert-manager's pkg/apis/certmanager/v1/const.go):
// its webhook refuses a Certificate below them.
const (
	MinCertificateDuration = time.Hour
	MinRenewBefore         = 5 * time.Minute
)

var issuerKinds = []string{IssuerKindClusterIssuer, IssuerKindIssuer}

// validateTLSAndAccounts checks spec.tls, spec.databases, spec.users and
// spec.initSQL.
func validateTLSAndAccounts(s *ClusterSpec, p *field.Path) field.ErrorList {
	errs := validateTLS(s.TLS, p.Child("tls"))
	errs = append(errs, validateDatabases(s.Databases, p.Child("databases"))...)
	errs = append(errs, validateUsers(s.Users, s.TLS != nil, p.Child("users"))...)
	if s.InitSQL != nil {
		errs = append(errs, validateObjectName(s.InitSQL.ConfigMapName, "the ConfigMap with the .sql files", p.Child("initSQL", "configMapName"))...)
	}
	return errs
}

func validateTLS(t *TLS, p *field.Path) field.ErrorList {
	if t == nil {
		return nil
	}
	var errs field.ErrorList
	switch {
	case t.SecretName == "" && t.CertManager == nil:
		errs = append(errs, field.Required(p, "one of secretName (a Secret with tls.crt, tls.key and ca.crt) or certManager"))
	case t.SecretName != "" && t.CertManager != nil:
		errs = append(errs, field.Forbidden(p.Child("certManager"), "may not be set with secretName: the certificate comes from one of them"))
	case t.SecretName != "":
		errs = append(errs, validateObjectName(t.SecretName, "", p.Child("secretName"))...)
	default:
		errs = append(errs, validateCertManager(t.CertManager, p.Child("certManager"))...)
	}
	return errs
}

func validateCertManager(cm *CertManager, p *field.Path) field.ErrorList {
	var errs field.ErrorList
	rp := p.Child("issuerRef")
	if cm.SelfSigned {
		if cm.IssuerRef != (IssuerRef{}) {
			errs = append(errs, field.Forbidden(rp, "may not be set with selfSigned: the cluster's own CA Issuer signs the certificate"))
		}
	} else {
		errs = append(errs, validateObjectName(cm.IssuerRef.Name, "the Issuer or ClusterIssuer that signs the certificate, or selfSigned: true", rp.Child("name"))...)
		if !contains(issuerKinds, cm.IssuerRef.Kind) {
			errs = append(errs, field.NotSupported(rp.Child("kind"), cm.IssuerRef.Kind, issuerKinds))
		}
		if cm.IssuerRef.Group != CertManagerGroup {
			errs = append(errs, field.NotSupported(rp.Child("group"), cm.IssuerRef.Group, []string{CertManagerGroup}))
		}
	}
	duration, err := time.ParseDuration(cm.Duration)
	switch {
	case err != nil:
		errs = append(errs, field.Invalid(p.Child("duration"), cm.Duration, "must be a Go duration such as 2160h"))
	case duration < MinCertificateDuration:
		errs = append(errs, field.Invalid(p.Child("duration"), cm.Duration, "must be at least 1h, as cert-manager requires"))
	}
	renew, rerr := time.ParseDuration(cm.RenewBefore)
	switch {
	case rerr != nil:
		errs = append(errs, field.Invalid(p.Child("renewBefore"), cm.RenewBefore, "must be a Go duration such as 720h"))
	case renew < MinRenewBefore:
		errs = append(errs, field.Invalid(p.Child("renewBefore"), cm.RenewBefore, "must be at least 5m, as cert-manager requires"))
	case err == nil && renew >= duration:
		errs = append(errs, field.Invalid(p.Child("renewBefore"), cm.RenewBefore, fmt.Sprintf("must be below duration (%s)", cm.Duration)))
	}
	return errs
}

// validateObjectName checks the name of an object in the cluster's
// namespace; what, when given, says what a missing name should name.
func validateObjectName(name, what string, p *field.Path) field.ErrorList {
	if name == "" {
		if what == "" {
			what = "a name"
		}
		return field.ErrorList{field.Required(p, what)}
	}
	var errs field.ErrorList
	for _, msg := range validation.IsDNS1123Subdomain(name) {
		errs = append(errs, field.Invalid(p, name, msg))
	}
	return errs
}
