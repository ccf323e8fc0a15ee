package spec

import (
	"regexp"
	"strings"

	"k8s.io/apimachinery/pkg/util/validation"
	"k8s.io/apimachinery/pkg/util/validation/field"
)

// Image references, written once for Validate and the schema. A digest is
// the algorithm and its full hexadecimal value (the OCI image spec's
// registered algorithms, sha256 and sha512), as kubelet pulls it.
const (
	imageNamePattern = `[a-z0-9][a-z0-9._/:-]*[a-zA-Z0-9._-]*`
	digestPattern    = `(sha256:[0-9a-f]{64}|sha512:[0-9a-f]{128})`
	// A registry host (with a dot or a port, or localhost: otherwise a
	// runtime takes the first component for a Docker Hub namespace) and an
	// optional path of repository components.
	imageRegistryPattern = `^(localhost(:[0-9]{1,5})?|[a-z0-9]([a-z0-9-]*[a-z0-9])?(\.[a-z0-9]([a-z0-9-]*[a-z0-9])?)+(:[0-9]{1,5})?|[a-z0-9]([a-z0-9-]*[a-z0-9])?:[0-9]{1,5})(/[a-z0-9]+(([._]|__|-+)[a-z0-9]+)*)*$`
)

var (
	imageReferenceRE = regexp.MustCompile(`^` + imageNamePattern + `(@` + digestPattern + `)?$`)
	imageNameRE      = regexp.MustCompile(`^` + imageNamePattern + `@`)
	imageRegistryRE  = regexp.MustCompile(imageRegistryPattern)
)

// dockerHubHosts name Docker Hub, the registry of every default image.
var dockerHubHosts = []string{"docker.io", "index.docker.io", "registry-1.docker.io"}

// Mirrored is image as pulled from registry instead of Docker Hub: the
// repository path as Docker Hub normalises it (library/ for an official
// image, as registry mirrors and Harbor's proxy cache serve it) and the tag
// or digest kept. An image naming another registry is returned unchanged:
// someone chose that registry.
func Mirrored(registry, image string) string {
	path := image
	if first, rest, ok := strings.Cut(image, "/"); ok && (strings.ContainsAny(first, ".:") || first == "localhost") {
		if !containsString(dockerHubHosts, first) {
			return image
		}
		path = rest
	}
	if !strings.Contains(strings.SplitN(path, "@", 2)[0], "/") {
		path = "library/" + path
	}
	return registry + "/" + path
}

// applyImageRegistry pulls every Docker Hub image, default or set, from
// spec.imageRegistry; an invalid registry is left for Validate to report.
func applyImageRegistry(s *ClusterSpec) {
	if s.ImageRegistry == "" || !imageRegistryRE.MatchString(s.ImageRegistry) {
		return
	}
	imgs := []*string{&s.Image, &s.BackupImage, &s.Metrics.Image}
	if s.Backup != nil {
		imgs = append(imgs, &s.Backup.ToolsImage)
	}
	if s.Restore != nil {
		imgs = append(imgs, &s.Restore.ToolsImage)
	}
	for _, img := range imgs {
		if *img != "" {
			*img = Mirrored(s.ImageRegistry, *img)
		}
	}
}

func validateImage(image string, p *field.Path) field.ErrorList {
	switch {
	case image == "":
		return field.ErrorList{field.Required(p, "an image reference")}
	case imageReferenceRE.MatchString(image):
		return nil
	case imageNameRE.MatchString(image):
		return field.ErrorList{field.Invalid(p, image, "the digest after @ must be sha256: and 64 lower-case hexadecimal digits (or sha512: and 128)")}
	}
	return field.ErrorList{field.Invalid(p, image, "must be an image reference such as registry/repository:tag or repository@sha256:digest")}
}

func validateRegistryAccess(s *ClusterSpec, p *field.Path) field.ErrorList {
	var errs field.ErrorList
	if s.ImageRegistry != "" && !imageRegistryRE.MatchString(s.ImageRegistry) {
		errs = append(errs, field.Invalid(p.Child("imageRegistry"), s.ImageRegistry,
			"must be a registry host (with a dot or a port, or localhost) and an optional path, such as registry.example.com/mirror: no scheme, tag or trailing /"))
	}
	seen := map[string]bool{}
	for i, name := range s.ImagePullSecrets {
		pp := p.Child("imagePullSecrets").Index(i)
		for _, msg := range validation.IsDNS1123Subdomain(name) {
			errs = append(errs, field.Invalid(pp, name, msg))
		}
		if seen[name] {
			errs = append(errs, field.Duplicate(pp, name))
		}
		seen[name] = true
	}
	return errs
}

func containsString(list []string, s string) bool {
	for _, v := range list {
		if v == s {
			return true
		}
	}
	return false
}
