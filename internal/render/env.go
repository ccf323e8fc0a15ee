package render

import (
	"fmt"
	"slices"
	"strings"

	corev1 "k8s.io/api/core/v1"
)

// scriptEnv is the environment of every container: the scripts' only
// parameters (templates/common.sh documents each).
func scriptEnv(c *cluster) []corev1.EnvVar {
	gtid, metrics := onOff(*c.Spec.Replication.GTID), onOff(c.Spec.Metrics.Enabled)
	vars := [][2]string{
		{"MYSQLGEN_BACKUP_PORT", fmt.Sprint(portBackup)},
		{"MYSQLGEN_BACKUP_PRIVILEGES", c.release.BackupPrivileges},
		{"MYSQLGEN_BACKUP_USER", userBackup},
		{"MYSQLGEN_CONFIGMAP_DIR", pathConfigMap},
		{"MYSQLGEN_DATA_ROOT", pathDataRoot},
		{"MYSQLGEN_DIALECT", c.release.Dialect},
		{"MYSQLGEN_FLAVOR", c.Spec.Flavor},
		{"MYSQLGEN_GENERATED_DIR", pathGenerated},
		{"MYSQLGEN_GTID", gtid},
		{"MYSQLGEN_MAX_LAG_SECONDS", fmt.Sprint(*c.Spec.Replication.MaxLagSeconds)},
		{"MYSQLGEN_METRICS", metrics},
		{"MYSQLGEN_METRICS_PRIVILEGES", c.release.MetricsPrivileges},
		{"MYSQLGEN_METRICS_USER", userMetrics},
		{"MYSQLGEN_MYSQL_PORT", fmt.Sprint(portMySQL)},
		{"MYSQLGEN_PRIMARY_ORDINAL", fmt.Sprint(c.primary())},
		{"MYSQLGEN_REPLICATION_USER", userReplication},
		{"MYSQLGEN_SECRET_DIR", pathSecret},
		{"MYSQLGEN_SERVICE", c.Metadata.Name},
		{"MYSQLGEN_SOCKET", pathSocket},
	}
	vars = append(vars, tlsEnv(c)...)
	slices.SortFunc(vars, func(a, b [2]string) int { return strings.Compare(a[0], b[0]) })
	return plainEnv(vars)
}

// primary is the ordinal that takes writes: spec.primary, 0 when unset.
func (c *cluster) primary() int32 {
	if p := c.Spec.Primary; p != nil {
		return *p
	}
	return 0
}

func onOff(b bool) string {
	if b {
		return "ON"
	}
	return "OFF"
}
