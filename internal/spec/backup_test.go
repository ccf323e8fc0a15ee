package spec

import (
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

const backupHead = "apiVersion: mysqlgen.dev/v1alpha1\nkind: MySQLCluster\nmetadata:\n  name: db\nspec:\n"

func TestBackupDefaults(t *testing.T) {
	cases := map[string]struct {
		spec          string
		backup        *Backup
		restore       *Restore
		wantNoBackups bool
	}{
		"no backup, no restore": {spec: "  replicas: 1\n", wantNoBackups: true},
		"count 7 when no retention is given": {
			spec: "  backup: {schedule: '@daily', pvc: {size: 5Gi}}\n",
			backup: &Backup{Schedule: "@daily", Source: "replica", Compression: "gzip",
				Retention: BackupRetention{Count: ptr(int32(7)), MaxAgeDays: ptr(int32(0))},
				PVC:       &BackupPVC{Size: "5Gi"}, Resources: DefaultBackupJobResources,
				ActiveDeadlineSeconds: ptr(int64(21600)), ToolsImage: DefaultToolsImage},
		},
		"only an age limit: no count limit": {
			spec: "  backup: {schedule: '@daily', retention: {maxAgeDays: 30}, pvc: {claimName: b}}\n",
			backup: &Backup{Schedule: "@daily", Source: "replica", Compression: "gzip",
				Retention: BackupRetention{Count: ptr(int32(0)), MaxAgeDays: ptr(int32(30))},
				PVC:       &BackupPVC{ClaimName: "b"}, Resources: DefaultBackupJobResources,
				ActiveDeadlineSeconds: ptr(int64(21600)), ToolsImage: DefaultToolsImage},
		},
		"a restore takes the backup's rendered claim": {
			spec:    "  replicas: 1\n  backup: {schedule: '@daily', pvc: {size: 5Gi}}\n  restore: {backup: latest}\n",
			restore: &Restore{Backup: "latest", PVC: &RestorePVC{ClaimName: "db-backup"}, ToolsImage: DefaultToolsImage},
		},
		"a restore takes the backup's bucket, prefix and mirrored tools image": {
			spec: "  imageRegistry: registry.example.com/hub\n  backup: {schedule: '@daily', s3: {endpoint: 'https://s3.example.com', bucket: bkp, credentialsSecret: c}}\n  restore: {backup: latest}\n",
			restore: &Restore{Backup: "latest",
				S3:         &BackupS3{Endpoint: "https://s3.example.com", Bucket: "bkp", Prefix: "db", Region: "us-east-1", CredentialsSecret: "c"},
				ToolsImage: "registry.example.com/hub/rclone/rclone:1.75.0"},
		},
		"a restore alone gets the default tools image and prefix": {
			spec: "  restore: {backup: 20260115T030000Z, s3: {endpoint: 'https://s3.example.com', bucket: bkp, prefix: old, credentialsSecret: c}}\n",
			restore: &Restore{Backup: "20260115T030000Z",
				S3:         &BackupS3{Endpoint: "https://s3.example.com", Bucket: "bkp", Prefix: "old", Region: "us-east-1", CredentialsSecret: "c"},
				ToolsImage: DefaultToolsImage},
		},
	}
	for name, c := range cases {
		t.Run(name, func(t *testing.T) {
			cl := load(t, backupHead+c.spec)
			SetDefaults(cl)
			if errs := Validate(cl); len(errs) > 0 {
				t.Fatalf("Validate: %v", errs)
			}
			if c.wantNoBackups && (cl.Spec.Backup != nil || cl.Spec.Restore != nil) {
				t.Fatalf("defaults made a backup or restore: %+v %+v", cl.Spec.Backup, cl.Spec.Restore)
			}
			if c.backup != nil {
				if d := cmp.Diff(c.backup, cl.Spec.Backup); d != "" {
					t.Errorf("backup (-want +got):\n%s", d)
				}
			}
			if c.restore != nil {
				if d := cmp.Diff(c.restore, cl.Spec.Restore); d != "" {
					t.Errorf("restore (-want +got):\n%s", d)
				}
			}
			// Idempotent, as SetDefaults promises.
			if cl.Spec.Backup != nil {
				again := *cl.Spec.Backup
				SetDefaults(cl)
				if d := cmp.Diff(&again, cl.Spec.Backup); d != "" {
					t.Errorf("defaults twice (-first +second):\n%s", d)
				}
			}
		})
	}
}

// Valid backup specs that are easy to refuse by mistake: both Validate and
// the schema take them.
func TestBackupValidSpecs(t *testing.T) {
	s3 := func(endpoint, extra string) string {
		return "    s3: {endpoint: '" + endpoint + "', bucket: my.backups-1, credentialsSecret: s3-creds" + extra + "}\n"
	}
	cases := map[string]string{
		"every 6h":                                    "  backup:\n    schedule: '@every 6h'\n    pvc: {claimName: b}\n",
		"names of months and days":                    "  backup:\n    schedule: '0 3 * JAN-MAR MON-FRI'\n    pvc: {claimName: b}\n",
		"ranges, steps, extra spaces":                 "  backup:\n    schedule: ' */15  1-5 1,15 * ? '\n    pvc: {claimName: b}\n",
		"three-part time zone":                        "  backup:\n    schedule: '@daily'\n    timeZone: America/Argentina/Buenos_Aires\n    pvc: {claimName: b}\n",
		"legacy zone with a digit":                    "  backup:\n    schedule: '@daily'\n    timeZone: Etc/GMT+5\n    pvc: {claimName: b}\n",
		"http with insecure":                          "  backup:\n    schedule: '@daily'\n" + s3("http://10.0.0.1:9000", ", insecure: true"),
		"https on an IPv6 address":                    "  backup:\n    schedule: '@daily'\n" + s3("https://[fd00::1]:9000/", ""),
		"nested prefix and region":                    "  backup:\n    schedule: '@daily'\n" + s3("https://s3.example.com", ", prefix: prod/db.1_x, region: eu-central-1"),
		"restore by name from a claim":                "  restore:\n    backup: 20261231T235959Z\n    pvc: {claimName: old-backups}\n",
		"restore from the rendered claim, one member": "  replicas: 1\n  backup:\n    schedule: '@daily'\n    pvc: {size: 1Gi}\n  restore: {backup: latest}\n",
	}
	schema := compileSchema(t)
	for name, body := range cases {
		t.Run(name, func(t *testing.T) {
			cl := load(t, backupHead+body)
			SetDefaults(cl)
			if errs := Validate(cl); len(errs) > 0 {
				t.Errorf("Validate: %v", errs)
			}
			if schemaRefuses(t, schema, backupHead+body) {
				t.Error("the schema refuses it")
			}
		})
	}
}

// The schedule is refused exactly where the CronJob API refuses it, with
// the parser's reason.
func TestBackupScheduleErrors(t *testing.T) {
	for schedule, want := range map[string]string{
		"0 3 * * * *":   "expected exactly 5 fields, found 6",
		"0 25 * * *":    "above maximum (23)",
		"@fortnightly":  "unrecognized descriptor",
		"TZ=UTC @daily": "use spec.backup.timeZone",
		"0 3 * * FOO":   "failed to parse",
	} {
		errs := validateSchedule(schedule, nil)
		if len(errs) != 1 || !strings.Contains(errs[0].Error(), want) {
			t.Errorf("%q: %v, want one error containing %q", schedule, errs, want)
		}
	}
}
