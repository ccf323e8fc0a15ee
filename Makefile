# mysqlgen. `make help` lists the targets.
GO ?= go
BIN := bin

.PHONY: help build test unit e2e lint golden verify fuzz bench helm kustomize kustomize-test cluster-tools cluster-test lint-manifests clean

help: ## list the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F ':.*## ' '{printf "  %-16s %s\n", $$1, $$2}'

build: ## build bin/mysqlgen
	$(GO) build -o $(BIN)/mysqlgen ./cmd/mysqlgen

test: unit e2e ## unit, CLI, golden and invalid-input tests, then the end-to-end replication suite

e2e: $(BIN)/versitygw ## real MariaDB servers in simulated pods: clone, replicate, restart, scale, backup and restore (needs root and the packages; SKIP otherwise)
	$(GO) test -tags e2e ./test/e2e/ -v -count=1 -timeout 30m

# The S3 server of the backup tests: versitygw (Apache-2.0; its posix
# backend keeps each bucket as a directory), pinned in its own module like
# the other tools; rebuilt only when that module changes. A cold build
# (empty module and build caches) took about 80 s here.
$(BIN)/versitygw: tools/versitygw/go.mod tools/versitygw/go.sum
	$(GO) build -modfile tools/versitygw/go.mod -o $@ github.com/versity/versitygw/cmd/versitygw

unit: ## unit, CLI and golden tests
	$(GO) test -count=1 ./...

lint: $(BIN)/staticcheck ## go vet (with the cluster and e2e tags too), gofmt, staticcheck, -race on the parallel paths, go mod tidy, -update taken everywhere, shellcheck
	$(GO) vet ./...
	$(GO) vet -tags cluster,e2e ./test/...
	@out=$$(gofmt -l cmd templates internal test); if [ -n "$$out" ]; then echo "gofmt -l:"; echo "$$out"; exit 1; fi
	$(BIN)/staticcheck ./...
	$(GO) test -race -count=1 ./internal/parallel/ ./internal/pipeline/
	$(GO) test -race -count=1 -run '^(TestRenderBatch|TestRenderStdinAndDirectory)$$' ./cmd/mysqlgen/
	@# make golden's go test ./... -update needs every test package to take -update (internal/golden).
	$(GO) test ./... -run '^$$' -update >/dev/null
	$(GO) mod tidy && git diff --exit-code go.mod go.sum
	shellcheck --external-sources templates/*.sh hack/*.sh .ci/run

# staticcheck, pinned in its own module (tools/staticcheck/go.mod) like the
# other tools, so that its golang.org/x/tools never moves the Kubernetes build's.
$(BIN)/staticcheck: tools/staticcheck/go.mod tools/staticcheck/go.sum
	$(GO) build -modfile tools/staticcheck/go.mod -o $@ honnef.co/go/tools/cmd/staticcheck

golden: ## regenerate the golden files (then read the diff)
	$(GO) test ./... -update

verify: golden ## regenerate the golden files and fail if they changed
	git diff --exit-code -- testdata/golden internal/spec/schema.json

FUZZTIME ?= 20s
fuzz: ## run each fuzz target for FUZZTIME (default 20s)
	$(GO) test ./cmd/mysqlgen -run '^$$' -fuzz '^FuzzRender$$' -fuzztime $(FUZZTIME) -fuzzminimizetime 5s -parallel 2
	$(GO) test ./cmd/mysqlgen -run '^$$' -fuzz '^FuzzKRM$$' -fuzztime $(FUZZTIME) -fuzzminimizetime 5s -parallel 2
	$(GO) test ./cmd/mysqlgen -run '^$$' -fuzz '^FuzzUnicode$$' -fuzztime $(FUZZTIME) -fuzzminimizetime 5s -parallel 2
	$(GO) test ./internal/manifest -run '^$$' -fuzz '^FuzzWriters$$' -fuzztime $(FUZZTIME) -fuzzminimizetime 5s -parallel 2
	$(GO) test ./internal/render -run '^$$' -fuzz '^FuzzAccountsFile$$' -fuzztime $(FUZZTIME) -fuzzminimizetime 5s -parallel 2

bench: ## Go benchmarks, then whole-process timings of the built binary (hack/bench.sh)
	$(GO) test ./cmd/mysqlgen -run '^$$' -bench . -benchmem -count 5
	bash hack/bench.sh

HELM_VERSION := v4.3.1
helm: ## install the helm CLI v4.3.1 (HELM_VERSION) into bin/, for make bench's comparison only
	GOBIN=$(abspath $(BIN)) $(GO) install helm.sh/helm/v4/cmd/helm@$(HELM_VERSION)

KUSTOMIZE_VERSION := v5.7.1
kustomize: ## install the kustomize CLI v5.7.1 (KUSTOMIZE_VERSION) into bin/ for the generator tests
	GOBIN=$(abspath $(BIN)) $(GO) install sigs.k8s.io/kustomize/kustomize/v5@$(KUSTOMIZE_VERSION)

kustomize-test: ## kustomize build --enable-exec examples/kustomize/ == mysqlgen render (SKIP without bin/kustomize)
	$(GO) test -count=1 -v -run '^TestKustomize' ./cmd/mysqlgen

cluster-tools: ## build kube-apiserver, etcd, kwok, kubectl, kube-score, kubectl-validate, trivy, promtool and the Prometheus Operator CRDs into bin/ (skips what is built)
	bash hack/cluster-tools.sh

cluster-test: cluster-tools kustomize ## server-side dry-run, rollout, zero drift and upgrade on a real control plane with kwok nodes
	$(GO) test -tags cluster ./test/cluster/ -v -count=1 -timeout 40m

lint-manifests: cluster-tools ## kube-score (0 CRITICAL, hack/kube-score-ignore.txt), kubectl-validate and trivy config (hack/trivy-ignore.txt) on every golden file
	KUBE_SCORE_GATE=1 bash hack/lint-manifests.sh

clean: ## remove built binaries
	rm -rf $(BIN)
