//go:build cluster

package cluster

import (
	"fmt"
	"sort"
	"strings"
	"testing"
	"time"
)

// LabelSelector is metav1.LabelSelector.
type LabelSelector struct {
	MatchLabels      map[string]string `json:"matchLabels"`
	MatchExpressions []struct {
		Key      string   `json:"key"`
		Operator string   `json:"operator"`
		Values   []string `json:"values"`
	} `json:"matchExpressions"`
}

// String is the selector in kubectl's -l syntax ("" selects everything).
func (s LabelSelector) String() string {
	var parts []string
	for _, k := range sortedKeys(s.MatchLabels) {
		parts = append(parts, k+"="+s.MatchLabels[k])
	}
	for _, e := range s.MatchExpressions {
		switch e.Operator {
		case "In":
			parts = append(parts, fmt.Sprintf("%s in (%s)", e.Key, strings.Join(e.Values, ",")))
		case "NotIn":
			parts = append(parts, fmt.Sprintf("%s notin (%s)", e.Key, strings.Join(e.Values, ",")))
		case "Exists":
			parts = append(parts, e.Key)
		case "DoesNotExist":
			parts = append(parts, "!"+e.Key)
		}
	}
	return strings.Join(parts, ",")
}

// CheckNetworkPolicies checks that every rendered NetworkPolicy selects exactly the cluster's
// pods (the apiserver evaluates the selector) and admits the MySQL port.
func (d *Deployment) CheckNetworkPolicies(t *testing.T, replicas int) {
	t.Helper()
	for _, o := range d.Objs {
		if o.Kind() != "NetworkPolicy" {
			continue
		}
		var np struct {
			Spec struct {
				PodSelector LabelSelector `json:"podSelector"`
				Ingress     []struct {
					Ports []struct {
						Port any `json:"port"`
					} `json:"ports"`
				} `json:"ingress"`
			} `json:"spec"`
		}
		must(t, o.Into(&np))
		sel := np.Spec.PodSelector.String()
		var pods List[Pod]
		if err := d.getJSON(&pods, "get", "pods", "-l", sel); err != nil {
			t.Errorf("NetworkPolicy %s: %v", o.Name(), err)
			continue
		}
		var got, want []string
		for _, p := range pods.Items {
			got = append(got, p.Metadata.Name)
		}
		for i := 0; i < replicas; i++ {
			want = append(want, fmt.Sprintf("%s-%d", d.Name, i))
		}
		if o.Name() == d.Name+"-backup" {
			// The backup Job's pods' policy selects no member (TestBackup checks
			// that it selects a backup Job's pod).
			if len(got) > 0 {
				t.Errorf("NetworkPolicy %s: podSelector %q selects pods %v, want none of the members", o.Name(), sel, got)
			}
			continue
		}
		sort.Strings(got)
		sort.Strings(want)
		if strings.Join(got, ",") != strings.Join(want, ",") {
			t.Errorf("NetworkPolicy %s: podSelector %q selects pods %v, want the cluster's %v", o.Name(), sel, got, want)
			continue
		}
		var ports []string
		mysql := false
		for _, in := range np.Spec.Ingress {
			for _, p := range in.Ports {
				s := fmt.Sprint(p.Port)
				ports = append(ports, s)
				if s == "3306" || s == "mysql" {
					mysql = true
				}
			}
		}
		if !mysql {
			t.Errorf("NetworkPolicy %s admits ports %v, not MySQL's 3306", o.Name(), ports)
			continue
		}
		t.Logf("check NetworkPolicy %s: OK (selects %v, ingress ports %v)", o.Name(), got, ports)
	}
}

// CheckServiceMonitors checks that every rendered ServiceMonitor selects a Service of the
// cluster in a namespace it watches, names a port that Service has, and that the Service's
// EndpointSlices list every Ready pod: what Prometheus would scrape.
func (d *Deployment) CheckServiceMonitors(t *testing.T, replicas int) {
	t.Helper()
	for _, o := range d.Objs {
		if o.Kind() != "ServiceMonitor" {
			continue
		}
		var sm struct {
			Spec struct {
				Selector          LabelSelector `json:"selector"`
				NamespaceSelector struct {
					Any        bool     `json:"any"`
					MatchNames []string `json:"matchNames"`
				} `json:"namespaceSelector"`
				Endpoints []struct {
					Port string `json:"port"`
				} `json:"endpoints"`
			} `json:"spec"`
		}
		must(t, o.Into(&sm))
		nss := sm.Spec.NamespaceSelector.MatchNames
		if len(nss) == 0 && !sm.Spec.NamespaceSelector.Any {
			nss = []string{d.NS} // the ServiceMonitor's own namespace
		}
		if !sm.Spec.NamespaceSelector.Any && !contains(nss, d.NS) {
			t.Errorf("ServiceMonitor %s watches namespaces %v, not the cluster's %s", o.Name(), nss, d.NS)
			continue
		}
		sel := sm.Spec.Selector.String()
		var svcs List[struct {
			Metadata Meta `json:"metadata"`
			Spec     struct {
				Ports []struct {
					Name string `json:"name"`
				} `json:"ports"`
			} `json:"spec"`
		}]
		if err := d.getJSON(&svcs, "get", "services", "-l", sel); err != nil {
			t.Errorf("ServiceMonitor %s: %v", o.Name(), err)
			continue
		}
		if len(svcs.Items) == 0 {
			t.Errorf("ServiceMonitor %s: selector %q matches no Service in %s", o.Name(), sel, d.NS)
			continue
		}
		for _, svc := range svcs.Items {
			var names []string
			for _, p := range svc.Spec.Ports {
				names = append(names, p.Name)
			}
			for _, ep := range sm.Spec.Endpoints {
				if !contains(names, ep.Port) {
					t.Errorf("ServiceMonitor %s: endpoint port %q is not a port of Service %s (ports %v)", o.Name(), ep.Port, svc.Metadata.Name, names)
				}
			}
			var all []string
			for i := 0; i < replicas; i++ {
				all = append(all, fmt.Sprintf("%s-%d", d.Name, i))
			}
			sort.Strings(all)
			var got []string
			err := d.c.Poll(d.ctx, 60*time.Second, func() (bool, string) {
				var err error
				got, err = d.readyEndpoints(svc.Metadata.Name)
				if err != nil {
					return false, err.Error()
				}
				return strings.Join(got, ",") == strings.Join(all, ","), fmt.Sprintf("ready endpoints %v, want %v", got, all)
			})
			if err != nil {
				t.Errorf("ServiceMonitor %s: Service %s: %v", o.Name(), svc.Metadata.Name, err)
				continue
			}
			t.Logf("check ServiceMonitor %s: OK (selects Service %s, port %v, endpoints %v)", o.Name(), svc.Metadata.Name, sm.Spec.Endpoints, got)
		}
	}
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}
