// Package e2e proves that mysqlgen's rendered manifests really clone and
// replicate: it renders a cluster with the built binary, simulates the
// StatefulSet's pods on this machine with Linux namespaces, runs the
// rendered scripts unchanged against real MariaDB servers and checks the
// data on every replica.
//
// Everything lives behind the build tag e2e and needs root:
//
//	go test -tags e2e ./test/e2e/ -v -count=1 -timeout 30m
//
// Without root or without the host packages (mariadb-server-core,
// mariadb-client, mariadb-backup, socat; plus util-linux, iproute2 and
// passwd, present on Debian) the tests skip with a visible SKIP line,
// unless MYSQLGEN_E2E_REQUIRE=1 is set (CI), which makes that a failure.
// MYSQLGEN_E2E_KEEP=1 keeps the run directory (PVCs, container logs).
//
// What is simulated, as the kubelet and a container runtime do it:
//   - one pod = a sandbox process holding new UTS, network and IPC
//     namespaces (hostname <sts>-N, an address on a bridge that lives in a
//     network namespace of the run's own), and one new mount and PID
//     namespace per container, whose command is PID 1;
//   - the container's root: the host's /usr as the image's binaries, the
//     image's /etc/mysql or /etc/my.cnf, directories and default user (see
//     images.go for the shims), private /var, /run, /tmp, read-only when
//     readOnlyRootFilesystem is set;
//   - volumes as bind mounts: the volumeClaimTemplate as a directory kept
//     across pod restarts, emptyDirs fresh per pod, ConfigMap and Secret
//     volumes in the kubelet's atomic-writer layout with items and modes,
//     fsGroup (and OnRootMismatch), subPath, /etc/hosts, /etc/resolv.conf;
//   - runAsUser, runAsGroup, fsGroup, supplementalGroups, with the images'
//     uid/gid 999 mapped to the host's mysql account (created if missing);
//   - env: envFrom, env with $(VAR) expansion, secretKeyRef, configMapKeyRef,
//     fieldRef, resourceFieldRef, Service link variables; command and args
//     expanded the same way;
//   - init containers in order, each retried with the kubelet's back-off
//     (at once, then 10s doubling to 5m); containers restarted on exit;
//     exec (and tcpSocket) startup, liveness and readiness probes with the
//     rendered timings; preStop/postStart exec hooks; SIGTERM, grace period,
//     SIGKILL;
//   - the StatefulSet controller (OrderedReady or Parallel), scaling, pod
//     deletion, PVC deletion, and the headless Service's DNS as one hosts
//     line per ordinal, published while the pod is Ready (or always, with
//     publishNotReadyAddresses).
//
// Not simulated: ClusterIP routing (the scripts use the headless names),
// NetworkPolicy, PodDisruptionBudget, resource limits, capabilities,
// seccomp, httpGet and gRPC probes.
package e2e
