package spec

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/santhosh-tekuri/jsonschema/v6"
	yaml "go.yaml.in/yaml/v3"
)

// compileSchema compiles JSONSchema with a real validator, which also checks
// it against the draft-07 meta-schema.
func compileSchema(t *testing.T) *jsonschema.Schema {
	t.Helper()
	raw, err := JSONSchema()
	if err != nil {
		t.Fatal(err)
	}
	doc, err := jsonschema.UnmarshalJSON(bytes.NewReader(raw))
	if err != nil {
		t.Fatalf("the schema is not JSON: %v", err)
	}
	c := jsonschema.NewCompiler()
	c.DefaultDraft(jsonschema.Draft7)
	if err := c.AddResource("mysqlcluster.schema.json", doc); err != nil {
		t.Fatal(err)
	}
	s, err := c.Compile("mysqlcluster.schema.json")
	if err != nil {
		t.Fatalf("the schema does not compile: %v", err)
	}
	return s
}

// yamlDocuments decodes every document of a YAML text as an editor's YAML
// support does (YAML 1.2 scalars), as JSON values.
func yamlDocuments(t *testing.T, text string) []any {
	t.Helper()
	dec := yaml.NewDecoder(strings.NewReader(text))
	var docs []any
	for {
		var v any
		if err := dec.Decode(&v); err != nil {
			if errors.Is(err, io.EOF) {
				return docs
			}
			t.Fatal(err)
		}
		if v == nil {
			continue
		}
		j, err := json.Marshal(v)
		if err != nil {
			t.Fatal(err)
		}
		jv, err := jsonschema.UnmarshalJSON(bytes.NewReader(j))
		if err != nil {
			t.Fatal(err)
		}
		docs = append(docs, jv)
	}
}

// Every spec the project ships is valid against the schema.
func TestSchemaAcceptsEveryExample(t *testing.T) {
	s := compileSchema(t)
	files, _ := filepath.Glob("../../examples/*.yaml")
	more, _ := filepath.Glob("../../examples/*/*.yaml")
	for _, f := range more {
		if text, _ := os.ReadFile(f); strings.Contains(string(text), "kind: "+Kind) {
			files = append(files, f)
		}
	}
	if len(files) < 5 {
		t.Fatalf("found only %d examples", len(files))
	}
	specs := map[string]string{"default spec": DefaultSpec, "starter spec (mysqlgen init)": StarterSpec}
	for _, f := range files {
		text, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		specs[strings.TrimPrefix(f, "../../")] = string(text)
	}
	for name, text := range specs {
		t.Run(name, func(t *testing.T) {
			for i, doc := range yamlDocuments(t, text) {
				if err := s.Validate(doc); err != nil {
					t.Errorf("document %d: %v", i+1, err)
				}
			}
		})
	}
}

// What the loader refuses for its shape, the schema refuses too, so that an
// editor flags it as it is typed.
func TestSchemaRejectsWhatTheLoaderRejects(t *testing.T) {
	s := compileSchema(t)
	const head = "apiVersion: mysqlgen.dev/v1alpha1\nkind: MySQLCluster\nmetadata:\n  name: db\n"
	cases := map[string]string{
		"unknown top-level field":           head + "status: {}\n",
		"unknown spec field":                head + "spec: {replicaz: 3}\n",
		"unknown nested field":              head + "spec: {storage: {sise: 1Gi}}\n",
		"unknown patch field":               head + "spec: {patches: [{patch: x, path: y}]}\n",
		"patch without patch":               head + "spec: {patches: [{target: {kind: Service}}]}\n",
		"replicas not a number":             head + "spec: {replicas: three}\n",
		"replicas a fraction":               head + "spec: {replicas: 1.5}\n",
		"replicas zero":                     head + "spec: {replicas: 0}\n",
		"replicas too many":                 head + "spec: {replicas: 17}\n",
		"gtid not a boolean":                head + "spec: {replication: {gtid: yes}}\n",
		"unknown flavor":                    head + "spec: {flavor: postgres}\n",
		"unknown pull policy":               head + "spec: {imagePullPolicy: Sometimes}\n",
		"spec a list":                       head + "spec: [1]\n",
		"config value a mapping":            head + "spec: {config: {max_connections: {a: 1}}}\n",
		"wrong kind":                        "apiVersion: mysqlgen.dev/v1alpha1\nkind: Deployment\nmetadata: {name: db}\n",
		"wrong apiVersion":                  "apiVersion: v1\nkind: MySQLCluster\nmetadata: {name: db}\n",
		"no name":                           "apiVersion: mysqlgen.dev/v1alpha1\nkind: MySQLCluster\nmetadata: {}\n",
		"no metadata":                       "apiVersion: mysqlgen.dev/v1alpha1\nkind: MySQLCluster\n",
		"version a whole number":            head + "spec: {version: 8}\n",
		"version of the other flavor":       head + "spec: {flavor: mariadb, version: \"8.4\"}\n",
		"antiAffinity in capitals":          head + "spec: {scheduling: {antiAffinity: Hard}}\n",
		"size in GB":                        head + "spec: {storage: {size: 10GB}}\n",
		"maxUnavailable zero":               head + "spec: {podDisruptionBudget: {maxUnavailable: 0}}\n",
		"serviceMonitor without metrics":    head + "spec: {metrics: {serviceMonitor: {enabled: true}}}\n",
		"name in capitals":                  strings.Replace(head, "name: db", "name: DB", 1),
		"name of 62 characters":             strings.Replace(head, "name: db", "name: "+strings.Repeat("a", 62), 1),
		"config a managed setting":          head + "spec: {config: {Enable-Skip-Grant-Tables: \"ON\"}}\n",
		"config an abbreviation on mariadb": head + "spec: {flavor: mariadb, version: \"10.11\", config: {datad: /tmp}}\n",
	}
	for name, text := range cases {
		t.Run(name, func(t *testing.T) {
			if _, err := Load(strings.NewReader(text), "test"); err == nil {
				docs, _ := Load(strings.NewReader(text), "test")
				SetDefaults(docs[0].Cluster)
				if len(Validate(docs[0].Cluster)) == 0 {
					t.Fatal("mysqlgen accepts this spec: the case is wrong")
				}
			}
			if err := s.Validate(yamlDocuments(t, text)[0]); err == nil {
				t.Error("the schema accepts it")
			}
		})
	}
}

// Empty fields are not given, for the schema as for the loader; an
// abbreviation is an option's own name where the server takes no prefixes.
func TestSchemaAcceptsWhatTheLoaderAccepts(t *testing.T) {
	s := compileSchema(t)
	const head = "apiVersion: mysqlgen.dev/v1alpha1\nkind: MySQLCluster\nmetadata:\n  name: db\n"
	for name, text := range map[string]string{
		"storage left empty":    head + "spec:\n  storage:\n  replicas:\n",
		"innodb on mariadb":     head + "spec: {flavor: mariadb, config: {innodb: FORCE}}\n",
		"datad on mysql 8.4":    head + "spec: {config: {datad: x}}\n",
		"version unquoted 11.4": head + "spec: {flavor: mariadb, version: 11.4}\n",
	} {
		t.Run(name, func(t *testing.T) {
			c := load(t, text)
			SetDefaults(c)
			if errs := Validate(c); len(errs) > 0 {
				t.Fatalf("mysqlgen refuses it: %v", errs)
			}
			if err := s.Validate(yamlDocuments(t, text)[0]); err != nil {
				t.Error(err)
			}
		})
	}
}

// Scalars are taken as written wherever the loader takes them so (but an
// unquoted 8.0 is the number 8 to an editor, as "version: 8" is: the schema
// wants it quoted): an
// unquoted version or setting is no error in an editor either.
func TestSchemaAcceptsUnquotedScalars(t *testing.T) {
	s := compileSchema(t)
	text := `apiVersion: mysqlgen.dev/v1alpha1
kind: MySQLCluster
metadata:
  name: db
  labels: {tier: 1}
spec:
  version: 8.4
  resources: {limits: {cpu: 2, memory: 1Gi}}
  config: {max_connections: 500, skip-name-resolve: true}
`
	if _, err := Load(strings.NewReader(text), "test"); err != nil {
		t.Fatalf("the loader refuses it: %v", err)
	}
	if err := s.Validate(yamlDocuments(t, text)[0]); err != nil {
		t.Error(err)
	}
}

// The schema carries the doc comments, so that editors show them.
func TestSchemaDescriptions(t *testing.T) {
	root := parsedSchema(t)
	spec := root.Properties["spec"]
	for _, name := range []string{"replicas", "patches", "storage", "config"} {
		if p := spec.Properties[name]; p == nil || p.Description == "" {
			t.Errorf("spec.%s has no description", name)
		}
	}
	if d := spec.Properties["patches"].Items.Properties["target"].Properties["labelSelector"].Description; !strings.Contains(d, "kubectl -l") {
		t.Errorf("spec.patches[].target.labelSelector description = %q", d)
	}
	if a, b := mustSchema(t), mustSchema(t); a != b {
		t.Error("two schemas differ")
	}
}

// parsedSchema is the generated schema, decoded.
func parsedSchema(t *testing.T) Schema {
	t.Helper()
	var root Schema
	if err := json.Unmarshal([]byte(mustSchema(t)), &root); err != nil {
		t.Fatal(err)
	}
	return root
}

func mustSchema(t *testing.T) string {
	raw, err := JSONSchema()
	if err != nil {
		t.Fatal(err)
	}
	return string(raw)
}

// Each refinement changes the schema: a renamed field must not silently
// lose its constraint.
func TestSchemaRefinementsApply(t *testing.T) {
	all, err := generateSchema()
	if err != nil {
		t.Fatal(err)
	}
	for _, path := range slices.Sorted(maps.Keys(schemaRefinements)) {
		refine := schemaRefinements[path]
		delete(schemaRefinements, path)
		without, err := generateSchema()
		schemaRefinements[path] = refine
		if err != nil {
			t.Fatal(err)
		}
		if bytes.Equal(all, without) {
			t.Errorf("schemaRefinements[%q] changes nothing: is it a field of the spec?", path)
		}
	}
}

// The schema's words on versions follow the release table: every version,
// and each flavor's default marked as such.
func TestSchemaVersionsFollowTheReleaseTable(t *testing.T) {
	d := parsedSchema(t).Properties["spec"].Properties["version"].Description
	for _, r := range Releases {
		if !strings.Contains(d, r.Version) {
			t.Errorf("spec.version's description does not name %s %s: %q", r.Flavor, r.Version, d)
		}
	}
	for flavor, v := range DefaultVersions {
		if !strings.Contains(d, v+" (default) for "+flavor) {
			t.Errorf("spec.version's description does not say %s defaults to %s: %q", flavor, v, d)
		}
	}
}
