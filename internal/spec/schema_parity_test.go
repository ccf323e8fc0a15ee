package spec

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/santhosh-tekuri/jsonschema/v6"
	yaml "go.yaml.in/yaml/v3"
)

// schemaInexpressible are the invalid cases a JSON Schema cannot refuse,
// each with the reason. Every other case of testdata/invalid must fail the
// schema, as it fails validate.
var schemaInexpressible = map[string]string{
	"comments-only":                         "an input with no document: the schema describes one document",
	"duplicate-cluster":                     "two documents with one name: the schema sees one document at a time",
	"config-duplicate-option":               "two keys naming one option (max_connections, max-connections): a schema cannot relate arbitrary keys",
	"resources-request-over-limit":          "a request above its limit: a schema cannot compare two quantities",
	"buffer-pool-over-limit":                "a buffer pool beside a memory limit: a schema cannot compare two quantities",
	"buffer-pool-no-room":                   "a buffer pool beside a memory limit: a schema cannot compare two quantities",
	"storage-size-ten-bytes":                "a quantity's minimum: a schema can compare numbers, not Kubernetes quantities (1Gi, 1024Mi)",
	"memory-limit-too-small":                "a quantity's minimum: a schema can compare numbers, not Kubernetes quantities (512Mi, 0.5Gi)",
	"primary-not-a-member":                  "the primary's ordinal below spec.replicas: a schema cannot compare two fields",
	"primary-without-gtid":                  "a primary other than 0 where GTIDs are off, which the version's default decides: a schema cannot follow defaults across fields",
	"backup-schedule-out-of-range":          "a cron field's ranges, steps and names (minute 61): the schema checks the schedule's shape, the CronJob parser the rest",
	"backup-timezone-unknown":               "a time zone the tz database does not know: a schema holds no time zone database",
	"backup-compression-zstd-default-image": "zstd against the default backup image of a flavor and version (and imageRegistry): the schema does not know which images hold zstd",
	"restore-name-february-30":              "a date that is not in the calendar (February 30): a pattern checks each field's range, not the month's length",
	"restore-rendered-claim-replicas":       "the restore's claim is the rendered <name>-backup: a schema cannot compare a claim name with the cluster's name, nor follow the restore's default destination",
}

// Every case of the invalid corpus that a JSON Schema can express fails the
// schema; the others are listed, with their reasons, and must still pass it
// (or the list is stale).
func TestSchemaParityWithInvalidCorpus(t *testing.T) {
	s := compileSchema(t)
	files, err := filepath.Glob("../../testdata/invalid/*.yaml")
	if err != nil || len(files) < 40 {
		t.Fatalf("found %d invalid cases (%v)", len(files), err)
	}
	for _, f := range files {
		name := strings.TrimSuffix(filepath.Base(f), ".yaml")
		t.Run(name, func(t *testing.T) {
			text, err := os.ReadFile(f)
			if err != nil {
				t.Fatal(err)
			}
			refused := schemaRefuses(t, s, string(text))
			why, listed := schemaInexpressible[name]
			switch {
			case !refused && !listed:
				t.Error("the schema accepts this invalid spec")
			case refused && listed:
				t.Errorf("listed as inexpressible (%s), but the schema refuses it: drop it from the list", why)
			}
		})
	}
}

// schemaRefuses reports whether an editor would flag the text: YAML it
// cannot read, or a document the schema refuses.
func schemaRefuses(t *testing.T, s interface{ Validate(any) error }, text string) bool {
	dec := yaml.NewDecoder(strings.NewReader(text))
	for {
		var v any
		if err := dec.Decode(&v); err != nil {
			if errors.Is(err, io.EOF) {
				return false
			}
			return true // the editor's YAML support flags it
		}
		if v == nil {
			continue
		}
		j, err := json.Marshal(v)
		if err != nil {
			return true // .inf or .nan: no JSON number, no schema type takes it
		}
		doc, err := jsonschema.UnmarshalJSON(bytes.NewReader(j))
		if err != nil {
			t.Fatal(err)
		}
		if s.Validate(doc) != nil {
			return true
		}
	}
}
