// Package crds pins the Go API types whose CustomResourceDefinitions hack/cluster-tools.sh
// generates with controller-gen (into bin/crds/), so that the test cluster and kubectl-validate
// know the third-party kinds mysqlgen renders (monitoring.coreos.com/v1 ServiceMonitor).
package crds

import _ "github.com/prometheus-operator/prometheus-operator/pkg/apis/monitoring/v1"
