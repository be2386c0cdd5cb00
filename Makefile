# ztmcp: every target installs what it needs, so each works on a fresh clone.
SHELL := /bin/bash
.DEFAULT_GOAL := help
ZTMCP := node --max-semi-space-size=4 dist/cli/bin.js
CA_DIR ?= ca
CERTS_DIR ?= certs
NAME ?=
ROLE ?=
TTL ?=
REASON ?= unspecified
HOST ?= 127.0.0.1
PORT ?= 8443
CA_PORT ?= 9443
METRICS_PORT ?= 9464
HOST_TTL ?= 10m
SOURCES := $(shell find src -name '*.ts' 2>/dev/null) tsconfig.json tsconfig.build.json

.PHONY: help install build docs typecheck lint test test-only soak bench ca-init cert server-cert revoke crl serve demo-certs clean tools

help:
	@echo "make serve            set everything up and run the mTLS MCP host on https://$(HOST):$(PORT)/mcp"
	@echo "make test             typecheck, lint and every test"
	@echo "make ca-init          create the CA in $(CA_DIR)/"
	@echo "make cert NAME=n ROLE=r [TTL=24h]   issue an agent certificate into $(CERTS_DIR)/n/"
	@echo "make server-cert [NAME=localhost]   issue a host certificate"
	@echo "make revoke NAME=n [REASON=keyCompromise]   revoke and publish the CRL"
	@echo "make crl              re-publish both CRLs"
	@echo "make bench [FULL=1]   benchmarks with baselines; make soak: long fault runs"

node_modules/.installed: package.json package-lock.json
	npm ci --no-audit --no-fund
	@touch $@

install: node_modules/.installed

# npm does not link a package's own bin into its node_modules/.bin; do it so `npx ztmcp` works here.
dist/.built: node_modules/.installed $(SOURCES)
	npm run build
	@chmod +x dist/cli/bin.js && ln -sf ../../dist/cli/bin.js node_modules/.bin/ztmcp
	@touch $@

build: dist/.built

# docs/errors.md is generated from src/common/errors.ts; a test fails when they differ.
docs: install
	node --import tsx scripts/docs/errors-md.ts

tools:
	@scripts/ensure-tools.sh openssl curl promtool:prometheus

typecheck: install
	npm run typecheck

lint: install
	npm run lint

test: install tools typecheck lint test-only

test-only: install
	npm test

soak: install tools
	npm run soak

export FULL BENCH_JSON
bench: build
	@scripts/ensure-tools.sh openssl curl nginx
	node --import tsx scripts/bench/run.ts

ca-init: build
	@if [ -f $(CA_DIR)/ca.db ]; then echo "CA already exists in $(CA_DIR)/"; else $(ZTMCP) --ca-dir $(CA_DIR) --certs-dir $(CERTS_DIR) ca init; fi

cert: build
	@[ -n "$(NAME)" ] && [ -n "$(ROLE)" ] || { echo "usage: make cert NAME=<agent> ROLE=<role>[,<role>] [TTL=24h]" >&2; exit 2; }
	$(ZTMCP) --ca-dir $(CA_DIR) --certs-dir $(CERTS_DIR) cert issue $(NAME) $(foreach r,$(subst $(comma), ,$(ROLE)),--role $(r)) $(if $(TTL),--ttl $(TTL))

server-cert: build
	$(ZTMCP) --ca-dir $(CA_DIR) --certs-dir $(CERTS_DIR) cert issue-server $(or $(NAME),localhost) $(if $(TTL),--ttl $(TTL))

revoke: build
	@[ -n "$(NAME)" ] || { echo "usage: make revoke NAME=<name|serial> [REASON=keyCompromise]" >&2; exit 2; }
	$(ZTMCP) --ca-dir $(CA_DIR) --certs-dir $(CERTS_DIR) cert revoke $(NAME) --reason $(REASON)

crl: build
	$(ZTMCP) --ca-dir $(CA_DIR) --certs-dir $(CERTS_DIR) crl

# What `make serve` needs before it starts: a CA, a host certificate and a demo agent.
demo-certs: ca-init
	@[ -f $(CERTS_DIR)/localhost/cert.pem ] || $(ZTMCP) --ca-dir $(CA_DIR) --certs-dir $(CERTS_DIR) cert issue-server localhost
	@[ -f $(CERTS_DIR)/demo/cert.pem ] || $(ZTMCP) --ca-dir $(CA_DIR) --certs-dir $(CERTS_DIR) cert issue demo --role reader

# The mesh running itself: the online CA, the host and the demo agent enrolled with tokens, the
# host fetching CRLs from the CA and renewing its own certificate (scripts/serve-mesh.sh).
serve: build
	@scripts/ensure-tools.sh openssl curl
	CA_DIR=$(CA_DIR) CERTS_DIR=$(CERTS_DIR) HOST=$(HOST) PORT=$(PORT) CA_PORT=$(CA_PORT) METRICS_PORT=$(METRICS_PORT) HOST_TTL=$(HOST_TTL) scripts/serve-mesh.sh

clean:
	rm -rf dist

comma := ,
