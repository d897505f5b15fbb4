# The two set-up commands of the README: each creates the environment if missing, then runs.
VENV ?= .venv
export DAGSTER_HOME ?= $(CURDIR)/dagster_home

.PHONY: setup demo test ui bench

setup:
	@bash scripts/setup.sh

demo: setup
	$(VENV)/bin/python -m multimodal_pipeline demo

test: setup
	WITH_CHROMIUM=1 WITH_SCALE=1 bash scripts/setup.sh
	$(VENV)/bin/python -m pytest -q

ui: setup
	VENV=$(VENV) bash scripts/ui.sh

bench: setup
	WITH_FFMPEG=1 WITH_SCALE=1 bash scripts/setup.sh
	$(VENV)/bin/python -m benchmarks.run_all
