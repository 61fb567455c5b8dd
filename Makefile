# authstack's build, test and release entry points. `make test` is what CI runs.
GO ?= go
BIN ?= bin/authstack
# Each fuzz target, as package:Name:executions. A run is bounded by a count of
# executions (about 10 s each on a 2-core machine), not by time: with
# -fuzztime as a duration the Go toolchain can end a clean run with a spurious
# "context deadline exceeded" when its deadline races a worker restart. Set
# FUZZTIME (e.g. 5m) to fuzz every target for a duration instead.
FUZZTIME ?=
FUZZ_TARGETS := ./pkg/config:FuzzParse:60000 ./pkg/patch/kubespray:FuzzKubesprayPatch:1000 \
	./pkg/patch/kubeadm:FuzzKubeadmPatch:2000 ./pkg/patch/dexconfig:FuzzDexMerge:40000 \
	./internal/safefile:FuzzWrite:2500 ./pkg/formats/oauth2proxy:FuzzPrintParse:20000 \
	./pkg/patch/staticpod:FuzzStaticPodPatch:3000

.PHONY: build test unit vet vulncheck fuzz golden generate bench example clean

build:
	CGO_ENABLED=0 $(GO) build -trimpath -o $(BIN) ./cmd/authstack
	CGO_ENABLED=0 $(GO) build -trimpath -o $(dir $(BIN))authstack-apiproxy ./cmd/authstack-apiproxy

## test: everything CI runs: vet; the upstream binaries and Debian packages the
## integration tests need; unit, golden and integration tests; a short fuzz of
## every fuzz target; the local end-to-end tier; the kind tier.
test: vet vulncheck e2e-binaries unit fuzz e2e e2e-kind

vet:
	$(GO) vet ./...

## vulncheck: govulncheck on authstack's code, with the Go toolchain releases
## are built with and a database built from golang.org/x/vulndb (vuln.go.dev
## is not reachable from CI); fails when called code is affected.
vulncheck:
	hack/govulncheck.sh

## unit: unit, golden and integration tests (integration tests start the real
## binaries from `make e2e-binaries`; `go test -short ./...` skips them).
unit:
	$(GO) test -count=1 -timeout 30m ./...

## fuzz: run every fuzz target for its count of executions, or for FUZZTIME
## when set (the committed corpus runs in `unit` too).
fuzz:
	@set -e; for t in $(FUZZ_TARGETS); do \
		pkg=$${t%%:*}; rest=$${t#*:}; name=$${rest%%:*}; n=$${rest#*:}; \
		ft=$${n}x; [ -z "$(FUZZTIME)" ] || ft="$(FUZZTIME)"; \
		echo "fuzz $$name ($$pkg) for $$ft"; \
		$(GO) test -run '^$$' -fuzz "^$$name\$$" -fuzztime $$ft -fuzzminimizetime 100x $$pkg; \
	done

## golden: rewrite golden files after an intended output change; review the diff.
golden:
	$(GO) test ./... -run 'Golden|Patch|Merge' -update

## generate: docs/spec.md and schema/authstack.v1alpha1.json from the spec's Go
## types (hack/specdoc's tests fail when a committed file is stale).
generate:
	$(GO) generate ./pkg/apis/...

bench:
	$(GO) test -run '^$$' -bench . -benchmem ./pkg/render

## example: the main job on a shipped example.
example: build
	LDAP_BIND_PASSWORD=example $(BIN) render -f examples/dex-ldap-kubespray/authstack.yaml -o _output/dex-ldap-kubespray

clean:
	rm -rf bin dist _output

## e2e-binaries: build the real upstream binaries of the local e2e tier into
## the cache outside the repo (reused when present), and install nginx,
## slapd, ldap-utils and chromium from Debian when missing.
e2e-binaries:
	hack/e2e-binaries.sh
	hack/e2e-deps.sh

## e2e: the local end-to-end tier: etcd, kube-apiserver, dex, oauth2-proxy,
## nginx, slapd and a headless Chromium as local processes, configured from
## authstack's rendered output. Screenshots and timings land in
## $(E2E_ARTIFACTS).
E2E_ARTIFACTS ?= $(CURDIR)/_output/e2e
e2e: e2e-binaries
	E2E_ARTIFACTS=$(E2E_ARTIFACTS) $(GO) test -tags e2e -count=1 -timeout 20m ./e2e/local/...

.PHONY: e2e e2e-binaries

## e2e-kind: the kind tier: a kind cluster created from the rendered kind
## config, the stack applied with `authstack apply --wait`, real pods under the
## restricted Pod Security Standard, real logins. Installs docker.io, jq,
## debootstrap and chromium when missing, starts (and stops) dockerd when none
## runs, builds or pulls the images; see docs/kind-e2e.md. Logs and timings
## land in $(E2E_KIND_ARTIFACTS).
E2E_KIND_ARTIFACTS ?= $(CURDIR)/_output/e2e-kind
e2e-kind:
	E2E_ARTIFACTS=$(E2E_KIND_ARTIFACTS) hack/kind/e2e.sh

.PHONY: e2e-kind
