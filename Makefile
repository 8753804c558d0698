# The conventional entry points; each target runs one script of scripts/,
# which does the work (and says more in its header). LS_PORT (default 4566)
# picks the LocalStack, as for the scripts themselves.
#   make            # this list
.DEFAULT_GOAL := help
SHELL := bash
.PHONY: help up down test ci seed reset screenshots watch bench deploy

help: ## list the targets
	@echo 'make <target>   (LS_PORT=<port> make <target> for a LocalStack on another port)'
	@awk -F ':.*## ' '/^[a-z]+:.*## / { printf "  %-12s %s\n", $$1, $$2 }' $(MAKEFILE_LIST)

up: ## the store on LocalStack: build, start, deploy, seed, storefront; prints the URLs
	scripts/up.sh

down: ## stop the LocalStack that up started
	scripts/down.sh

test: ## every test; the end-to-end and browser suites in a stack of their own
	scripts/test.sh

ci: ## what CI runs: fmt, clippy, test, then a clean git status
	.ci/run

seed: ## load the seed products missing from the demo store (nothing deleted)
	scripts/reset.sh --seed-only

reset: ## the demo store back to the seed catalog: no orders, accounts or leftovers
	scripts/reset.sh

screenshots: ## refresh docs/screenshots/ from a freshly reset demo store
	scripts/screenshots.sh

watch: ## the HTTP functions with cargo lambda watch (hot reload) against LocalStack
	. localstack/env.sh && scripts/watch.sh

bench: ## every figure of BENCHMARKS.md (about 40 min from cold)
	scripts/bench.sh

deploy: ## to your AWS account with SAM (sam deploy --guided the first time)
	scripts/deploy.sh
