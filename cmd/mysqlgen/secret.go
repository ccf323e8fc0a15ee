package main

import (
	"crypto/rand"
	"fmt"
	"maps"
	"slices"
	"strings"
	"unicode/utf8"

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

// rotateAll asks --rotate for every key the Secret holds for the clusters.
const rotateAll = "all"

type secretFlags struct {
	in       inputFlags
	existing string
	rotate   []string
}

func newSecretCommand(s streams) *cobra.Command {
	flags := &secretFlags{}
	cmd := &cobra.Command{
		Use:   "secret [-f] [spec.yaml]... [--existing FILE] [--rotate KEY]...",
		Short: "Print the clusters' Secret: existing passwords kept, missing ones generated",
		Long: `Secret prints, for each cluster, the Secret its spec.credentials.secretName
names, with a random password (crypto/rand) under each of its keys:
` + strings.Join(spec.SecretKeys, ", ") + ` (the exporter's, used only
with spec.metrics.enabled, so that metrics can be turned on later without a
new Secret), and the keys of this Secret that spec.users' passwordSecretKeyRef
name.

--existing reads the Secret as it is in the cluster (YAML or JSON, as
kubectl get secret NAME -o yaml --ignore-not-found prints it; - for stdin;
empty input for none) and keeps every value it holds: only the missing keys
get new passwords, so that applying the output again changes nothing.
--rotate KEY (repeatable, or all) gives those keys new passwords: the sidecars
apply a changed Secret to the database without a restart. Keep the output
out of git. No password is ever printed to stderr.`,
		Example: `  kubectl get secret mysql-credentials -o yaml --ignore-not-found |
    mysqlgen secret --existing - | kubectl apply -f -
  kubectl get secret mysql-credentials -o yaml |
    mysqlgen secret --existing - --rotate replication-password | kubectl apply -f -`,
		Args:              cobra.ArbitraryArgs,
		ValidArgsFunction: completeSpecFiles,
		RunE: func(cmd *cobra.Command, args []string) error {
			return runSecret(s, flags, args)
		},
	}
	flags.in.register(cmd)
	cmd.Flags().StringVar(&flags.existing, "existing", "", "the Secret as the cluster has it (kubectl get secret NAME -o yaml --ignore-not-found), or - for stdin: its values are kept")
	cmd.Flags().StringArrayVar(&flags.rotate, "rotate", nil, "a key to give a new password (repeatable, comma-separated, or all)")
	return cmd
}

// secretPlan is one Secret to print: the keys its clusters need, and the
// cluster whose metadata it takes.
type secretPlan struct {
	cluster *spec.MySQLCluster
	keys    []string
}

func runSecret(s streams, flags *secretFlags, args []string) error {
	in := flags.in.withArgs(args)
	if flags.existing == "-" && slices.Contains(in.files, "-") {
		return fmt.Errorf("--existing - and -f - both read stdin: give one of them a file")
	}
	docs, err := loadClusters(s, in)
	if err != nil {
		return err
	}
	var plans []*secretPlan
	byName := map[string]*secretPlan{}
	for _, d := range docs {
		// Clusters that name one Secret share it: a second Secret of that
		// name would replace the first's passwords on apply.
		key := d.Cluster.Metadata.Namespace + "/" + d.Cluster.Spec.Credentials.SecretName
		p := byName[key]
		if p == nil {
			p = &secretPlan{cluster: d.Cluster}
			byName[key] = p
			plans = append(plans, p)
		}
		for _, k := range secretKeysOf(d.Cluster) {
			if !slices.Contains(p.keys, k) {
				p.keys = append(p.keys, k)
			}
		}
	}
	existing, err := readExistingSecrets(s, flags.existing, plans)
	if err != nil {
		return err
	}
	rotate := splitKeys(flags.rotate)
	var secrets []manifest.Object
	for _, p := range plans {
		secret, report, err := makeSecret(p, existing[p.cluster.Spec.Credentials.SecretName], rotate)
		if err != nil {
			return err
		}
		if flags.existing != "" || len(rotate) > 0 {
			fmt.Fprintln(s.err, report)
		}
		secrets = append(secrets, secret)
	}
	return writeObjects(s.out, secrets)
}

// secretKeysOf are the keys a cluster's credentials Secret holds: the
// managed accounts' and the declared users' that name this Secret.
func secretKeysOf(c *spec.MySQLCluster) []string {
	keys := slices.Clone(spec.SecretKeys)
	for _, u := range c.Spec.Users {
		if r := u.PasswordSecretKeyRef; r != nil && u.State != spec.UserStateAbsent &&
			r.Name == c.Spec.Credentials.SecretName && !slices.Contains(keys, r.Key) {
			keys = append(keys, r.Key)
		}
	}
	return keys
}

func splitKeys(flags []string) []string {
	var keys []string
	for _, f := range flags {
		for _, k := range strings.Split(f, ",") {
			if k = strings.TrimSpace(k); k != "" && !slices.Contains(keys, k) {
				keys = append(keys, k)
			}
		}
	}
	return keys
}

// makeSecret keeps what old holds (nil: no Secret yet), generates the
// missing keys and those to rotate, and reports which, without a value.
func makeSecret(p *secretPlan, old map[string][]byte, rotate []string) (*corev1.Secret, string, error) {
	c := p.cluster
	name := c.Spec.Credentials.SecretName
	values := maps.Clone(old)
	if values == nil {
		values = map[string][]byte{}
	}
	if slices.Contains(rotate, rotateAll) {
		rotate = slices.Sorted(maps.Keys(values))
		for _, k := range p.keys {
			if !slices.Contains(rotate, k) {
				rotate = append(rotate, k)
			}
		}
	}
	for _, k := range rotate {
		if _, held := values[k]; !held && !slices.Contains(p.keys, k) {
			return nil, "", fmt.Errorf("--rotate %s: Secret %s neither holds nor needs that key (its keys: %s)",
				k, name, strings.Join(p.keys, ", "))
		}
	}
	var generated, rotated []string
	for _, k := range append(slices.Clone(p.keys), rotate...) {
		again := slices.Contains(rotate, k)
		if len(values[k]) > 0 && !again || slices.Contains(generated, k) || slices.Contains(rotated, k) {
			continue
		}
		pw, err := randomPassword()
		if err != nil {
			return nil, "", fmt.Errorf("generating a password: %w", err)
		}
		if again && len(values[k]) > 0 {
			rotated = append(rotated, k)
		} else {
			generated = append(generated, k)
		}
		values[k] = []byte(pw)
	}
	secret := &corev1.Secret{
		TypeMeta: metav1.TypeMeta{APIVersion: "v1", Kind: "Secret"},
		ObjectMeta: metav1.ObjectMeta{
			Name:        name,
			Namespace:   c.Metadata.Namespace,
			Labels:      maps.Clone(c.Metadata.Labels),
			Annotations: maps.Clone(c.Metadata.Annotations),
		},
		Type: corev1.SecretTypeOpaque,
	}
	for k, v := range values {
		// stringData keeps the output readable; a value that is not text
		// goes back as it came, in data.
		if utf8.Valid(v) {
			if secret.StringData == nil {
				secret.StringData = map[string]string{}
			}
			secret.StringData[k] = string(v)
		} else {
			if secret.Data == nil {
				secret.Data = map[string][]byte{}
			}
			secret.Data[k] = v
		}
	}
	kept := len(values) - len(generated) - len(rotated)
	report := fmt.Sprintf("secret %s: %d kept, generated [%s], rotated [%s]", name, kept,
		strings.Join(generated, " "), strings.Join(rotated, " "))
	return secret, report, nil
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
