# authstack's build, test and release entry points. `make test` is what CI runs.
GO ?= go
BIN ?= bin/authstack
FUZZTIME ?= 10s
# Each fuzz target, as package:Name.
FUZZ_TARGETS := ./pkg/config:FuzzParse ./pkg/patch/kubespray:FuzzKubesprayPatch ./pkg/patch/kubeadm:FuzzKubeadmPatch ./pkg/patch/dexconfig:FuzzDexMerge

.PHONY: build test unit vet fuzz golden bench example clean

build:
	CGO_ENABLED=0 $(GO) build -trimpath -o $(BIN) ./cmd/authstack

## test: everything CI runs: vet, unit and golden tests, a short fuzz of every fuzz target.
test: vet unit fuzz

vet:
	$(GO) vet ./...

unit:
	$(GO) test -count=1 ./...

## fuzz: run every fuzz target for FUZZTIME (the committed corpus runs in `unit` too).
fuzz:
	@set -e; for t in $(FUZZ_TARGETS); do \
		pkg=$${t%%:*}; name=$${t##*:}; \
		echo "fuzz $$name ($$pkg) for $(FUZZTIME)"; \
		$(GO) test -run '^$$' -fuzz "^$$name\$$" -fuzztime $(FUZZTIME) -fuzzminimizetime 1s $$pkg; \
	done

## golden: rewrite golden files after an intended output change; review the diff.
golden:
	$(GO) test ./... -run 'Golden|Patch|Merge' -update

bench:
	$(GO) test -run '^$$' -bench . -benchmem ./pkg/render

## example: the main job on a shipped example.
example: build
	LDAP_BIND_PASSWORD=example $(BIN) render -f examples/dex-ldap-kubespray/authstack.yaml -o _output/dex-ldap-kubespray

clean:
	rm -rf bin dist _output
