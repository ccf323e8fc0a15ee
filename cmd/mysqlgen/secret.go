package main

import (
	"bytes"
	"crypto/rand"
	"fmt"
	"maps"
	"strings"

	"github.com/spf13/cobra"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/mysqlgen/mysqlgen/internal/manifest"
	"github.com/mysqlgen/mysqlgen/internal/spec"
)

// passwordLength gives about 190 bits from an alphabet of 62 characters that
// need no quoting in SQL, shells or option files.
const passwordLength = 32

const passwordAlphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789"

type secretFlags struct {
	in inputFlags
}

func newSecretCommand(s streams) *cobra.Command {
	flags := &secretFlags{}
	cmd := &cobra.Command{
		Use:   "secret [-f] [spec.yaml]...",
		Short: "Print a Secret with fresh random passwords for a quick start",
		Long: `Secret prints, for each cluster, the Secret its spec.credentials.secretName
names, holding a new random password (crypto/rand) under each of its keys:
` + strings.Join(spec.SecretKeys, ", ") + ` (the exporter's, used only
with spec.metrics.enabled, so that metrics can be turned on later without a
new Secret). It is the only command whose output differs on every run: apply it
once, and keep it out of git. To manage passwords yourself, create the Secret
with kubectl create secret generic instead (see mysqlgen init).`,
		Example: `  mysqlgen secret | kubectl apply -f -
  mysqlgen secret -f cluster.yaml | kubectl apply -f -`,
		Args:              cobra.ArbitraryArgs,
		ValidArgsFunction: completeSpecFiles,
		RunE: func(cmd *cobra.Command, args []string) error {
			docs, err := loadClusters(s, flags.in.withArgs(args))
			if err != nil {
				return err
			}
			b := manifest.NewBuilder()
			var trees []*manifest.Tree
			printed := map[string]bool{}
			for _, d := range docs {
				// Clusters that name one Secret share it: a second Secret
				// of that name would replace the first's passwords on apply.
				key := d.Cluster.Metadata.Namespace + "/" + d.Cluster.Spec.Credentials.SecretName
				if printed[key] {
					continue
				}
				printed[key] = true
				secret, err := makeSecret(d.Cluster)
				if err != nil {
					return err
				}
				t, err := b.Build(secret)
				if err != nil {
					return err
				}
				trees = append(trees, t)
			}
			out, err := manifest.YAML(trees)
			if err != nil {
				return err
			}
			return writeAll(s.out, bytes.NewBuffer(out))
		},
	}
	flags.in.register(cmd)
	return cmd
}

func makeSecret(c *spec.MySQLCluster) (*corev1.Secret, error) {
	data := map[string]string{}
	for _, k := range spec.SecretKeys {
		pw, err := randomPassword()
		if err != nil {
			return nil, fmt.Errorf("generating a password: %w", err)
		}
		data[k] = pw
	}
	return &corev1.Secret{
		TypeMeta: metav1.TypeMeta{APIVersion: "v1", Kind: "Secret"},
		ObjectMeta: metav1.ObjectMeta{
			Name:        c.Spec.Credentials.SecretName,
			Namespace:   c.Metadata.Namespace,
			Labels:      maps.Clone(c.Metadata.Labels),
			Annotations: maps.Clone(c.Metadata.Annotations),
		},
		Type:       corev1.SecretTypeOpaque,
		StringData: data,
	}, nil
}

func randomPassword() (string, error) {
	// rand.Text would do, but its alphabet is fixed at base32; rejection
	// sampling keeps every character equally likely.
	out := make([]byte, 0, passwordLength)
	buf := make([]byte, 64)
	for len(out) < passwordLength {
		if _, err := rand.Read(buf); err != nil {
			return "", err
		}
		for _, b := range buf {
			if int(b) < 256-256%len(passwordAlphabet) && len(out) < passwordLength {
				out = append(out, passwordAlphabet[int(b)%len(passwordAlphabet)])
			}
		}
	}
	return string(out), nil
}
